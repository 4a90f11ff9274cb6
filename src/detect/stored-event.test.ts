import { describe, expect, it } from 'vitest';
import { newId } from '../core/ids.js';
import type { EventType } from '../domain/event-schema.js';
import { EVENT_TYPES } from '../domain/vocabulary.js';
import { stringBytes } from './byte-budget.js';
import type { PastEvent } from './history.js';
import { EventCompactor, HolderKind, isEventOf, NOBODY, NOT_CHARGED, StoredEvent, storedId } from './stored-event.js';

const t0 = Date.parse('2026-11-24T10:00:00Z');
const ua = {
  browser: 'Chrome',
  browserVersion: '131',
  os: 'Android',
  osVersion: '14',
  deviceClass: 'mobile',
  summary: 'Chrome 131/Android 14',
} as const;
/** Every field a remembered event can have, each with its own copy of its texts (as parsed JSON gives). */
let n = 0;
const full = (over: Partial<PastEvent> = {}): PastEvent => ({
  id: `evt_${n++}`,
  type: 'transaction',
  user: 'alice'.slice(0),
  occurredAt: t0,
  newDevice: null,
  newCountry: false,
  session: ['s', '1'].join('-'),
  device: 'dev-1',
  ip: '81.2.69.160',
  network: ['81.2.69', '0/24'].join('.'),
  country: 'GB',
  city: ['Lon', 'don'].join(''),
  latitude: 51.5072,
  longitude: -0.1276,
  accuracyKm: 20,
  amount: 129.99,
  currency: 'GBP',
  merchant: 'Books & Co',
  paymentMethod: 'card',
  category: 'books',
  path: '/checkout',
  userAgent: ['Mozilla/5.0 (Linux; Android 14)', 'Chrome/131'].join(' '),
  ua,
  untrustedSource: true,
  deviceAgeMs: 3 * 86_400_000,
  untrustedNetwork: false,
  ...over,
});
/** An event with each of the flags' states, compacted as Alice's from one IP and device. */
const flagged = (c: EventCompactor) =>
  c.compact(
    full({ newDevice: true, newCountry: null, untrustedSource: false, untrustedNetwork: true }),
    'alice',
    'ip',
    'd',
    undefined,
    undefined,
  );
const FIELDS: ReadonlyArray<keyof PastEvent> = Object.keys(full()) as Array<keyof PastEvent>;
const answers = (e: PastEvent) => Object.fromEntries(FIELDS.map((f) => [f, e[f]]));

describe('StoredEvent', () => {
  it('answers every field as the event it was made from, absent ones included', () => {
    const c = new EventCompactor();
    const e = full();
    expect(answers(c.compact(e, e.user, e.ip, e.device, undefined, undefined))).toEqual(answers(e));
    const bare: PastEvent = { id: 'evt_2', type: 'login.failed', user: 'bob', occurredAt: t0 + 1 };
    const stored = c.compact(bare, 'bob', undefined, undefined, undefined, undefined);
    for (const f of FIELDS) expect(stored[f], f).toBe(bare[f]);
    // The flags' three states each survive: true, false and null (unknown) are different answers.
    const flags = flagged(c);
    expect([flags.newDevice, flags.newCountry, flags.untrustedSource, flags.untrustedNetwork]).toEqual([true, null, false, true]);
  });

  it('keeps an id Vigil made in four small integers, not its text, and any other id as it came', () => {
    const id = newId('evt', t0);
    // Each from a compactor of its own, so that neither shares the other's texts.
    const packed = new EventCompactor().compact(full({ id }), 'alice', 'ip', 'd', undefined, undefined);
    const asText = new EventCompactor().compact(full({ id: 'login-7781-abcdefghijklmnopqr' }), 'alice', 'ip', 'd', undefined, undefined);
    expect([packed.id, asText.id]).toEqual([id, 'login-7781-abcdefghijklmnopqr']);
    // Both ids are 30 characters: the packed one is charged no string, and the other three fields fewer.
    expect(asText.ownBytes - packed.ownBytes).toBe(stringBytes(id) - 3 * 8);
    expect(storedId(id).every((w) => typeof w === 'number')).toBe(true);
    expect(storedId('login-7781')).toEqual(['login-7781', 0, 0, 0]);
    expect([packed.hasId(id), packed.hasId(newId('evt', t0)), packed.hasId(id.toLowerCase())]).toEqual([true, false, false]);
    expect([asText.hasId('login-7781-abcdefghijklmnopqr'), asText.hasId(id)]).toEqual([true, false]);
    const words = new Int32Array(8);
    expect([packed.idWords(words, 4), asText.idWords(words, 0)]).toEqual([true, false]);
    expect([...words.subarray(4)]).toEqual(storedId(id));
    expect([...words.subarray(0, 4)]).toEqual([0, 0, 0, 0]);
    const back = StoredEvent.restored(...storedId(id), 'transaction', t0, packed.source, undefined, undefined, packed.deviceAgeMs, 0, 0);
    expect(back.id).toBe(id);
    // What rules compare the event they score with: a kept event, packed or not, or any other form.
    expect([isEventOf(packed, id), isEventOf(asText, id), isEventOf(full({ id }), id), isEventOf(full(), id)]).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });

  it('answers the ids of many events read over and over, each its own', () => {
    const c = new EventCompactor();
    const ids = Array.from({ length: 1200 }, (_, i) => newId('evt', t0 + i));
    const kept = ids.map((id) => c.compact(full({ id }), 'alice', 'ip', 'd', undefined, undefined));
    // Forwards, backwards, then the latest few again: past the texts kept of the ids read lately.
    expect(kept.map((e) => e.id)).toEqual(ids);
    expect([...kept].reverse().map((e) => e.id)).toEqual([...ids].reverse());
    expect(kept.slice(-20).map((e) => e.id)).toEqual(ids.slice(-20));
  });

  it('answers each event type as it came', () => {
    const c = new EventCompactor();
    for (const type of EVENT_TYPES) expect(c.compact(full({ type }), 'alice', 'ip', 'd', undefined, undefined).type).toBe(type);
    expect(() => c.compact(full({ type: 'login.maybe' as EventType }), 'alice', 'ip', 'd', undefined, undefined)).toThrow(TypeError);
  });

  it("shares texts and place with the user's previous event, and charges only what it did not share", () => {
    const c = new EventCompactor();
    const first = c.compact(full(), 'alice', '81.2.69.160', 'dev-1', undefined, undefined);
    const second = c.compact(full({ occurredAt: t0 + 60_000 }), 'alice', '81.2.69.160', 'dev-1', first, undefined);
    expect(second.place).toBe(first.place);
    expect(second.session).toBe(first.session);
    expect(second.userAgent).toBe(first.userAgent);
    // A replayed event's user agent is parsed anew: an equal one is shared all the same.
    const replayed = c.compact(full({ occurredAt: t0 + 90_000, ua: { ...ua } }), 'alice', '81.2.69.160', 'dev-1', second, undefined);
    expect(replayed.ua).toBe(first.ua);
    expect(second.ownBytes).toBeLessThan(first.ownBytes);
    // Somewhere else: a place of its own, charged.
    const moved = c.compact(
      full({ occurredAt: t0 + 120_000, city: 'Leeds', latitude: 53.8 }),
      'alice',
      '81.2.69.160',
      'dev-1',
      second,
      undefined,
    );
    expect(moved.place).not.toBe(second.place);
    expect(moved.city).toBe('Leeds');
    expect(moved.ownBytes).toBeGreaterThan(second.ownBytes);
  });

  it('comes back from a snapshot as it was kept: its flags and first charge, held by nobody yet', () => {
    const kept = flagged(new EventCompactor());
    kept.hold(HolderKind.user);
    const { id, type, occurredAt, source, session, purchase, deviceAgeMs, flags } = kept;
    // Bits above the flags (holders, a charge) in what a snapshot gives are not taken.
    const back = StoredEvent.restored(...storedId(id), type, occurredAt, source, session, purchase, deviceAgeMs, flags | 0xff00, 1234);
    expect(answers(back)).toEqual(answers(kept));
    // Bytes are kept in whole 8-byte units, rounded up: still a ceiling.
    expect([back.ownBytes, back.held, back.chargedTo]).toEqual([1240, false, undefined]);
    expect(back.hold(HolderKind.ip)).toBe(true);
    expect(back.chargedTo).toBe(HolderKind.ip);
  });

  it('answers times and device ages exactly, whole milliseconds or not, large or small', () => {
    const c = new EventCompactor();
    let previous: StoredEvent | undefined;
    for (const [occurredAt, deviceAgeMs] of [
      [t0, 400 * 86_400_000],
      [0, 0],
      [-86_400_000 - 1, 1],
      [t0 + 0.5, 1.25],
      [Number.MAX_SAFE_INTEGER, 2 ** 31],
      [t0, undefined],
      [t0, 0.5],
      [t0, 2 ** 60],
      [2 ** 60, 5],
      [t0, t0 + 86_400_000],
      [-(2 ** 53), 2 ** 53 - 1],
      [Number.NaN, 5],
      [t0, Number.NaN],
      [Number.POSITIVE_INFINITY, undefined],
    ] as const) {
      // Alone, and after the events before it (each a neighbour the next could share a source with).
      const alone = c.compact(full({ occurredAt, deviceAgeMs }), 'alice', 'ip', 'd', undefined, undefined);
      const e = c.compact(full({ occurredAt, deviceAgeMs }), 'alice', 'ip', 'd', previous, undefined);
      for (const x of [alone, e]) expect([x.occurredAt, x.deviceAgeMs]).toEqual([occurredAt, deviceAgeMs]);
      const back = StoredEvent.restored(...storedId(e.id), e.type, occurredAt, e.source, e.session, e.purchase, deviceAgeMs, 0, 0);
      expect([back.occurredAt, back.deviceAgeMs]).toEqual([occurredAt, deviceAgeMs]);
      previous = e;
    }
    expect(previous?.occurredAt).toBe(Number.POSITIVE_INFINITY);
  });

  it("shares the source of a device's consecutive events, whose ages grow with their time, but not across twelve days or another first sight", () => {
    const c = new EventCompactor();
    const firstSeen = t0 - 40 * 86_400_000;
    const at = (occurredAt: number, near: StoredEvent | undefined, seen = firstSeen) =>
      c.compact(full({ occurredAt, deviceAgeMs: occurredAt - seen }), 'alice', '81.2.69.160', 'dev-1', near, undefined);
    const first = at(t0, undefined);
    const later = at(t0 + 3_600_000, first);
    expect(later.source).toBe(first.source);
    expect([later.occurredAt, later.deviceAgeMs]).toEqual([t0 + 3_600_000, t0 + 3_600_000 - firstSeen]);
    expect(later.ownBytes).toBeLessThan(first.ownBytes);
    // The device forgotten and seen anew: another first sight, another source.
    const relearnt = at(t0 + 7_200_000, later, t0 + 7_000_000);
    expect(relearnt.source).not.toBe(later.source);
    expect(relearnt.deviceAgeMs).toBe(200_000);
    // Past the end of its period of 2^30 ms (about twelve days): the time's high half changes.
    const boundary = Math.ceil(t0 / 2 ** 30) * 2 ** 30;
    const before = at(boundary - 1, first);
    const after = at(boundary, before);
    expect(before.source).toBe(first.source);
    expect(after.source).not.toBe(before.source);
    expect([after.occurredAt, after.deviceAgeMs]).toEqual([boundary, boundary - firstSeen]);
    // An event kept whole (a time that is not whole milliseconds) has a source of its own, which the
    // next event does not take either.
    const odd = at(t0 + 0.5, first);
    expect(odd.source).not.toBe(first.source);
    const next = at(t0 + 1, odd);
    expect(next.source).not.toBe(odd.source);
    expect([odd.occurredAt, odd.deviceAgeMs, next.occurredAt, next.deviceAgeMs]).toEqual([
      t0 + 0.5,
      t0 + 0.5 - firstSeen,
      t0 + 1,
      t0 + 1 - firstSeen,
    ]);
    // A restore refuses an event that does not fit the source it names.
    expect(() => StoredEvent.restored(...storedId(later.id), later.type, t0 + 5, later.source, undefined, undefined, 5, 0, 0)).toThrow(
      /does not fit its source/,
    );
  });

  it('shares one locality among the places of a city, whoever is there, and keeps each place its network', () => {
    const c = new EventCompactor();
    const at = (user: string, network: string, over: Partial<PastEvent> = {}) =>
      c.compact(full({ user, network, ...over }), user, `${network}.1`, `dev-${user}`, undefined, undefined);
    const first = at('alice', '81.2.69.0/24');
    const second = at('bob', '86.1.2.0/24');
    expect(second.place).not.toBe(first.place);
    expect(second.place.locality).toBe(first.place.locality);
    expect([second.network, second.country, second.city, second.latitude, second.longitude, second.accuracyKm]).toEqual([
      '86.1.2.0/24',
      'GB',
      'London',
      51.5072,
      -0.1276,
      20,
    ]);
    // The second paid for its place, not for the locality it shares.
    const third = at('carol', '90.1.2.0/24', { city: 'Leeds', latitude: 53.8 });
    expect(third.place.locality).not.toBe(first.place.locality);
    expect(third.ownBytes - second.ownBytes).toBeGreaterThan(0);
    // No two different localities share one: another country, a name with the pool key's separators,
    // an absent field against a present one.
    const given: Array<[string, Partial<PastEvent>]> = [
      ['dan', { country: 'CA' }],
      ['eve', { country: 'GB|Lon', city: 'don' }],
      ['fay', { country: 'GB', city: 'Lon|don' }],
      ['gus', { accuracyKm: undefined }],
      ['hal', { latitude: -0 }],
      ['ivy', { latitude: 0 }],
    ];
    const others = given.map(([user, over], k) => at(user, `${k + 1}.0.0.0/24`, over));
    expect(new Set([first, ...others].map((e) => e.place.locality)).size).toBe(others.length + 1);
    // Each reads back what it was given.
    const geo = (e: PastEvent) => [e.country, e.city, e.latitude, e.longitude, e.accuracyKm];
    given.forEach(([user, over], k) => {
      expect(geo(others[k] as StoredEvent)).toEqual(geo(full({ user, ...over })));
    });
    expect(Object.is(others[4]?.latitude, -0)).toBe(true);
    // A longitude alone is kept too.
    const east = at('kim', '8.0.0.0/24', {
      network: undefined,
      country: undefined,
      city: undefined,
      latitude: undefined,
      accuracyKm: undefined,
    });
    expect([east.network, east.longitude]).toEqual([undefined, -0.1276]);
    // Without any geography, no locality of its own.
    const bare = at('jo', '7.0.0.0/24', {
      country: undefined,
      city: undefined,
      latitude: undefined,
      longitude: undefined,
      accuracyKm: undefined,
    });
    expect([bare.country, bare.city, bare.latitude, bare.network]).toEqual([undefined, undefined, undefined, '7.0.0.0/24']);
  });

  it('keeps a purchase and a path together, and shares its client with the previous event', () => {
    const c = new EventCompactor();
    const first = c.compact(full(), 'alice', 'ip', 'd', undefined, undefined);
    expect([first.amount, first.path]).toEqual([129.99, '/checkout']);
    const view = c.compact(
      full({
        type: 'page.viewed',
        amount: undefined,
        currency: undefined,
        merchant: undefined,
        paymentMethod: undefined,
        category: undefined,
        path: '/home',
      }),
      'alice',
      'ip',
      'd',
      first,
      undefined,
    );
    expect([view.amount, view.currency, view.path]).toEqual([undefined, undefined, '/home']);
    expect(view.client).toBe(first.client);
  });

  it('is charged to its first holder, and the charge moves to the next one that still holds it', () => {
    const c = new EventCompactor();
    const e = c.compact(full(), 'alice', 'ip', 'd', undefined, undefined);
    expect([e.held, e.chargedTo]).toEqual([false, undefined]);
    expect(e.hold(HolderKind.user)).toBe(true);
    expect(e.hold(HolderKind.ip)).toBe(false);
    expect(e.hold(HolderKind.profile)).toBe(false);
    expect(e.release(HolderKind.ip)).toBe(NOT_CHARGED);
    expect(e.release(HolderKind.user)).toBe(HolderKind.profile);
    expect(e.chargedTo).toBe(HolderKind.profile);
    expect(e.release(HolderKind.profile)).toBe(NOBODY);
    expect([e.held, e.chargedTo]).toEqual([false, undefined]);
    // The flags, the type and the bytes are left as they were, through a restore's charge too.
    e.restoreCharge(HolderKind.device);
    expect(e.chargedTo).toBe(HolderKind.device);
    expect([e.newDevice, e.newCountry, e.untrustedSource, e.untrustedNetwork]).toEqual([null, false, true, false]);
    expect(e.type).toBe('transaction');
    expect(e.ownBytes).toBe(new EventCompactor().compact(full(), 'alice', 'ip', 'd', undefined, undefined).ownBytes);
  });
});
