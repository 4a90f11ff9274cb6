import { Kind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../domain/vocabulary.js';
import { DEFAULT_LIMITS } from '../memory-history.js';
import { BUILTIN_RULES } from './index.js';
import { ev, historyOf, min, problemsOf, times } from './test-kit.js';

const byId = BUILTIN_RULES.map((r) => [r.id, r] as const);

describe('built-in rules', () => {
  it('are listed once each, in evaluation order', () => {
    expect(BUILTIN_RULES.map((r) => r.id)).toEqual([
      'failed-login-burst',
      'credential-stuffing',
      'login-after-failures',
      'new-login-context',
      'impossible-travel',
      'large-transaction',
      'transaction-velocity',
      'card-testing',
      'account-takeover-chain',
      'carried-risk',
      'session-hijack',
      'suspicious-browsing',
      'frequent-credential-changes',
      'disowned-source',
    ]);
  });

  it.each(byId)('%s: defaults validate against its schema', (_id, rule) => {
    const check = TypeCompiler.Compile(rule.configSchema);
    expect([...check.Errors(rule.defaults)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
  });

  it.each(byId)('%s: schema has enabled, refuses unknown fields, and describes every setting', (_id, rule) => {
    const schema = rule.configSchema;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.enabled?.[Kind]).toBe('Boolean');
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(rule.defaults).sort());
    expect(schema.required?.slice().sort()).toEqual(Object.keys(rule.defaults).sort());
    const undescribed = Object.entries(schema.properties as Record<string, TSchema>).filter(([k, s]) => k !== 'enabled' && !s.description);
    expect(undescribed.map(([k]) => k)).toEqual([]);
    const check = TypeCompiler.Compile(schema);
    expect(check.Check({ ...rule.defaults, enabledd: true })).toBe(false);
    expect(check.Check({ ...rule.defaults, enabled: 'yes' })).toBe(false);
  });

  it.each(byId)('%s: numeric settings have bounds, and refuse values outside them', (_id, rule) => {
    const check = TypeCompiler.Compile(rule.configSchema);
    for (const [key, s] of Object.entries(rule.configSchema.properties as Record<string, TSchema>)) {
      if (s[Kind] !== 'Integer' && s[Kind] !== 'Number') continue;
      expect([key, typeof s.minimum, typeof s.maximum]).toEqual([key, 'number', 'number']);
      expect(check.Check({ ...rule.defaults, [key]: s.minimum - 1 })).toBe(false);
      expect(check.Check({ ...rule.defaults, [key]: s.maximum + 1 })).toBe(false);
    }
  });

  it.each(byId)('%s: has a title, a description and a window history can serve', (_id, rule) => {
    expect(rule.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
    expect(rule.title.length).toBeGreaterThan(0);
    expect(rule.description.length).toBeGreaterThan(0);
    expect(['security', 'transaction']).toContain(rule.alertType);
    const window = rule.windowMs(rule.defaults);
    expect(window).toBeGreaterThan(0);
    expect(window).toBeLessThanOrEqual(DEFAULT_LIMITS.retentionMs);
  });

  it('the window of each configurable rule follows its config', () => {
    for (const rule of BUILTIN_RULES) {
      if (!('windowMinutes' in rule.defaults)) continue;
      expect([rule.id, rule.windowMs({ ...rule.defaults, windowMinutes: 7 })]).toEqual([rule.id, 7 * 60_000]);
    }
  });

  it.each(byId)('%s: judges every event type, in a busy history, without throwing and with well-formed hits', (_id, rule) => {
    // A crowded, hostile minute for one account, IP and device: every type, odd values included.
    const noisy = EVENT_TYPES.flatMap((type, k) =>
      times(24, (i) =>
        ev(type, {
          occurredAt: min(-9.9 + i * 0.4 + k * 0.01),
          user: i % 2 === 0 ? 'u1' : `v${i}`,
          ip: '9.9.9.9',
          device: 'd-1',
          session: 's1',
          amount: i === 0 ? 0 : i * 3,
          currency: 'EUR',
          path: i % 2 ? '/.env' : '/shop',
          novelty: { newDevice: i % 4 === 0, newCountry: i % 3 === 0, newNetwork: true },
          geo: { country: i % 2 ? 'FR' : 'US', city: 'X', latitude: i * 7, longitude: i * 13, accuracyKm: 10 },
          network: `9.9.${i}.0/24`,
          ua: { browser: 'Safari', os: 'iOS', deviceClass: 'mobile', summary: 'Safari 17 on iOS 17.4 (mobile)' },
        }),
      ),
    );
    const history = historyOf(noisy);
    // The owner disowned the device at an earlier alert.
    history.setTrust('u1', 'device', 'd-1', { trust: 'untrusted', alertId: 'alrt_1' });
    // And a suspicious login of the same session earned a medium finding.
    history.recordMark('u1', {
      eventId: 'm1',
      type: 'login.succeeded',
      occurredAt: min(-5),
      risk: 58,
      severity: 'medium',
      rule: 'new-login-context',
      message: 'Login from a new device and a new country (JP)',
      session: 's1',
      device: 'd-1',
      alertId: 'alrt_1',
    });
    const fired: Array<[string, string[]]> = [];
    for (const type of EVENT_TYPES) {
      const event = ev(type, {
        ip: '9.9.9.9',
        device: 'd-1',
        session: 's1',
        amount: 9000,
        currency: 'EUR',
        path: '/.env',
        novelty: { newDevice: true, newCountry: true, newNetwork: true },
        geo: { country: 'JP', latitude: 35, longitude: 139, accuracyKm: 10 },
        network: '126.0.0.0/24',
        ua: { browser: 'Chrome', os: 'Android', deviceClass: 'mobile', summary: 'Chrome 124 on Android 14 (mobile)' },
      });
      const hit = rule.evaluate(event, history, rule.defaults);
      if (hit) fired.push([type, problemsOf(hit)]);
    }
    // The history is hostile enough for every rule to fire on its own event type.
    expect(fired.length).toBeGreaterThan(0);
    expect(fired.filter(([, problems]) => problems.length > 0)).toEqual([]);
  });
});
