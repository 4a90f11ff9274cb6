import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Enrichment, UserAgentInfo } from '../domain/activity-event.js';
import type { EventType } from '../domain/event-schema.js';
import { AlertBook } from './alert-book.js';
import { DetectionEngine } from './engine.js';
import { decodeSnapshot, encodeSnapshot, encodeSnapshotInSlices, type SnapshotMeta } from './history-snapshot.js';
import { DEFAULT_LIMITS, type HistoryState, MemoryHistory } from './memory-history.js';
import { RuleSet } from './rule-set.js';
import { BUILTIN_RULES } from './rules/index.js';
import { DEFAULT_SCORING } from './scoring.js';
import { ChargeFreeze, type StoredEvent } from './stored-event.js';

const T0 = Date.parse('2026-11-24T10:00:00Z');
const MIN = 60_000;
const chrome: UserAgentInfo = {
  browser: 'Chrome',
  browserVersion: '120',
  os: 'Windows',
  osVersion: '10',
  deviceClass: 'desktop',
  summary: 'Chrome 120 on Windows 10',
};
const safari: UserAgentInfo = {
  browser: 'Safari',
  browserVersion: '17',
  os: 'iOS',
  osVersion: '17.1',
  deviceClass: 'mobile',
  summary: 'Safari 17 on iOS 17.1',
};

function engineOn(history: MemoryHistory) {
  return new DetectionEngine({
    memory: { history, alerts: new AlertBook() },
    book: {
      rules: new RuleSet(
        BUILTIN_RULES.map((rule) => ({
          rule,
          kind: 'builtin' as const,
          config: rule.defaults,
          version: 0,
          updatedAt: null,
          updatedBy: null,
          mode: 'live' as const,
        })),
      ),
    },
    policy: DEFAULT_SCORING,
    clock: { now: () => T0 + 600 * MIN },
    onRuleError: (id, e) => {
      throw new Error(`${id}: ${String(e)}`);
    },
  });
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const crockford = (n: number, length: number) => {
  let text = '';
  for (let k = 0; k < length; k++, n = Math.floor(n / 32)) text = CROCKFORD[n % 32] + text;
  return text;
};
/**
 * An id as Vigil makes them (core/ids.ts: time, then random), its random part made from `i` (the same
 * at every call) and spread over all its 80 bits, so that the packed words take every value, negative
 * ones too.
 */
const vigilId = (i: number) => {
  let random = '';
  for (let k = 0, x = (i + 1) * 2654435761; k < 16; k++, x = (x * 1103515245 + 12345) % 2 ** 31) random += CROCKFORD[x % 32];
  return `evt_${crockford(T0 + i * MIN, 10)}${random}`;
};

/**
 * A day of a small shop: ordinary logins, page views and purchases of 40 accounts, new devices and
 * countries now and then, a failed-login burst and a takeover story (so that story marks exist),
 * enough purchases for the population's baseline. Event `i` of `count`, from minute `from`.
 */
function traffic(from: number, count: number) {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const user = `u${i % 40}`;
    const odd = i % 17 === 0;
    const type: EventType = i % 29 === 0 ? 'login.failed' : i % 5 === 0 ? 'transaction' : i % 3 === 0 ? 'page.viewed' : 'login.succeeded';
    const event = {
      // Mostly ids Vigil made (kept packed), a client's own now and then (kept as text).
      id: i % 7 === 3 ? `e${i}` : vigilId(i),
      type,
      user: i >= 300 && i < 310 ? 'victim' : user,
      occurredAt: T0 + i * MIN,
      ip: odd ? `45.${i % 200}.1.${i % 250}` : `81.2.${i % 40}.10`,
      device: odd ? `new-${i}` : `dev-${i % 40}`,
      session: `s-${Math.floor(i / 7)}`,
      userAgent: odd ? 'Mozilla/5.0 (iPhone)' : 'Mozilla/5.0 (Windows NT 10.0)',
      ...(type === 'transaction' && {
        amount: i % 50 === 0 ? 2500 : 10 + (i % 90),
        currency: i % 11 === 0 ? 'GBP' : 'EUR',
        merchant: `shop-${i % 13}`,
        paymentMethod: `card-${i % 40}`,
        attributes: { merchantCategory: i % 2 === 0 ? 'books' : 'games' },
      }),
      ...(type === 'page.viewed' && { path: `/p/${i % 9}` }),
    };
    const enrichment: Enrichment = {
      ipScope: 'public',
      network: odd ? `45.${i % 200}.1.0/24` : `81.2.${i % 40}.0/24`,
      geo: odd
        ? { country: 'BR', city: 'São Paulo', latitude: -23.5, longitude: -46.6, accuracyKm: 20 }
        : { country: 'GB', city: 'London', latitude: 51.5, longitude: -0.1 },
      userAgent: odd ? safari : chrome,
      novelty: { hasHistory: i > 40, newDevice: odd, newCountry: odd ? true : i < 40 ? null : false, newNetwork: odd },
      ...(i % 4 !== 0 && {
        familiarity: {
          device: { firstSeenAt: T0 - 86_400_000, ageMs: 86_400_000, days: 3, via: 'login', proven: false, trusted: !odd },
          network: null,
          country: null,
          paymentMethod: null,
        },
      }),
    };
    return { event, enrichment };
  });
}

const meta: SnapshotMeta = {
  takenAt: T0 + 600 * MIN,
  anchorEventId: 'e499',
  retentionMs: DEFAULT_LIMITS.retentionMs,
  maxEventsPerKey: 300,
};

function snapshotOf(history: MemoryHistory): Buffer {
  return encodeSnapshot(meta, history.exportState());
}

function restored(bytes: Buffer): MemoryHistory {
  const decoded = decodeSnapshot(bytes);
  if ('problem' in decoded) throw new Error(decoded.problem);
  const history = new MemoryHistory();
  history.restore(decoded.state);
  return history;
}

function withoutAlertIds(state: HistoryState) {
  return state.keys.map((k) => (k.kind === 'story' ? { ...k, marks: k.marks.map(({ alertId: _, ...m }) => m) } : k));
}

describe('detection snapshot', () => {
  it('encoded in slices while events go on being scored, holds the state of the moment it was taken', async () => {
    // Timelines of 40 events at most, full: each event scored during the encoding drops an older one,
    // which moves the charges of events the snapshot holds, and timelines that long change in place.
    const limits = { ...DEFAULT_LIMITS, maxEventsPerKey: 40 };
    const live = new MemoryHistory(limits);
    const engine = engineOn(live);
    for (const { event, enrichment } of traffic(0, 2000)) engine.score(event, enrichment);
    const taken = { ...meta, retentionMs: limits.retentionMs, maxEventsPerKey: limits.maxEventsPerKey };
    const atOnce = encodeSnapshot(taken, live.exportState());

    const charges = new ChargeFreeze();
    // A pause after every key and every event, and the event loop's turn at every pause.
    const sliced = encodeSnapshotInSlices(taken, live.exportState(), (e) => charges.chargedTo(e), { sliceMs: 0, step: 1 });
    let encoded = false;
    void sliced.finally(() => {
      encoded = true;
    });
    // Between every two slices, one more event is scored.
    let scored = 2000;
    for (; !encoded; scored++) {
      for (const { event, enrichment } of traffic(scored, 1)) engine.score(event, enrichment);
      await new Promise((resolve) => setImmediate(resolve));
    }
    charges.close();
    expect(scored).toBeGreaterThan(2500);
    expect((await sliced).equals(atOnce)).toBe(true);
    // The history did move on meanwhile: a snapshot of it now is another.
    expect(snapshotOf(live).equals(atOnce)).toBe(false);
  });

  it('restores the same detection state, and the next events score the same as without the restart', () => {
    const live = new MemoryHistory();
    const liveEngine = engineOn(live);
    for (const { event, enrichment } of traffic(0, 500)) liveEngine.score(event, enrichment);
    // A visit: a login and page views from one device and address (and one session), which share a source.
    const { enrichment } = traffic(1, 1)[0] as ReturnType<typeof traffic>[number];
    for (let k = 0; k < 4; k++) {
      const type: EventType = k === 0 ? 'login.succeeded' : 'page.viewed';
      const visit = { id: `visit-${k}`, type, user: 'shopper', occurredAt: T0 + (495 + k) * MIN, ip: '81.2.99.10', device: 'dev-shopper' };
      liveEngine.score(
        { ...visit, session: 's-visit', userAgent: 'Mozilla/5.0 (Windows NT 10.0)', ...(k > 0 && { path: '/cart' }) },
        enrichment,
      );
    }
    const bytes = snapshotOf(live);

    const back = restored(bytes);
    const before: HistoryState = live.exportState();
    expect(before.keys.some((k) => k.kind === 'story')).toBe(true);
    expect(before.population.length).toBeGreaterThan(0);
    expect(back.exportState()).toEqual(before);
    // The parts events shared (who, where and with what; places; browsers; purchases) are shared again,
    // no more and no fewer of them: the restored history's memory is the live one's.
    const partsOf = (state: HistoryState) => {
      const events = new Set(state.keys.flatMap((k) => ('events' in k ? (k.events as StoredEvent[]) : [])));
      return {
        events: events.size,
        sources: new Set([...events].map((e) => e.source)).size,
        places: new Set([...events].map((e) => e.place)).size,
        localities: new Set([...events].map((e) => e.place.locality)).size,
        clients: new Set([...events].map((e) => e.client)).size,
        purchases: new Set([...events].map((e) => e.purchase)).size,
      };
    };
    const liveParts = partsOf(before);
    expect(liveParts.sources).toBeLessThan(liveParts.events);
    expect(liveParts.places).toBeLessThan(liveParts.sources);
    expect(liveParts.localities).toBeLessThan(liveParts.places);
    expect(partsOf(back.exportState())).toEqual(liveParts);
    // Story marks come back from their columns field for field, an absent field absent (not undefined).
    const marksOf = (state: HistoryState) => state.keys.flatMap((k) => (k.kind === 'story' ? k.marks : []));
    expect(marksOf(before).length).toBeGreaterThan(0);
    expect(marksOf(back.exportState())).toStrictEqual(marksOf(before));
    expect(back.memory()).toEqual(live.memory());
    expect(back.populationAmount('EUR', 'books')).toEqual(live.populationAmount('EUR', 'books'));
    // Ids come back as they were, Vigil's (packed) and the client's (text) alike.
    const idsOf = (h: MemoryHistory) => h.forUser('u3', 0, Number.MAX_SAFE_INTEGER).map((e) => e.id);
    expect(idsOf(live)).toEqual(expect.arrayContaining([vigilId(3 + 40), 'e3']));
    expect(idsOf(back)).toEqual(idsOf(live));
    expect(back.holds({ id: vigilId(43), type: 'login.failed', user: 'u3', occurredAt: T0 + 43 * MIN })).toBe(true);
    expect(back.holds({ id: vigilId(44), type: 'login.failed', user: 'u3', occurredAt: T0 + 43 * MIN })).toBe(false);

    const backEngine = engineOn(back);
    const verdicts = (engine: DetectionEngine) =>
      traffic(500, 200).map(({ event, enrichment }) => {
        const v = engine.score(event, enrichment);
        return { decision: v.decision, risk: v.risk, severity: v.severity, reasons: v.reasons };
      });
    const expected = verdicts(liveEngine);
    expect(expected.some((v) => v.risk > 0)).toBe(true);
    expect(verdicts(backEngine)).toEqual(expected);
    // The same state after them too, but for the ids of alerts raised after the restart: each engine
    // here has an alert book of its own (a server loads its open alerts from the database).
    expect(withoutAlertIds(back.exportState())).toEqual(withoutAlertIds(live.exportState()));
  });

  it('keeps every text as it was: accents, other scripts, emoji, and lone surrogates that UTF-8 cannot hold', () => {
    const live = new MemoryHistory();
    const engine = engineOn(live);
    const names = ['zoë', 'ユーザー', 'bad\ud800name', '\udc00', 'emoji-😀', 'plain'];
    const events = traffic(0, 120).map(({ event, enrichment }, i) => ({
      event: {
        ...event,
        id: i % 7 === 0 ? `e${i}-\ud83d` : `e${i}-ü`,
        user: names[i % names.length] as string,
        session: `s-${i % 5}-\udfff`,
      },
      enrichment,
    }));
    for (const { event, enrichment } of events) engine.score(event, enrichment);
    const before = live.exportState();
    const users = before.keys.filter((k) => k.kind === 'user').map((k) => k.key);
    expect(users).toEqual(expect.arrayContaining(names));
    const back = restored(snapshotOf(live));
    expect(back.exportState()).toEqual(before);
    expect(back.forUser('bad\ud800name', 0, Number.MAX_SAFE_INTEGER).map((e) => e.id)).toEqual(
      live.forUser('bad\ud800name', 0, Number.MAX_SAFE_INTEGER).map((e) => e.id),
    );
  });

  it('shares one copy of each event between its user, IP and device, as the live history does', () => {
    const live = new MemoryHistory();
    const engine = engineOn(live);
    for (const { event, enrichment } of traffic(0, 50)) engine.score(event, enrichment);
    const back = restored(snapshotOf(live));
    const [fromUser] = back.forUser('u1', T0, T0 + 10 * MIN);
    const [fromDevice] = back.forDevice('dev-1', T0, T0 + 10 * MIN);
    expect(fromUser).toBeDefined();
    expect(fromUser).toBe(fromDevice);
  });

  it("brings back each account's profile as it was: its ring of login minutes in order, its merchants", () => {
    const live = new MemoryHistory();
    const day = 86_400_000;
    // One account with more logins than the ring holds and many merchants, one with a single merchant,
    // one with a login at no time of day.
    for (let k = 0; k < 40; k++) {
      live.record({ id: `l${k}`, type: 'login.succeeded', user: 'many', occurredAt: T0 - 60 * day + k * day + ((k * 397) % 1440) * MIN });
      live.record({
        id: `t${k}`,
        type: 'transaction',
        user: 'many',
        occurredAt: T0 + k,
        amount: 10 + k,
        currency: 'EUR',
        merchant: `m${k % 20}`,
      });
    }
    live.record({ id: 'one-t', type: 'transaction', user: 'one', occurredAt: T0, amount: 5, currency: 'EUR', merchant: 'only-shop' });
    live.record({ id: 'one-l', type: 'login.succeeded', user: 'one', occurredAt: Number.NaN });
    const back = restored(snapshotOf(live));
    for (const user of ['many', 'one']) {
      const [was, is] = [live.profileOf(user), back.profileOf(user)];
      expect(was).toBeDefined();
      expect(Array.from(is?.loginMinutes ?? [])).toEqual(Array.from(was?.loginMinutes ?? []));
      expect(is?.merchants).toEqual(was?.merchants);
      expect([is?.logins, is?.transactions, is?.lastTransactionAt, is?.lastLogin?.id]).toEqual([
        was?.logins,
        was?.transactions,
        was?.lastTransactionAt,
        was?.lastLogin?.id,
      ]);
    }
    expect(back.profileOf('one')?.merchants).toEqual(['only-shop']);
    expect(Array.from(back.profileOf('one')?.loginMinutes ?? [])).toEqual([Number.NaN]);
    expect(back.profileOf('many')?.loginMinutes.length).toBe(32);
  });

  it('serves again with one list the timelines that held the same events', () => {
    const live = new MemoryHistory();
    // Forty users, each alone on an address and a device, a few events each, one after the other.
    for (let u = 0; u < 40; u++)
      for (let k = 0; k < 1 + (u % 6); k++)
        live.record({
          id: `e${u}-${k}`,
          type: 'login.failed',
          user: `u${u}`,
          occurredAt: T0 + u * MIN + k,
          ip: `192.0.2.${u}`,
          device: `d${u}`,
        });
    const before = live.timelineLists();
    expect(before.lists).toBeLessThan(before.keys);
    const back = restored(snapshotOf(live));
    // As many keys and lists as before: here each key's timeline is shared only with the key written
    // just before it (a restore can share more than the live history did in other traffic).
    expect(back.timelineLists()).toEqual(before);
    for (const u of [5, 11, 39])
      expect(back.forDevice(`d${u}`, 0, Number.MAX_SAFE_INTEGER).map((e) => e.id)).toEqual(
        live.forDevice(`d${u}`, 0, Number.MAX_SAFE_INTEGER).map((e) => e.id),
      );
  });

  it('refuses a damaged file, another format version, and what is not a snapshot', () => {
    const live = new MemoryHistory();
    const engine = engineOn(live);
    for (const { event, enrichment } of traffic(0, 100)) engine.score(event, enrichment);
    const bytes = snapshotOf(live);

    const flipped = Buffer.from(bytes);
    flipped[bytes.length - 3] = (flipped[bytes.length - 3] as number) ^ 0xff;
    expect(decodeSnapshot(flipped)).toEqual({ problem: 'checksum mismatch (damaged file)' });
    expect(decodeSnapshot(bytes.subarray(0, bytes.length - 8))).toEqual({ problem: 'checksum mismatch (damaged file)' });

    const newer = Buffer.from(bytes);
    newer.writeUInt32LE(99, 8);
    expect(decodeSnapshot(newer)).toEqual({ problem: 'format version 99, this Vigil reads 11' });
    // Versions 1 (before events' own bytes were kept), 2 (before each event was charged to one
    // holder), 3 (story marks in the JSON part), 4 (strings and ids in the JSON part), 5 (every
    // field of every event, not the parts they share), 6 (every id as text), 7 (timelines with a
    // day of page views), 8 (sources without their events' times), 9 (keys charged a row of the
    // budget each) and 10 (story marks charged a flat 120 bytes each) are refused too: the start
    // replays in full.
    for (const version of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
      const older = Buffer.from(bytes);
      older.writeUInt32LE(version, 8);
      expect(decodeSnapshot(older)).toEqual({ problem: `format version ${version}, this Vigil reads 11` });
    }
    expect(decodeSnapshot(Buffer.from('{"not":"a snapshot"}'))).toEqual({ problem: 'not a detection snapshot' });
  });

  it('refuses text columns that do not add up, even under a checksum that matches (a file written wrong)', () => {
    const live = new MemoryHistory();
    const engine = engineOn(live);
    for (const { event, enrichment } of traffic(0, 100)) engine.score(event, enrichment);
    const bytes = snapshotOf(live);
    /** Where a section's values begin in the file, and their width. */
    const sectionAt = (file: Buffer, section: string) => {
      const jsonLength = file.readUInt32LE(12);
      const { sections } = JSON.parse(file.subarray(48, 48 + jsonLength).toString('utf8')) as {
        sections: Array<{ name: string; type: string; length: number }>;
      };
      const width = { f64: 8, i32: 4, u32: 4, u8: 1 } as Record<string, number>;
      let at = 48 + ((jsonLength + 7) & ~7);
      for (const s of sections) {
        if (s.name === section) return { at, length: s.length };
        at += (s.length * (width[s.type] as number) + 7) & ~7;
      }
      throw new Error(`no section ${section}`);
    };
    /** A copy with its bytes changed by `change`, and the SHA-256 made to match again. */
    const changed = (change: (copy: Buffer) => void) => {
      const copy = Buffer.from(bytes);
      change(copy);
      createHash('sha256').update(copy.subarray(48)).digest().copy(copy, 16);
      return copy;
    };
    /** A copy with one u32 of a section changed. */
    const withU32 = (section: string, index: number, value: (old: number) => number) =>
      changed((copy) => {
        const { at, length } = sectionAt(copy, section);
        const where = at + 4 * (index < 0 ? length + index : index);
        copy.writeUInt32LE(value(copy.readUInt32LE(where)), where);
      });
    expect(decodeSnapshot(withU32('text.ids.ends', 0, () => 0xffffffff))).toEqual({ problem: 'unreadable (text 0 ends out of order)' });
    expect(decodeSnapshot(withU32('text.strings.ends', -1, (end) => end - 1))).toEqual({
      problem: 'unreadable (texts do not fill their bytes)',
    });
    // A part out of range (an event naming a source past the sources, a source its place) is refused
    // when the file is decoded, before the restore takes anything.
    expect(decodeSnapshot(withU32('event.source', 0, () => 1 << 30))).toEqual({
      problem: `unreadable (event.source ${1 << 30} out of range)`,
    });
    expect(decodeSnapshot(withU32('source.place', -1, () => 0xffffffff))).toEqual({ problem: 'unreadable (source.place -1 out of range)' });
    // An event of a type Vigil does not know (here: a key's name), a key's estimate that is not a number.
    expect(decodeSnapshot(withU32('event.type', 0, () => 0))).toEqual({
      problem: expect.stringMatching(/^unreadable \(event type ".+" unknown\)$/),
    });
    // A story mark of a type or severity Vigil does not know (the restore keeps marks by their places).
    expect(sectionAt(bytes, 'mark.type').length).toBeGreaterThan(0);
    expect(decodeSnapshot(withU32('mark.type', 0, () => 0))).toEqual({
      problem: expect.stringMatching(/^unreadable \(unknown event type ".+"\)$/),
    });
    expect(decodeSnapshot(withU32('mark.severity', 0, () => 0))).toEqual({
      problem: expect.stringMatching(/^unreadable \(unknown mark severity ".+"\)$/),
    });
    // The high half of the first estimate (a double) all ones: NaN.
    expect(decodeSnapshot(withU32('key.bytes', 1, () => 0xffffffff))).toEqual({ problem: 'unreadable (key 0 estimated at NaN bytes)' });
    // The first event owning bytes that are not whole 8-byte units, or more than an event can own.
    const withOwn = (own: number) => changed((copy) => copy.writeDoubleLE(own, sectionAt(copy, 'event.ownBytes').at));
    expect(decodeSnapshot(withOwn(121))).toEqual({ problem: 'unreadable (event 0 owns 121 bytes)' });
    expect(decodeSnapshot(withOwn(32_768))).toEqual({ problem: 'unreadable (event 0 owns 32768 bytes)' });
    expect(decodeSnapshot(withOwn(32_760))).not.toHaveProperty('problem');
    // The first event a millisecond later, or its source's device first seen a millisecond earlier:
    // the event's time and device age are no longer its source's (the other events sharing it would
    // be read wrong), and the file is refused.
    const laterFirst = changed((copy) => {
      const { at } = sectionAt(copy, 'event.occurredAt');
      copy.writeDoubleLE(copy.readDoubleLE(at) + 2 ** 30, at);
    });
    expect(decodeSnapshot(laterFirst)).toEqual({ problem: "unreadable (event 0 does not fit its source's time)" });
    const kept = live.exportState().keys.flatMap((k) => (k.kind === 'user' ? k.events : []));
    expect(kept.filter((e) => e.deviceAgeMs !== undefined).length).toBeGreaterThan(0);
    const sinceMoved = changed((copy) => {
      const { at, length } = sectionAt(copy, 'source.deviceSince');
      for (let k = 0; k < length; k++) copy.writeDoubleLE(copy.readDoubleLE(at + 8 * k) - 1, at + 8 * k);
    });
    expect(decodeSnapshot(sinceMoved)).toEqual({
      problem: expect.stringMatching(/^unreadable \(event \d+ does not fit its source's time\)$/),
    });
    // The first four events' ids marked as text (event.presence is a byte an event): more ids as text
    // than the text column holds.
    expect(decodeSnapshot(withU32('event.presence', 0, (old) => old | 0x02020202))).toEqual({
      problem: 'unreadable (ids do not match the events)',
    });
    // The same copy, unchanged but for its checksum made anew, is read: the checks above are the columns'.
    expect(decodeSnapshot(withU32('text.ids.ends', 0, (end) => end))).not.toHaveProperty('problem');
  });

  it('refuses a JSON part whose parsed user agents or last logins are not what it wrote, under a checksum that matches', () => {
    const live = new MemoryHistory();
    const engine = engineOn(live);
    for (const { event, enrichment } of traffic(0, 100)) engine.score(event, enrichment);
    const bytes = snapshotOf(live);
    /** A copy with its JSON part changed, the columns after it as they were, and the SHA-256 made to match. */
    const withJson = (change: (json: { userAgents: unknown[]; values: Array<{ profile?: { lastLogin: number } }> }) => void) => {
      const jsonLength = bytes.readUInt32LE(12);
      const json = JSON.parse(bytes.subarray(48, 48 + jsonLength).toString('utf8'));
      change(json);
      const text = Buffer.from(JSON.stringify(json), 'utf8');
      const padded = Buffer.alloc((text.length + 7) & ~7, 0x20);
      text.copy(padded);
      const copy = Buffer.concat([bytes.subarray(0, 48), padded, bytes.subarray(48 + ((jsonLength + 7) & ~7))]);
      copy.writeUInt32LE(text.length, 12);
      createHash('sha256').update(copy.subarray(48)).digest().copy(copy, 16);
      return copy;
    };
    expect(decodeSnapshot(withJson(() => {}))).not.toHaveProperty('problem');
    // A parsed user agent of null would be handed to the rules, and pooled for the events after the start.
    expect(
      decodeSnapshot(
        withJson((json) => {
          json.userAgents[0] = null;
        }),
      ),
    ).toEqual({ problem: 'unreadable (user agents not as parsed)' });
    // An account's last login by a number that is not an event's (a fraction reads no column).
    expect(
      decodeSnapshot(
        withJson((json) => {
          const profile = json.values.find((v) => v.profile !== undefined && v.profile.lastLogin >= 0)?.profile;
          if (profile === undefined) throw new Error('no profile with a last login');
          profile.lastLogin = 0.5;
        }),
      ),
    ).toEqual({ problem: 'unreadable (event 0.5 out of range)' });
  });

  it('keeps the byte budget on restore: a smaller budget forgets the least recently active keys first', () => {
    const live = new MemoryHistory();
    const engine = engineOn(live);
    for (const { event, enrichment } of traffic(0, 500)) engine.score(event, enrichment);
    const decoded = decodeSnapshot(snapshotOf(live));
    if ('problem' in decoded) throw new Error(decoded.problem);
    const budgetBytes = Math.floor(live.memory().bytes / 2);
    const small = new MemoryHistory({ ...DEFAULT_LIMITS, budgetBytes });
    small.restore(decoded.state);
    expect(small.memory().bytes).toBeLessThanOrEqual(budgetBytes);
    expect(small.memory().evictedKeys).toBeGreaterThan(0);
    // The most recently active user is kept, the least recently active one is not.
    const users = decoded.state.keys.filter((k) => k.kind === 'user');
    expect(small.forUser((users.at(-1) as { key: string }).key, 0, Number.MAX_SAFE_INTEGER).length).toBeGreaterThan(0);
    expect(small.forUser((users[0] as { key: string }).key, 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });
});
