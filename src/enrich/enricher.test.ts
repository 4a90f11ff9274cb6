import { beforeAll, describe, expect, it } from 'vitest';
import { sharedGeoIp } from '../../test/support/geoip.js';
import type { ActivityEvent } from '../domain/activity-event.js';
import { Enricher } from './enricher.js';
import type { MmdbGeoIp } from './geoip.js';
import { ipFacts } from './ip-network.js';
import { NoveltyTracker, type SeenRecord, type SeenStore } from './novelty.js';
import { UserAgentParser } from './user-agent.js';

const CHROME_WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

/** An in-memory SeenStore: the enricher's port, not a database mock (store tests use real ones). */
class MemorySeenStore implements SeenStore {
  records: SeenRecord[] = [];
  reads = 0;
  async loadSeen(users: readonly string[]) {
    this.reads++;
    return this.records.filter((r) => users.includes(r.user));
  }
  async saveSeen(records: readonly SeenRecord[]) {
    this.records.push(...records);
  }
}

let geoIp: MmdbGeoIp;
beforeAll(async () => {
  geoIp = await sharedGeoIp();
});

const login = (over: Partial<ActivityEvent>): ActivityEvent => ({ type: 'login.succeeded', user: 'alice', occurredAt: 1, ...over });

describe('geo-IP', () => {
  it('resolves well-known public addresses to their country', () => {
    expect(geoIp.lookup('81.2.69.160', 4)?.country).toBe('GB');
    expect(geoIp.lookup('8.8.8.8', 4)).toMatchObject({ country: 'US', accuracyKm: expect.any(Number) });
    expect(geoIp.lookup('2a00:1450:4001:81c::200e', 6)?.country).toBeTypeOf('string');
  });
});

describe('ipFacts', () => {
  it.each([
    ['10.1.2.3', 'private', '10.1.2.0/24'],
    ['192.168.0.7', 'private', '192.168.0.0/24'],
    ['127.0.0.1', 'loopback', '127.0.0.0/24'],
    ['100.64.1.1', 'carrier_nat', '100.64.1.0/24'],
    ['81.2.69.160', 'public', '81.2.69.0/24'],
    ['::ffff:81.2.69.160', 'public', '81.2.69.0/24'],
    ['fd00::1', 'private', 'fd00:0:0::/48'],
    ['2001:4860:4860::8888', 'public', '2001:4860:4860::/48'],
  ])('%s is %s in %s', (ip, scope, network) => {
    expect(ipFacts(ip)).toMatchObject({ scope, network });
  });
});

describe('UserAgentParser', () => {
  it('reads browser, OS and device class', () => {
    const ua = new UserAgentParser();
    expect(ua.parse(CHROME_WIN)).toMatchObject({ browser: 'Chrome', os: 'Windows', deviceClass: 'desktop' });
    expect(ua.parse(SAFARI_IPHONE)).toMatchObject({ os: 'iOS', deviceClass: 'mobile' });
    expect(ua.parse('curl/8.4.0').deviceClass).toBe('bot');
    expect(ua.parse(CHROME_WIN).summary).toBe('Chrome 120 on Windows 10 (desktop)');
  });
});

describe('Enricher', () => {
  const make = () => {
    const store = new MemorySeenStore();
    return { store, enricher: new Enricher(geoIp, new UserAgentParser(), new NoveltyTracker(store)) };
  };

  it('looks an address up once while it is remembered, and gives every event from it the same place', async () => {
    let lookups = 0;
    const counting = {
      lookup: (ip: string, version: 4 | 6) => {
        lookups++;
        return geoIp.lookup(ip, version);
      },
    };
    const enricher = new Enricher(counting, new UserAgentParser(), new NoveltyTracker(new MemorySeenStore()), 2);
    const { enrichments } = await enricher.enrich([
      login({ ip: '81.2.69.160' }),
      login({ user: 'bob', ip: '81.2.69.160' }),
      login({ ip: '8.8.8.8' }),
      login({ ip: '192.168.1.10' }),
    ]);
    expect(enrichments.map((e) => e.geo?.country)).toEqual(['GB', 'GB', 'US', undefined]);
    expect(enrichments[1]?.geo).toEqual(geoIp.lookup('81.2.69.160', 4));
    expect(enrichments[1]?.network).toBe('81.2.69.0/24');
    expect(lookups).toBe(2);
    // Shared between events, so nobody may change it.
    expect(Object.isFrozen(enrichments[0]?.geo)).toBe(true);
    // Two addresses are remembered here: 81.2.69.160 was forgotten for the two seen since.
    await enricher.enrich([login({ ip: '81.2.69.160' })]);
    expect(lookups).toBe(3);
  });

  it('marks a private IP as private, with no geo and no network novelty', async () => {
    const { enricher } = make();
    const { enrichments } = await enricher.enrich([login({ ip: '192.168.1.10' })]);
    expect(enrichments[0]).toMatchObject({ ipScope: 'private', novelty: { newCountry: null, newNetwork: null } });
    expect(enrichments[0]?.geo).toBeUndefined();
  });

  it('flags the first device, country and network, then not again', async () => {
    const { enricher } = make();
    const first = await enricher.enrich([login({ ip: '81.2.69.160', device: 'd1', userAgent: CHROME_WIN })]);
    expect(first.enrichments[0]).toMatchObject({
      geo: { country: 'GB' },
      userAgent: { browser: 'Chrome' },
      novelty: { hasHistory: false, newDevice: true, newCountry: true, newNetwork: true },
    });
    const again = await enricher.enrich([login({ ip: '81.2.69.161', device: 'd1' })]);
    expect(again.enrichments[0]?.novelty).toEqual({ hasHistory: true, newDevice: false, newCountry: false, newNetwork: false });
    const abroad = await enricher.enrich([login({ ip: '8.8.8.8', device: 'd2' })]);
    expect(abroad.enrichments[0]?.novelty).toEqual({ hasHistory: true, newDevice: true, newCountry: true, newNetwork: true });
  });

  it('does not let failed logins make an attacker device familiar', async () => {
    const { enricher } = make();
    await enricher.enrich([login({ device: 'home' })]);
    const attempt = { type: 'login.failed' as const, device: 'evil', ip: '8.8.8.8' };
    const r1 = await enricher.enrich([login(attempt), login(attempt)]);
    expect(r1.enrichments.map((e) => e.novelty.newDevice)).toEqual([true, true]);
    expect(r1.learnt).toEqual([]);
    const success = await enricher.enrich([login({ device: 'evil', ip: '8.8.8.8' })]);
    expect(success.enrichments[0]?.novelty.newDevice).toBe(true);
  });

  it('returns what it learnt for the store, reads each user once, and re-reads after forget()', async () => {
    const { enricher, store } = make();
    store.records.push(
      { user: 'bob', kind: 'device', value: 'known', firstSeenAt: 0 },
      { user: 'bob', kind: 'account', value: '', firstSeenAt: 0 },
    );
    const r = await enricher.enrich([login({ user: 'bob', device: 'known' }), login({ user: 'bob', device: 'new', occurredAt: 5 })]);
    expect(r.enrichments.map((e) => e.novelty.newDevice)).toEqual([false, true]);
    expect(r.learnt).toEqual([
      { user: 'bob', kind: 'device', value: 'new', firstSeenAt: 5, lastSeenAt: 5, days: 1, via: 'login', provenAt: null },
    ]);
    await enricher.enrich([login({ user: 'bob' })]);
    expect(store.reads).toBe(1);
    enricher.forget(['bob']);
    const after = await enricher.enrich([login({ user: 'bob', device: 'new' })]);
    expect(store.reads).toBe(2);
    // 'new' never reached the store, so after forgetting it is new again.
    expect(after.enrichments[0]?.novelty.newDevice).toBe(true);
  });
});
