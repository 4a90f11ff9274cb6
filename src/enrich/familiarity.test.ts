import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sharedGeoIp } from '../../test/support/app.js';
import { freshDatabase, type TestDatabase } from '../../test/support/database.js';
import { ConfigError, loadConfig } from '../config/config.js';
import type { ActivityEvent, Familiarity, FamiliarityFacts } from '../domain/activity-event.js';
import { type DatabaseHandle, openDatabase } from '../store/database.js';
import { SqlEventStore } from '../store/event-store.js';
import { Enricher } from './enricher.js';
import type { MmdbGeoIp } from './geoip.js';
import { type Assessment, NoveltyTracker, type Observation, type SeenRecord, type SeenStore, type Teaching } from './novelty.js';
import { UserAgentParser } from './user-agent.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Monday 6 January 2025, 09:00 UTC: every time in these tests is fixed relative to it. */
const T0 = Date.UTC(2025, 0, 6, 9);
/** The account's first activity, long before T0, on its original device. */
const ACCOUNT_AT = T0 - 30 * DAY;

/** An in-memory SeenStore: the tracker's port (the store-backed tests below use the real one). */
class MemorySeenStore implements SeenStore {
  records: SeenRecord[] = [];
  saved: SeenRecord[] = [];
  async loadSeen(users: readonly string[]) {
    return this.records.filter((r) => users.includes(r.user));
  }
  async saveSeen(records: readonly SeenRecord[]) {
    this.saved.push(...records);
    this.records.push(...records);
  }
}

interface Step {
  readonly at: number;
  readonly seen: Observation;
  readonly teaching?: Teaching;
  /** Instead of an event: the owner proves the observed device, network and country. */
  readonly prove?: 'code' | 'confirmed';
}

/** Runs the steps through one tracker for user 'u'; returns each step's assessment and what each learnt. */
async function run(steps: readonly Step[], tracker = new NoveltyTracker(new MemorySeenStore())) {
  const results: Array<{ assessment?: Assessment; learnt: SeenRecord[] }> = [];
  for (const step of steps) {
    if (step.prove) {
      const { device, country, network } = step.seen;
      const records: SeenRecord[] = [];
      if (device !== undefined) records.push(await tracker.prove('u', 'device', device, step.prove, step.at));
      if (network !== undefined) records.push(await tracker.prove('u', 'network', network, step.prove, step.at));
      if (country !== undefined) records.push(await tracker.prove('u', 'country', country, step.prove, step.at));
      results.push({ learnt: records });
      continue;
    }
    const batch = await tracker.prepare(['u']);
    const learnt: SeenRecord[] = [];
    results.push({ assessment: batch.assess('u', step.seen, step.teaching ?? 'login', step.at, learnt), learnt });
  }
  return results;
}

const established: Step = { at: ACCOUNT_AT, seen: { device: 'home' } };
const last = async (steps: readonly Step[]) => {
  const results = await run(steps);
  return results[results.length - 1]?.assessment as Assessment;
};
const device = (at: number, teaching: Teaching = 'login'): Step => ({ at, seen: { device: 'd1' }, teaching });
const fam = (over: Partial<Familiarity>): Familiarity => ({
  firstSeenAt: T0,
  ageMs: 0,
  days: 1,
  via: 'login',
  proven: false,
  trusted: false,
  ...over,
});

describe('familiarity of a device, as of each event', () => {
  it.each<[string, Step[], Familiarity]>([
    ['first sight', [established, device(T0)], fam({})],
    ['first sight by another event', [established, device(T0, 'event')], fam({ via: 'event' })],
    ['the same day again', [established, device(T0), device(T0 + 3 * HOUR)], fam({ ageMs: 3 * HOUR })],
    ['the next day: two days', [established, device(T0), device(T0 + DAY)], fam({ ageMs: DAY, days: 2 })],
    [
      'two days, then a week after first seen: trusted',
      [established, device(T0), device(T0 + DAY), device(T0 + 7 * DAY)],
      fam({ ageMs: 7 * DAY, days: 3, trusted: true }),
    ],
    [
      'a week old but used on one day only, this event on the same day',
      [established, device(T0), device(T0 + 7 * DAY - 10 * HOUR)],
      fam({ ageMs: 7 * DAY - 10 * HOUR, days: 2 }),
    ],
    [
      'many days, but not yet a week old',
      [established, device(T0), device(T0 + DAY), device(T0 + 2 * DAY), device(T0 + 6 * DAY)],
      fam({ ageMs: 6 * DAY, days: 4 }),
    ],
    [
      'an earlier event (imported out of order) counts no day and no negative age',
      [established, device(T0 + DAY), device(T0)],
      fam({ firstSeenAt: T0 + DAY, ageMs: 0, days: 1 }),
    ],
    [
      'failed logins do not teach: still new at the next success',
      [established, device(T0, 'nothing'), device(T0 + 2 * HOUR, 'nothing'), device(T0 + 3 * HOUR)],
      fam({ firstSeenAt: T0 + 3 * HOUR }),
    ],
    [
      'a failed login on a new day is reported with that day but not counted',
      [established, device(T0), device(T0 + DAY, 'nothing'), device(T0 + 2 * DAY)],
      fam({ ageMs: 2 * DAY, days: 2 }),
    ],
    [
      'proven by "this was me": trusted at once, keeps how it first came',
      [established, device(T0), { at: T0 + HOUR, seen: { device: 'd1' }, prove: 'confirmed' }, device(T0 + 2 * HOUR)],
      fam({ ageMs: 2 * HOUR, proven: true, trusted: true }),
    ],
    [
      'proven by a code before it was ever seen',
      [established, { at: T0, seen: { device: 'd1' }, prove: 'code' }, device(T0 + HOUR)],
      fam({ ageMs: HOUR, via: 'code', proven: true, trusted: true }),
    ],
  ])('%s', async (_, steps, expected) => {
    expect((await last(steps)).familiarity.device).toEqual(expected);
  });

  it('trusts the account’s original device and what came within its first hour, not what came later', async () => {
    const results = await run([
      { at: T0, seen: { device: 'first' } },
      { at: T0 + 40 * 60_000, seen: { device: 'second' } },
      { at: T0 + 2 * HOUR, seen: { device: 'later' } },
      { at: T0 + 3 * HOUR, seen: { device: 'first' } },
      { at: T0 + 3 * HOUR, seen: { device: 'second' } },
      { at: T0 + 3 * HOUR, seen: { device: 'later' } },
    ]);
    const facts = results.map((r) => r.assessment?.familiarity as FamiliarityFacts);
    // The account's very first event: nothing is established yet, and a never-seen device is not trusted.
    expect(facts[0]).toEqual({ device: fam({}), network: null, country: null, paymentMethod: null });
    expect(facts[1]?.accountFirstSeenAt).toBe(T0);
    expect(facts.slice(3).map((f) => f.device?.trusted)).toEqual([true, true, false]);
  });

  it('measures network, country and payment method the same way, and keeps novelty as before', async () => {
    const seen: Observation = { device: 'd1', network: '81.2.69.0/24', country: 'GB', paymentMethod: 'card_visa_4242' };
    const results = await run([
      established,
      { at: T0, seen, teaching: 'event' },
      { at: T0 + DAY, seen: { ...seen, country: 'FR' }, teaching: 'event' },
      { at: T0 + 10 * DAY, seen, teaching: 'event' },
    ]);
    const second = results[2]?.assessment as Assessment;
    expect(second.novelty).toEqual({ hasHistory: true, newDevice: false, newCountry: true, newNetwork: false });
    expect(second.familiarity.country).toEqual(fam({ firstSeenAt: T0 + DAY, via: 'event' }));
    expect(results[3]?.assessment?.familiarity).toEqual({
      device: fam({ ageMs: 10 * DAY, days: 3, via: 'event', trusted: true }),
      network: fam({ ageMs: 10 * DAY, days: 3, via: 'event', trusted: true }),
      country: fam({ ageMs: 10 * DAY, days: 2, via: 'event', trusted: true }),
      paymentMethod: fam({ ageMs: 10 * DAY, days: 3, via: 'event', trusted: true }),
      accountFirstSeenAt: ACCOUNT_AT,
    });
  });

  it('writes a row on first sight and an update only on a new day, never one per event', async () => {
    const results = await run([
      established,
      device(T0),
      device(T0 + HOUR),
      device(T0 + 5 * HOUR),
      device(T0 + DAY),
      device(T0 + DAY + HOUR),
    ]);
    expect(results.map((r) => r.learnt.length)).toEqual([2, 1, 0, 0, 1, 0]);
    expect(results[4]?.learnt).toEqual([
      { user: 'u', kind: 'device', value: 'd1', firstSeenAt: T0, lastSeenAt: T0 + DAY, days: 2, via: 'login', provenAt: null },
    ]);
  });

  it('writes a proof through the store once, and proves the network of a public address only', async () => {
    const store = new MemorySeenStore();
    const tracker = new NoveltyTracker(store);
    await run([established, device(T0)], tracker);
    const proven = await tracker.proveSource('u', { device: 'd1', ip: '81.2.69.160', country: 'GB' }, 'code', T0 + HOUR);
    expect(proven.map((r) => [r.kind, r.value, r.via, r.provenAt])).toEqual([
      ['device', 'd1', 'login', T0 + HOUR],
      ['network', '81.2.69.0/24', 'code', T0 + HOUR],
      ['country', 'GB', 'code', T0 + HOUR],
    ]);
    expect(store.saved).toHaveLength(3);
    await tracker.proveSource('u', { device: 'd1', ip: '192.168.1.9' }, 'confirmed', T0 + 2 * HOUR);
    expect(store.saved).toHaveLength(3);
  });

  it('honours the configured trust period', async () => {
    const tracker = new NoveltyTracker(new MemorySeenStore(), { trustAfterDays: 2 });
    const results = await run([established, device(T0), device(T0 + 2 * DAY)], tracker);
    expect(results[2]?.assessment?.familiarity.device?.trusted).toBe(true);
  });
});

describe('VIGIL_TRUST_AFTER_DAYS', () => {
  it('defaults to 7 and takes 1 to 365', () => {
    expect(loadConfig({}).trustAfterDays).toBe(7);
    expect(loadConfig({ VIGIL_TRUST_AFTER_DAYS: '30' }).trustAfterDays).toBe(30);
    for (const bad of ['0', '366', 'week', '1.5']) {
      expect(() => loadConfig({ VIGIL_TRUST_AFTER_DAYS: bad })).toThrow(ConfigError);
    }
  });
});

describe('Enricher familiarity', () => {
  let geoIp: MmdbGeoIp;
  beforeAll(async () => {
    geoIp = await sharedGeoIp();
  });

  it('fills enrichment.familiarity for every event, failed logins included', async () => {
    const enricher = new Enricher(geoIp, new UserAgentParser(), new NoveltyTracker(new MemorySeenStore()));
    const event = (over: Partial<ActivityEvent>): ActivityEvent => ({ type: 'login.succeeded', user: 'u', occurredAt: T0, ...over });
    const { enrichments, learnt } = await enricher.enrich([
      event({ device: 'd1', ip: '81.2.69.160' }),
      event({ type: 'transaction', paymentMethod: 'card_1', occurredAt: T0 + DAY, ip: '81.2.69.160' }),
      event({ type: 'login.failed', device: 'evil', ip: '8.8.8.8', occurredAt: T0 + DAY }),
    ]);
    expect(enrichments[0]?.familiarity).toEqual({
      device: fam({}),
      network: fam({}),
      country: fam({}),
      paymentMethod: null,
    });
    expect(enrichments[1]?.familiarity).toMatchObject({
      device: null,
      network: fam({ ageMs: DAY, days: 2, trusted: true }),
      paymentMethod: fam({ firstSeenAt: T0 + DAY, via: 'event' }),
      accountFirstSeenAt: T0,
    });
    expect(enrichments[2]?.familiarity).toMatchObject({ device: fam({ firstSeenAt: T0 + DAY, via: 'event' }), accountFirstSeenAt: T0 });
    expect(learnt.some((r) => r.value === 'evil' || r.value === 'US')).toBe(false);
  });
});

describe('familiarity in the store', () => {
  let db: TestDatabase;
  let handle: DatabaseHandle;
  let store: SqlEventStore;
  beforeEach(async () => {
    db = await freshDatabase();
    handle = await openDatabase(db.target, { migrate: true });
    store = new SqlEventStore(handle);
  });
  afterEach(async () => {
    await handle.close();
    await db.drop();
  });

  /** Assesses an event as a failed login (teaching nothing), to read the facts without changing them. */
  const facts = async (tracker: NoveltyTracker, user: string, seen: Observation, at: number) =>
    (await tracker.prepare([user])).assess(user, seen, 'nothing', at, []);

  it('gives a fresh tracker over the same store the same facts (a restart)', async () => {
    const before = new NoveltyTracker(store);
    const seen: Observation = { device: 'd1', network: '81.2.69.0/24', country: 'GB', paymentMethod: 'card_1' };
    const steps: Array<[number, Observation]> = [
      [ACCOUNT_AT, { device: 'home' }],
      [T0, seen],
      [T0 + HOUR, seen],
      [T0 + DAY, seen],
      [T0 + 3 * DAY, { ...seen, country: 'FR' }],
    ];
    for (const [at, observed] of steps) {
      const learnt: SeenRecord[] = [];
      (await before.prepare(['u'])).assess('u', observed, 'login', at, learnt);
      await store.insert([], learnt);
    }
    // An import may hand one group the first sight and a later day of the same thing: one row.
    const group: SeenRecord[] = [];
    const batch = await before.prepare(['u']);
    batch.assess('u', { paymentMethod: 'card_2' }, 'event', T0, group);
    batch.assess('u', { paymentMethod: 'card_2' }, 'event', T0 + 2 * DAY, group);
    await store.insert([], group);
    await before.prove('u', 'device', 'd1', 'confirmed', T0 + 4 * DAY);
    await before.prove('u', 'device', 'never-seen', 'code', T0 + 4 * DAY);

    const after = new NoveltyTracker(store);
    const probe: Observation = { ...seen, country: 'FR' };
    const at = T0 + 9 * DAY;
    for (const o of [probe, seen, { device: 'never-seen', paymentMethod: 'card_2' }, { device: 'home' }]) {
      expect(await facts(after, 'u', o, at)).toEqual(await facts(before, 'u', o, at));
    }
    const restored = await facts(after, 'u', probe, at);
    expect(restored.familiarity).toEqual({
      device: fam({ ageMs: 9 * DAY, days: 4, proven: true, trusted: true }),
      network: fam({ ageMs: 9 * DAY, days: 4, trusted: true }),
      country: fam({ firstSeenAt: T0 + 3 * DAY, ageMs: 6 * DAY, days: 2 }),
      paymentMethod: fam({ ageMs: 9 * DAY, days: 4, trusted: true }),
      accountFirstSeenAt: ACCOUNT_AT,
    });
    expect((await facts(after, 'u', { device: 'never-seen', paymentMethod: 'card_2' }, at)).familiarity).toMatchObject({
      device: fam({ firstSeenAt: T0 + 4 * DAY, ageMs: 5 * DAY, days: 2, via: 'code', proven: true, trusted: true }),
      paymentMethod: fam({ ageMs: 9 * DAY, days: 3, via: 'event', trusted: true }),
    });
  });

  it('reads rows stored before familiarity as one day, via event, and upgrades them forward only', async () => {
    await handle.db
      .insertInto('user_seen')
      .values([
        { user_id: 'old', kind: 'account', value: '', first_seen_at: T0 - 20 * DAY },
        { user_id: 'old', kind: 'device', value: 'd', first_seen_at: T0 - 10 * DAY },
      ])
      .execute();
    const tracker = new NoveltyTracker(store);
    const learnt: SeenRecord[] = [];
    const assessed = (await tracker.prepare(['old'])).assess('old', { device: 'd' }, 'login', T0, learnt);
    expect(assessed.familiarity.device).toEqual(fam({ firstSeenAt: T0 - 10 * DAY, ageMs: 10 * DAY, days: 2, via: 'event', trusted: true }));
    expect(assessed.novelty.newDevice).toBe(false);
    await store.insert([], learnt);
    // A stale record (an older write committed late) moves nothing back.
    await store.saveSeen([
      { user: 'old', kind: 'device', value: 'd', firstSeenAt: 0, lastSeenAt: T0 - DAY, days: 1, via: 'login', provenAt: null },
    ]);
    const row = await handle.db
      .selectFrom('user_seen')
      .selectAll()
      .where('user_id', '=', 'old')
      .where('kind', '=', 'device')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ first_seen_at: T0 - 10 * DAY, last_seen_at: T0, seen_days: 2, via: 'event', proven_at: null });
  });
});
