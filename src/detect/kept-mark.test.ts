import { describe, expect, it } from 'vitest';
import { newId } from '../core/ids.js';
import { EVENT_TYPES } from '../domain/vocabulary.js';
import { stringBytes } from './byte-budget.js';
import type { StoryMark } from './history.js';
import { isMarkOf, KeptMark } from './kept-mark.js';
import { DEFAULT_LIMITS, MemoryHistory } from './memory-history.js';

const t0 = Date.parse('2026-11-24T10:00:00Z');
const MIN = 60_000;

/** A mark as the engine hands it over: its texts its own copies, as a parsed event's are. */
const mark = (over: Partial<StoryMark> = {}): StoryMark => ({
  eventId: newId('evt', t0 + 7),
  type: 'login.succeeded',
  occurredAt: t0,
  risk: 72,
  severity: 'high',
  rule: 'session-hijack',
  message: ['Session used from 100.64.1.2 (US) ', 'on another device'].join(''),
  session: ['s', '1'].join('-'),
  device: ['phone', '1'].join('-'),
  alertId: 'alrt_1',
  ...over,
});

/** The mark without its session, device and alert (absent, as a mark without them has them). */
function withoutOptional(m: StoryMark): StoryMark {
  const { session: _s, device: _d, alertId: _a, ...rest } = m;
  return rest;
}

describe('KeptMark', () => {
  it('answers every field as it was given, for each type, severity and kind of id and time', () => {
    const cases: StoryMark[] = [
      mark(),
      withoutOptional(mark({ eventId: 'shop-order-991' })),
      ...EVENT_TYPES.map((type, i) => mark({ type, severity: (['low', 'medium', 'high', 'critical'] as const)[i % 4] ?? 'low', risk: i })),
      // Times that are not safe integers are kept as they came (a PastEvent may carry any number);
      // negative ones, zero and -0 come back too.
      mark({ occurredAt: t0 + 0.5 }),
      mark({ occurredAt: Number.NaN }),
      mark({ occurredAt: 2 ** 60 }),
      mark({ occurredAt: -t0 }),
      mark({ occurredAt: 0 }),
      mark({ occurredAt: -0 }),
      mark({ eventId: newId('alrt', t0) }),
    ];
    for (const m of cases) {
      const kept = KeptMark.of(m);
      expect(kept.plain()).toStrictEqual(m);
      expect(Object.is(kept.occurredAt, m.occurredAt)).toBe(true);
    }
    // Vigil's own event ids are packed; any other id (another prefix, the shop's own) stays text.
    expect(KeptMark.of(mark()).constructor.name).toBe('PackedIdMark');
    expect(KeptMark.of(mark({ eventId: newId('alrt', t0) })).constructor.name).toBe('TextIdMark');
    expect(KeptMark.of(mark({ eventId: 'shop-order-991' })).constructor.name).toBe('TextIdMark');
  });

  it('takes the history’s session and device only when they are equal to its own', () => {
    // (Whether it holds the very same string, JavaScript cannot tell; bench/detection-memory.ts's heap can.)
    const m = mark();
    const other = KeptMark.of(m, { session: 's-2', device: 'phone-2' });
    expect([other.session, other.device]).toEqual(['s-1', 'phone-1']);
    const equal = KeptMark.of(m, { session: 's-1', device: 'phone-1' });
    expect([equal.session, equal.device]).toEqual(['s-1', 'phone-1']);
    const none = KeptMark.of(withoutOptional(m), { session: 's-1', device: 'phone-1' });
    expect([none.session, none.device]).toEqual([undefined, undefined]);
  });

  it('estimates its object and its texts, the same whether or not its texts are shared', () => {
    // A packed id's mark: a header and thirteen fields; a text id's: ten, and the id's text.
    const packed = KeptMark.of(mark());
    expect(packed.bytes).toBe(24 + 13 * 8 + stringBytes(mark().message) + stringBytes('s-1') + stringBytes('phone-1'));
    expect(KeptMark.of(mark(), { session: 's-1', device: 'phone-1' }).bytes).toBe(packed.bytes);
    const text = KeptMark.of(withoutOptional(mark({ eventId: 'shop-order-991' })));
    expect(text.bytes).toBe(24 + 10 * 8 + stringBytes(mark().message) + stringBytes('shop-order-991'));
  });

  it('tells whether it is the mark of an event by id, packed or kept as text', () => {
    const id = newId('evt', t0);
    const packed = KeptMark.of(mark({ eventId: id }));
    expect(isMarkOf(packed, id)).toBe(true);
    expect(isMarkOf(packed, newId('evt', t0))).toBe(false);
    expect(isMarkOf(packed, id.toLowerCase())).toBe(false);
    expect(isMarkOf(packed, 'shop-order-991')).toBe(false);
    const text = KeptMark.of(mark({ eventId: 'shop-order-991' }));
    expect(isMarkOf(text, 'shop-order-991')).toBe(true);
    expect(isMarkOf(text, id)).toBe(false);
    // A plain mark (any other History's) is compared by its id's text.
    expect(isMarkOf(mark({ eventId: id }), id)).toBe(true);
    // Read twice, a packed id gives the same text.
    expect([packed.eventId, packed.eventId]).toEqual([id, id]);
  });

  it('refuses a type or a severity it cannot keep', () => {
    expect(() => KeptMark.of(mark({ type: 'login.teleported' as StoryMark['type'] }))).toThrow(/unknown event type/);
    expect(() => KeptMark.of(mark({ severity: 'none' as StoryMark['severity'] }))).toThrow(/unknown mark severity/);
  });
});

describe('MemoryHistory’s story marks', () => {
  const event = (id: string, minute: number) => ({
    id,
    type: 'page.viewed' as const,
    user: 'u1',
    occurredAt: t0 + minute * MIN,
    session: ['s', '1'].join('-'),
    device: ['phone', '1'].join('-'),
    ip: '100.64.1.2',
  });

  it('answer the fields of the marked event, held in the user’s timeline or not', () => {
    const history = new MemoryHistory();
    const id = newId('evt', t0);
    history.record(event(id, 0));
    const held = mark({ eventId: id, occurredAt: t0 });
    const alone = mark({ occurredAt: t0 + MIN, session: 's-9' });
    history.recordMark('u1', held);
    history.recordMark('u1', alone);
    expect(history.storyOf('u1', t0, t0 + MIN).map((m) => (m as KeptMark).plain())).toStrictEqual([held, alone]);
  });

  it('are charged what they hold and give it all back when they leave, by count or by age', () => {
    const history = new MemoryHistory({ ...DEFAULT_LIMITS, maxEventsPerKey: 300 });
    const base = history.memory().bytes;
    const first = mark({ occurredAt: t0 });
    history.recordMark('u1', first);
    const oneMark = history.memory().bytes - base;
    expect(oneMark).toBeGreaterThanOrEqual(KeptMark.of(first).bytes);
    // Sixteen marks at most: the seventeenth pushes the oldest out, so the charge stays 16 marks'.
    for (let i = 1; i <= 16; i++) history.recordMark('u1', mark({ occurredAt: t0 + i * MIN }));
    expect(history.storyOf('u1', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(16);
    const sixteen = history.memory().bytes - base;
    expect(sixteen).toBe(oneMark + 15 * KeptMark.of(first).bytes);
    // A mark past the retention behind the newest leaves: the charge drops by its bytes exactly.
    const late = mark({ occurredAt: t0 + DEFAULT_LIMITS.retentionMs + 2 * MIN, message: 'x'.repeat(300) });
    history.recordMark('u1', late);
    const left = history.storyOf('u1', 0, Number.MAX_SAFE_INTEGER);
    expect(left[0]?.occurredAt).toBe(t0 + 2 * MIN);
    expect(history.memory().bytes - base).toBe(oneMark + (left.length - 2) * KeptMark.of(first).bytes + KeptMark.of(late).bytes);
  });
});
