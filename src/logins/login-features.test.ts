import { describe, expect, it } from 'vitest';
import { readLoginCsv } from './login-csv.js';
import { loginFeatures, networkOf } from './login-features.js';

function features(csv: string) {
  const table = readLoginCsv(csv);
  if (!table.ok) throw new Error(table.error.message);
  const f = loginFeatures(table.value);
  const column = (name: string) => {
    const c = f.names.indexOf(name);
    return Array.from({ length: f.matrix.rows }, (_, r) => f.matrix.values[r * f.matrix.cols + c] as number);
  };
  return { f, column };
}

describe('login features', () => {
  // ann: 11 logins from GB at 09:00, then one from BR at 23:30; bob: one login.
  const ann = Array.from({ length: 11 }, (_, i) => `ann,2026-11-${String(i + 1).padStart(2, '0')}T09:00:00Z,81.2.69.10,GB,mac,0,ok`);
  const csv = [
    'user,time,ip,country,device,failed,status',
    ...ann,
    'ann,2026-11-12T23:30:00Z,2001:db8:85a3::8a2e:370:7334,BR,linux,,ok',
    'bob,2026-11-12T09:00:00Z,81.2.69.99,GB,mac,3,locked',
  ].join('\n');

  it('gives rarity 0 to a user’s habits and 1 − share / 10 % to a one-off', () => {
    const { column } = features(csv);
    // 1 of ann's 12 logins: 1 − (1/12) / 0.1 ≈ 0.167.
    expect(column('location_rarity').slice(10)).toEqual([0, 1 - 1 / 12 / 0.1, 0]);
    expect(column('device_rarity')[11]).toBeCloseTo(1 - 1 / 12 / 0.1, 12);
    expect(column('network_rarity')[11]).toBeCloseTo(1 - 1 / 12 / 0.1, 12);
    // bob has one login: nothing of his is unusual yet.
    expect(column('ip_rarity')[12]).toBe(0);
    expect(column('hour_rarity')[11]).toBeCloseTo(1 - 1 / 12 / 0.1, 12);
    expect(column('hour_rarity')[0]).toBe(0);
  });

  it('counts across the file for frequencies, fills empty numbers with the median, and reads the clock as written', () => {
    const { f, column } = features(csv);
    expect(column('location_frequency')[11]).toBeCloseTo(1 / 13, 12);
    expect(column('status_frequency')[12]).toBeCloseTo(1 / 13, 12);
    expect(column('failed')[11]).toBe(0);
    expect(column('failed')[12]).toBe(3);
    expect(column('hour_of_day')[11]).toBe(23.5);
    expect(column('logins_that_day')[11]).toBe(1);
    expect(column('logins_that_day')[0]).toBe(1);
    expect(f.numericColumns).toEqual(['failed']);
    expect(f.categoricalColumns).toEqual(['status']);
    expect(f.describe(f.names.indexOf('location_rarity'), 11)).toBe('location BR: 1 of 12 logins of ann');
  });

  it('treats hours as a circle: 23:30 is within an hour of 00:10', () => {
    const night = [
      'user,time',
      ...Array.from({ length: 10 }, (_, i) => `cat,2026-11-0${(i % 9) + 1}T00:10:00Z`),
      'cat,2026-11-10T23:30:00Z',
    ];
    const { column } = features(night.join('\n'));
    expect(column('hour_rarity')[10]).toBe(0);
  });

  it('groups addresses by /24 and /48', () => {
    expect(networkOf('81.2.69.160')).toBe('81.2.69.0/24');
    expect(networkOf('2001:DB8:85a3::8a2e:370:7334')).toBe('2001:db8:85a3::/48');
    expect(networkOf('::1')).toBe('0:0:0::/48');
    expect(networkOf('not-an-ip')).toBe('not-an-ip');
  });
});
