import { describe, expect, it } from 'vitest';
import { newId } from './ids.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const AT = Date.parse('2026-12-07T10:30:00.123Z');

/** The milliseconds an id's ten time characters carry (ULID layout). */
const timeOf = (id: string) => [...(id.split('_')[1] as string).slice(0, 10)].reduce((t, c) => t * 32 + CROCKFORD.indexOf(c), 0);

describe('newId', () => {
  it('is the prefix, an underscore and 26 Crockford base32 characters', () => {
    expect(newId('evt', AT)).toMatch(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(newId('p', AT)).toMatch(/^p_[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('carries its time in its first ten characters, so ids sort by time', () => {
    expect(timeOf(newId('evt', AT))).toBe(AT);
    expect(timeOf(newId('evt', 0))).toBe(0);
    const times = [AT, AT + 1, AT + 31, AT + 32, AT + 86_400_000, AT + 1024 ** 3];
    const ids = times.map((t) => newId('evt', t));
    expect([...ids].reverse().sort()).toEqual(ids);
    expect(ids.map(timeOf)).toEqual(times);
  });

  it('differs at the same millisecond, across refills of its random pool', () => {
    // The pool holds 256 ids' worth of random bytes: 1,000 ids draw it four times.
    const ids = Array.from({ length: 1000 }, () => newId('evt', AT));
    expect(new Set(ids).size).toBe(1000);
    expect(new Set(ids.map((id) => id.slice(14))).size).toBe(1000);
  });

  it('keeps nothing of a longer prefix in a shorter one', () => {
    newId('webhook_delivery', AT);
    const short = newId('p', AT);
    expect(short).toMatch(/^p_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(timeOf(short)).toBe(AT);
  });

  it('refuses a time outside the 48 bits of whole milliseconds it has room for, and drops a fraction', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 48]) expect(() => newId('evt', bad)).toThrow(RangeError);
    expect(timeOf(newId('evt', AT + 0.9))).toBe(AT);
    expect(newId('evt', 2 ** 48 - 1)).toMatch(/^evt_7ZZZZZZZZZ[0-9A-HJKMNP-TV-Z]{16}$/);
  });

  it('refuses a prefix longer than it has room for', () => {
    expect(() => newId('x'.repeat(65), AT)).toThrow(RangeError);
    expect(newId('x'.repeat(64), AT)).toHaveLength(64 + 1 + 26);
  });
});
