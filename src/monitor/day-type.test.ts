import { describe, expect, it } from 'vitest';
import { DEFAULT_BASELINE_SETTINGS, dayFactor, dayTypeOf, emptyBaseline, learn, type StatusBaseline } from './baseline.js';
import { MINUTE_MS } from './minute-counts.js';

const S = DEFAULT_BASELINE_SETTINGS;
const FRIDAY_NOON = Date.UTC(2025, 6, 11, 12, 0);
const SATURDAY_NOON = Date.UTC(2025, 6, 12, 12, 0);
const SUNDAY_NOON = Date.UTC(2025, 6, 13, 12, 0);
const MONDAY_NOON = Date.UTC(2025, 6, 14, 12, 0);

/** The total after learning `days` days from Monday 7 July 2025, weekdays at `weekday` and weekends at `weekend` times a profile of 100 a minute. */
function totalAfter(days: number, weekday: number, weekend: number): StatusBaseline {
  let b = emptyBaseline('total');
  const from = Date.UTC(2025, 6, 7);
  for (let i = 0; i < days * 1440; i++) {
    const minute = from + i * MINUTE_MS;
    const level = dayTypeOf(minute) === 1 ? weekend : weekday;
    b = learn(b, minute, Math.round(100 * level), { total: 100 * level, profile: 100, day: dayFactor(b, minute, S) }, S);
  }
  return b;
}

describe('weekday and weekend (the day type)', () => {
  it('tells Saturday and Sunday (UTC) from the weekdays', () => {
    expect([FRIDAY_NOON, SATURDAY_NOON, SUNDAY_NOON, MONDAY_NOON].map(dayTypeOf)).toEqual([0, 1, 1, 0]);
    // Saturday starts at midnight UTC, whatever the shop's own time zone.
    expect(dayTypeOf(Date.UTC(2025, 6, 11, 23, 59))).toBe(0);
    expect(dayTypeOf(Date.UTC(2025, 6, 12, 0, 0))).toBe(1);
  });

  it('learns how busy weekends are against the hour profile: 0.6 at weekends, 1.1 on weekdays', () => {
    const b = totalAfter(9, 1.1, 0.6);
    expect(dayFactor(b, SATURDAY_NOON + 7 * 1440 * MINUTE_MS, S)).toBeCloseTo(0.6, 2);
    expect(dayFactor(b, MONDAY_NOON + 7 * 1440 * MINUTE_MS, S)).toBeCloseTo(1.1, 2);
  });

  it('is 1 until two full days of the type are learned (one Saturday is not a weekend)', () => {
    // Monday to Saturday: one weekend day learned.
    const sixDays = totalAfter(6, 1.1, 0.6);
    expect(dayFactor(sixDays, SUNDAY_NOON, S)).toBe(1);
    expect(dayFactor(sixDays, FRIDAY_NOON, S)).toBeCloseTo(1.1, 2);
    // Monday to Sunday: two.
    expect(dayFactor(totalAfter(7, 1.1, 0.6), MONDAY_NOON + 5 * 1440 * MINUTE_MS, S)).toBeCloseTo(0.6, 2);
    // A baseline stored before the day types existed, or a status that is not the total.
    expect(dayFactor(emptyBaseline('total'), SATURDAY_NOON, S)).toBe(1);
    expect(dayFactor(undefined, SATURDAY_NOON, S)).toBe(1);
  });

  it('learns how busy today is against the day type, so a quiet Saturday is no quieter than Saturdays are', () => {
    const b = totalAfter(7 + 5 + 1, 1, 0.6);
    // Saturday of the second week, at the weekend level: today's traffic is as usual for a Saturday.
    const traffic = b.traffic.num / b.traffic.den;
    expect(dayTypeOf(b.lastMinute as number)).toBe(1);
    expect(traffic).toBeCloseTo(1, 2);
  });
});
