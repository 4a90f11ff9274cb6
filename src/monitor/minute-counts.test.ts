import { describe, expect, it } from 'vitest';
import { MAX_BATCH_ROWS, normaliseStatus, parseMinute, readBatch } from './minute-counts.js';

const NOW = Date.UTC(2025, 6, 16);

describe('parseMinute', () => {
  it.each([
    ['2025-07-15 12:00:00', Date.UTC(2025, 6, 15, 12, 0)],
    ['2025-07-15 12:07', Date.UTC(2025, 6, 15, 12, 7)],
    ['2025-07-15T12:07:00Z', Date.UTC(2025, 6, 15, 12, 7)],
    ['2025-07-15T12:07:00.000Z', Date.UTC(2025, 6, 15, 12, 7)],
    ['2025-07-15T09:07:00-03:00', Date.UTC(2025, 6, 15, 12, 7)],
    ['2025-07-15T14:07:00+0200', Date.UTC(2025, 6, 15, 12, 7)],
  ])('reads %s (a timestamp without a zone is UTC)', (text, ms) => {
    expect(parseMinute(text)).toEqual({ ok: true, value: ms });
  });

  it.each([
    ['2025-07-15 12:00:30', 'start of a minute'],
    ['2025-02-30 12:00:00', 'not a valid date-time'],
    ['2025-07-15 24:00:00', 'not a valid date-time'],
    ['15/07/2025 12:00', 'not a date-time'],
    ['', 'not a date-time'],
  ])('refuses %j', (text, words) => {
    const parsed = parseMinute(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(words);
  });
});

describe('normaliseStatus', () => {
  it.each([
    [' Approved ', 'approved'],
    ['BACKEND-REVERSED', 'backend_reversed'],
    ['backend reversed', 'backend_reversed'],
    ['chargeback', 'chargeback'],
  ])('%j → %j', (raw, status) => expect(normaliseStatus(raw)).toBe(status));

  it.each(['', '   ', '<script>', 'a'.repeat(65)])('refuses %j', (raw) => expect(normaliseStatus(raw)).toBeUndefined());
});

describe('readBatch', () => {
  const row = (minute: string, status: string, count: unknown) => ({ timestamp: `2025-07-15 12:${minute}:00`, status, count });

  it('reads the seed format and normalises statuses', () => {
    const read = readBatch([row('00', 'approved', 120), row('00', 'Failed', 3)], NOW, new Set());
    expect(read).toEqual({
      ok: true,
      value: [
        { minute: Date.UTC(2025, 6, 15, 12), status: 'approved', count: 120 },
        { minute: Date.UTC(2025, 6, 15, 12), status: 'failed', count: 3 },
      ],
    });
  });

  it.each([
    [
      [
        row('00', 'approved', 1),
        row('01', 'approved', 2),
        row('02', 'approved', 3),
        { timestamp: '2025-07-15 12:03:00', status: 'failed' },
      ],
      'missing_field',
      '/3/count',
    ],
    [[row('00', 'approved', '12')], 'invalid_body', '/0/count'],
    [[row('00', 'approved', -1)], 'invalid_body', '/0/count'],
    [[row('00', 'approved', 1.5)], 'invalid_body', '/0/count'],
    [[row('00', '', 1)], 'invalid_body', '/0/status'],
    [[{ ...row('00', 'approved', 1), timestamp: '2025-07-15 12:00:30' }], 'invalid_timestamp', '/0/timestamp'],
    [[{ ...row('00', 'approved', 1), timestamp: 1752580800 }], 'invalid_timestamp', '/0/timestamp'],
    [[{ ...row('00', 'approved', 1), timestamp: '2025-07-17 12:00:00' }], 'timestamp_in_future', '/0/timestamp'],
    [[{ ...row('00', 'approved', 1), amount: 5 }], 'unknown_field', '/0/amount'],
    [[row('00', 'approved', 1), 'approved'], 'invalid_body', '/1'],
    [[row('00', 'approved', 1), row('00', 'APPROVED', 2)], 'invalid_body', '/1'],
  ])('refuses a bad row, naming its index and field: %#', (body, code, path) => {
    const read = readBatch(body, NOW, new Set());
    expect(read.ok).toBe(false);
    if (!read.ok) {
      expect(read.error.problem).toMatchObject({ code, path });
      expect(read.error.problem.message).toContain('nothing was learned');
    }
  });

  it('lists every bad row, by index', () => {
    const read = readBatch([row('00', 'approved', 'x'), row('01', 'approved', 1), row('02', 'approved', null)], NOW, new Set());
    expect(read.ok).toBe(false);
    if (!read.ok)
      expect(read.error.errors.map((e) => [e.index, e.code, e.path])).toEqual([
        [0, 'invalid_body', '/0/count'],
        [2, 'missing_field', '/2/count'],
      ]);
  });

  it('refuses a body that is not an array, and a batch over the limit', () => {
    const notArray = readBatch({ timestamp: '2025-07-15 12:00:00' }, NOW, new Set());
    expect(!notArray.ok && notArray.error.problem.code).toBe('invalid_body');
    const tooMany = readBatch(
      Array.from({ length: MAX_BATCH_ROWS + 1 }, () => row('00', 'approved', 1)),
      NOW,
      new Set(),
    );
    expect(!tooMany.ok && tooMany.error.problem.code).toBe('batch_too_large');
  });

  it('refuses the status "total", which is the sum Vigil judges itself', () => {
    const read = readBatch([row('00', 'approved', 1), row('00', 'Total', 3)], NOW, new Set());
    expect(!read.ok && read.error.errors.map((e) => [e.index, e.code, e.path])).toEqual([[1, 'invalid_body', '/1/status']]);
    expect(!read.ok && read.error.problem.message).toContain('status "total" is reserved');
  });

  it('refuses a batch that would watch more than 50 statuses', () => {
    const known = new Set(Array.from({ length: 49 }, (_, i) => `s${i}`));
    expect(readBatch([row('00', 's1', 1), row('00', 'new', 1)], NOW, known).ok).toBe(true);
    const read = readBatch([row('00', 'new', 1), row('00', 'newer', 1)], NOW, known);
    expect(!read.ok && read.error.problem.message).toContain('At most 50 distinct statuses');
  });
});
