import { describe, expect, it } from 'vitest';
import { parseLoginTime, readLoginCsv } from './login-csv.js';

describe('parseLoginTime', () => {
  it.each([
    // [cell, instant, hour of day as written, weekday (0 Monday), day]
    ['2026-11-03T08:15:00Z', '2026-11-03T08:15:00.000Z', 8.25, 1, '2026-11-03'],
    ['2026-11-03 08:15:00', '2026-11-03T08:15:00.000Z', 8.25, 1, '2026-11-03'],
    ['2026-11-03T08:15', '2026-11-03T08:15:00.000Z', 8.25, 1, '2026-11-03'],
    ['2026/11/03 08:15:30.500', '2026-11-03T08:15:30.500Z', 8.25 + 30.5 / 3600 - 0.5 / 3600, 1, '2026-11-03'],
    // 03:00 in the user's own offset stays 3 a.m., at the right instant.
    ['2026-11-03T03:00:00+05:30', '2026-11-02T21:30:00.000Z', 3, 1, '2026-11-03'],
    ['2026-11-03T03:00:00-0800', '2026-11-03T11:00:00.000Z', 3, 1, '2026-11-03'],
    ['2026-11-08 23:59:59 UTC', '2026-11-08T23:59:59.000Z', 23 + 59 / 60 + 59 / 3600, 6, '2026-11-08'],
    ['1793693700', '2026-11-03T08:15:00.000Z', 8.25, 1, '2026-11-03'],
    ['1793693700000', '2026-11-03T08:15:00.000Z', 8.25, 1, '2026-11-03'],
  ])('reads %s', (cell, instant, hour, dayOfWeek, day) => {
    const t = parseLoginTime(cell);
    expect(t && new Date(t.at).toISOString()).toBe(instant);
    expect(t?.hour).toBeCloseTo(hour, 6);
    expect(t?.dayOfWeek).toBe(dayOfWeek);
    expect(t?.day).toBe(day);
  });

  it.each([
    '',
    'yesterday',
    '03/11/2026 08:00',
    '2026-11-03',
    '2026-02-29T10:00:00Z',
    '2026-11-03T24:00:00Z',
    '2026-11-03T10:61Z',
    '12345',
  ])('refuses %j', (cell) => expect(parseLoginTime(cell)).toBeUndefined());
});

describe('readLoginCsv', () => {
  it('maps columns by meaning, the best alias first, and keeps the others', () => {
    const table = readLoginCsv(
      'City,Country,ACCOUNT,Date Time,Source IP,User Agent\nLyon,FR,ann,2026-11-03 08:00,1.2.3.4,Firefox\nNice,FR,bob,2026-11-03 09:00,1.2.3.5,Safari\n',
    );
    expect(table.ok && table.value.mapped).toEqual({ user: 2, timestamp: 3, ip: 4, location: 1, device: 5 });
  });

  it('reads tab- and semicolon-separated files, a byte-order mark, and quoted cells over several lines', () => {
    const tsv = readLoginCsv('\uFEFFuser\ttime\tnote\nann\t2026-11-03 08:00\t"two\nlines"\nbob\t2026-11-03 09:00\tok\n');
    expect(tsv.ok && tsv.value.rows.map((r) => [r.user, r.line])).toEqual([
      ['ann', 2],
      ['bob', 4],
    ]);
    const semi = readLoginCsv('user;time\nann;2026-11-03 08:00\nbob;2026-11-03 09:00\n');
    expect(semi.ok && semi.value.rows.length).toBe(2);
  });

  it('names the line a quoted cell over several lines starts on when a later cell is bad', () => {
    const bad = readLoginCsv('user,note,time\nann,"a\nb\nc",2026-11-03 08:00\nbob,x,later\n');
    expect(bad.ok ? undefined : bad.error).toMatchObject({ code: 'invalid_cell', line: 5, path: '/time' });
  });
});
