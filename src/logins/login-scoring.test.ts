import { describe, expect, it } from 'vitest';
import { readLoginCsv } from './login-csv.js';
import { parseContamination, scoreLogins } from './login-scoring.js';

function score(csv: string, contamination: 'auto' | number = 'auto') {
  const table = readLoginCsv(csv);
  if (!table.ok) throw new Error(table.error.message);
  return scoreLogins(table.value, contamination);
}

const month = (user: string) =>
  Array.from(
    { length: 25 },
    (_, i) =>
      `${user},2026-11-${String(i + 1).padStart(2, '0')}T${String(8 + (i % 3)).padStart(2, '0')}:00:00Z,81.2.69.${user.length},GB,mac`,
  );

describe('scoreLogins', () => {
  const csv = ['user,time,ip,country,device', ...month('ann'), ...month('bob'), ...month('cy')].join('\n');

  it('is deterministic: the same file gets the same scores', () => {
    expect(score(csv).rows.map((r) => r.score)).toEqual(score(csv).rows.map((r) => r.score));
  });

  it('flags the share asked for, below numpy’s linear percentile of score_samples as scikit-learn does', () => {
    const scored = score(`${csv}\nann,2026-11-27T03:00:00Z,1.1.1.1,BR,linux`, 0.02);
    expect(scored.rows.at(-1)?.flagged).toBe(true);
    // 76 rows: the 2nd percentile lies halfway between the 2nd and 3rd lowest score_samples.
    const samples = scored.rows.map((r) => -r.score).sort((a, b) => a - b);
    const offset = (samples[1] as number) + ((samples[2] as number) - (samples[1] as number)) * 0.5;
    expect(scored.threshold).toBeCloseTo(-offset, 4);
    expect(scored.flagged).toBe(samples.filter((s) => s < offset).length);
    expect(scored.flagged).toBeLessThanOrEqual(2);
  });

  it('identifies a login by who, when, from where and on what, however its time and case are written', () => {
    const a = score('user,time,country,status\nann,2026-11-03T08:00:00Z,GB,ok\nbob,2026-11-03T09:00:00Z,FR,ok');
    // Other column names and values, another way to write the same instants: the same logins.
    const b = score('User,Time,Country,Attempts\nann,2026-11-03 08:00:00,gb,1\nbob,2026-11-03T10:00:00+01:00,FR,2');
    expect(b.rows.map((r) => r.hash)).toEqual(a.rows.map((r) => r.hash));
    // Another user (ids are case-sensitive), another place: other logins.
    const c = score('user,time,country\nAnn,2026-11-03 08:00:00,gb\nbob,2026-11-03T09:00:00Z,DE');
    expect(c.rows[0]?.hash).not.toBe(a.rows[0]?.hash);
    expect(c.rows[1]?.hash).not.toBe(a.rows[1]?.hash);
  });
});

describe('parseContamination', () => {
  it.each([
    [undefined, 'auto'],
    ['auto', 'auto'],
    ['0.05', 0.05],
    ['.5', 0.5],
  ])('reads %j', (raw, value) => expect(parseContamination(raw)).toEqual({ ok: true, value }));
  it.each(['0', '0.51', '1', '-0.1', 'many', '5%', ''])('refuses %j', (raw) => {
    expect(parseContamination(raw)).toMatchObject({ ok: false, error: { code: 'invalid_query' } });
  });
});
