import { describe, expect, it } from 'vitest';
import { computeHealth, type HealthInputs } from './health.js';

const NOW = Date.parse('2026-11-02T10:00:00Z');
const DAY = 86_400_000;
const healthy: HealthInputs = {
  now: NOW,
  openAlerts: {},
  recentDisputes: 0,
  mfaEnabled: true,
  passwordChangedAt: NOW - 30 * DAY,
  newDevices: [],
  hasContact: true,
};

describe('Security Health', () => {
  it('is 100 with nothing to say for a careful owner', () => {
    expect(computeHealth(healthy)).toMatchObject({ score: 100, reasons: [], suggestions: [] });
  });

  it.each([
    ['2FA off', { mfaEnabled: false }, 85, 'no_2fa', 'enable_2fa'],
    ['a password older than 180 days', { passwordChangedAt: NOW - 200 * DAY }, 90, 'old_password', 'change_password'],
    ['a new device', { newDevices: ['phone-2'] }, 95, 'new_devices', 'review_device'],
    ['one open high alert', { openAlerts: { high: 1 } }, 80, 'open_high_alerts', undefined],
    ['a recent dispute', { recentDisputes: 1 }, 90, 'recent_disputes', undefined],
  ] as const)('takes points off for %s, says why and what to do', (_name, change, score, factor, action) => {
    const h = computeHealth({ ...healthy, ...change });
    expect(h.score).toBe(score);
    expect(h.reasons.map((r) => r.factor)).toEqual([factor]);
    if (action) expect(h.suggestions.map((s) => s.action)).toContain(action);
    for (const s of h.suggestions) expect(s.why.length).toBeGreaterThan(10);
  });

  it('caps each factor, so ten low alerts do not sink the score alone, and never goes below 0', () => {
    expect(computeHealth({ ...healthy, openAlerts: { low: 10 } }).score).toBe(94);
    const worst = computeHealth({
      now: NOW,
      openAlerts: { critical: 5, high: 5, medium: 5, low: 5 },
      recentDisputes: 5,
      lock: { scope: 'full', lockedAt: NOW, reason: 'x', lockedBy: 'vigil', unlockBy: 'admin' },
      mfaEnabled: false,
      newDevices: ['a', 'b', 'c', 'd'],
      hasContact: false,
    });
    expect(worst.score).toBe(0);
    expect(worst.suggestions.map((s) => s.action)).toEqual(
      expect.arrayContaining(['unlock_account', 'enable_2fa', 'change_password', 'review_device', 'add_contact']),
    );
  });
});
