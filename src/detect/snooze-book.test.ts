import { describe, expect, it } from 'vitest';
import { SnoozeBook } from './snooze-book.js';
import type { Snooze } from './snoozes.js';

const T = Date.parse('2026-11-24T12:00:00Z');
const HOUR = 3_600_000;

function snooze(over: Partial<Snooze> = {}): Snooze {
  return {
    id: 'snz_1',
    ruleId: 'impossible-travel',
    user: 'alice',
    until: T + 10 * HOUR,
    reason: 'travelling to Japan',
    createdBy: 'test',
    createdAt: T,
    cancelledAt: null,
    cancelledBy: null,
    ...over,
  };
}

describe('SnoozeBook', () => {
  const cases: Array<{ name: string; book: Snooze[]; cancel?: string; rule: string; user: string; at: number; found: string | undefined }> =
    [
      { name: 'in force', book: [snooze()], rule: 'impossible-travel', user: 'alice', at: T + HOUR, found: 'snz_1' },
      { name: 'at its creation', book: [snooze()], rule: 'impossible-travel', user: 'alice', at: T, found: 'snz_1' },
      {
        name: 'one millisecond before until',
        book: [snooze()],
        rule: 'impossible-travel',
        user: 'alice',
        at: T + 10 * HOUR - 1,
        found: 'snz_1',
      },
      { name: 'exactly at until: ended', book: [snooze()], rule: 'impossible-travel', user: 'alice', at: T + 10 * HOUR, found: undefined },
      { name: 'after until', book: [snooze()], rule: 'impossible-travel', user: 'alice', at: T + 11 * HOUR, found: undefined },
      { name: 'cancelled', book: [snooze()], cancel: 'snz_1', rule: 'impossible-travel', user: 'alice', at: T + HOUR, found: undefined },
      {
        name: 'put already cancelled',
        book: [snooze({ cancelledAt: T, cancelledBy: 'admin' })],
        rule: 'impossible-travel',
        user: 'alice',
        at: T + HOUR,
        found: undefined,
      },
      { name: 'another user', book: [snooze()], rule: 'impossible-travel', user: 'bob', at: T + HOUR, found: undefined },
      { name: 'another rule', book: [snooze()], rule: 'new-login-context', user: 'alice', at: T + HOUR, found: undefined },
      {
        name: 'the second of two rules',
        book: [snooze(), snooze({ id: 'snz_2', ruleId: 'new-login-context' })],
        rule: 'new-login-context',
        user: 'alice',
        at: T + HOUR,
        found: 'snz_2',
      },
      {
        name: 'one of two cancelled, the other still in force',
        book: [snooze(), snooze({ id: 'snz_2', until: T + 20 * HOUR })],
        cancel: 'snz_1',
        rule: 'impossible-travel',
        user: 'alice',
        at: T + HOUR,
        found: 'snz_2',
      },
      { name: 'empty book', book: [], rule: 'impossible-travel', user: 'alice', at: T, found: undefined },
    ];

  it.each(cases)('$name', ({ book: snoozes, cancel, rule, user, at, found }) => {
    const book = new SnoozeBook();
    for (const s of snoozes) book.put(s);
    if (cancel !== undefined) expect(book.cancel(cancel)).toBe(true);
    expect(book.snoozed(rule, user, at)?.id).toBe(found);
  });

  it('loads only the snoozes in force, replacing what it held', () => {
    const book = new SnoozeBook();
    book.put(snooze({ id: 'snz_old', user: 'carol' }));
    book.load(
      [
        snooze(),
        snooze({ id: 'snz_ended', user: 'bob', until: T }),
        snooze({ id: 'snz_cancelled', user: 'dave', cancelledAt: T - HOUR, cancelledBy: 'x' }),
      ],
      T,
    );
    expect(book.size).toBe(1);
    expect(book.snoozed('impossible-travel', 'carol', T + HOUR)).toBeUndefined();
    expect(book.snoozed('impossible-travel', 'alice', T + HOUR)?.id).toBe('snz_1');
  });

  it('replaces a snooze put again under the same id, and prunes ended ones', () => {
    const book = new SnoozeBook();
    book.put(snooze());
    book.put(snooze({ until: T + 2 * HOUR }));
    expect(book.size).toBe(1);
    expect(book.snoozed('impossible-travel', 'alice', T + 3 * HOUR)).toBeUndefined();
    book.put(snooze({ id: 'snz_2', user: 'bob', until: T + 20 * HOUR }));
    book.prune(T + 5 * HOUR);
    expect(book.size).toBe(1);
    expect(book.activeFor('alice', T)).toEqual([]);
    expect(book.activeFor('bob', T).map((s) => s.id)).toEqual(['snz_2']);
    expect(book.cancel('snz_missing')).toBe(false);
  });
});
