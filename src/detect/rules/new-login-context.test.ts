import { describe, expect, it } from 'vitest';
import { HOUR } from '../../core/time.js';
import type { GeoInfo, Novelty } from '../../domain/activity-event.js';
import { type NewLoginContextConfig, newLoginContextRule as rule } from './new-login-context.js';
import { type Case, ev, judge, min, problemsOf, T0 } from './test-kit.js';

const DE: GeoInfo = { country: 'DE', city: 'Berlin' };
const AT: GeoInfo = { country: 'AT', city: 'Vienna' };
const FR: GeoInfo = { country: 'FR', city: 'Paris' };
const NET = '203.0.113.0/24';
const login = (novelty: Partial<Novelty>, geo: GeoInfo = FR, at = T0) =>
  ev('login.succeeded', { occurredAt: at, device: 'd-new', novelty, geo, network: NET });
const berlin = ev('login.succeeded', { occurredAt: T0 - 20 * HOUR, geo: DE });
/** The account's usual places: Germany most, Austria once. */
const usual = [
  berlin,
  ev('transaction', { occurredAt: T0 - 19 * HOUR, geo: DE, amount: 20, currency: 'EUR' }),
  ev('login.succeeded', { occurredAt: T0 - 10 * HOUR, geo: AT }),
  ev('login.succeeded', { occurredAt: T0 - 2 * HOUR, geo: DE }),
];

const cases: Case<NewLoginContextConfig>[] = [
  {
    name: "an account's first login is never flagged",
    event: login({ hasHistory: false, newDevice: true, newCountry: true, newNetwork: true }),
    hit: undefined,
  },
  { name: 'nothing new', past: usual, event: login({}, DE), hit: undefined },
  {
    name: 'new device: low',
    past: usual,
    event: login({ newDevice: true }, DE),
    hit: {
      severity: 'low',
      message: 'Login from a new device',
      evidence: expect.objectContaining({ newDevice: true, device: 'd-new' }),
      suggestedActions: ['review_device'],
    },
  },
  {
    name: 'new country from a device not known to be usual: medium, naming the usual countries by frequency',
    past: usual,
    event: login({ newCountry: true, newDevice: null }),
    hit: {
      severity: 'medium',
      message: 'Login from a new country (FR; usual: DE, AT)',
      evidence: expect.objectContaining({ country: 'FR', usualCountries: ['DE', 'AT'] }),
      suggestedActions: ['confirm_with_user_by_otp'],
    },
  },
  {
    name: 'new country from a known device (the owner travelling): low',
    past: usual,
    event: login({ newCountry: true, newNetwork: true }),
    hit: {
      severity: 'low',
      message: `Login from a new country (FR; usual: DE, AT) and a new network (${NET}), on a known device`,
      evidence: expect.objectContaining({ knownDevice: true }),
    },
  },
  {
    name: 'new device and new country: medium',
    past: usual,
    event: login({ newDevice: true, newCountry: true }),
    hit: {
      severity: 'medium',
      message: 'Login from a new device and a new country (FR; usual: DE, AT)',
      suggestedActions: ['confirm_with_user_by_otp', 'review_device'],
    },
  },
  {
    name: 'new network alone: low',
    past: usual,
    event: login({ newNetwork: true }, DE),
    hit: { severity: 'low', message: `Login from a new network (${NET})` },
  },
  {
    name: 'all three',
    past: usual,
    event: login({ newDevice: true, newCountry: true, newNetwork: true }),
    hit: { severity: 'medium', message: `Login from a new device, a new country (FR; usual: DE, AT) and a new network (${NET})` },
  },
  {
    name: 'no usual country left in history: the country alone',
    event: login({ newCountry: true, newDevice: null }),
    hit: { severity: 'medium', message: 'Login from a new country (FR)' },
  },
  {
    name: 'failed logins do not make a country usual',
    past: [ev('login.failed', { occurredAt: T0 - HOUR, geo: { country: 'RU' } }), ...usual],
    event: login({ newCountry: true, newDevice: null }),
    hit: { message: 'Login from a new country (FR; usual: DE, AT)' },
  },
  {
    name: 'out of order: later events do not make a country usual',
    past: [ev('login.succeeded', { occurredAt: T0 + HOUR, geo: { country: 'IT' } }), berlin],
    event: login({ newCountry: true, newDevice: null }),
    hit: { message: 'Login from a new country (FR; usual: DE)' },
  },
  { name: 'a check switched off', past: usual, event: login({ newCountry: true }), config: { checkNewCountry: false }, hit: undefined },
  {
    name: 'a switched-off check leaves the others',
    past: usual,
    event: login({ newDevice: true, newCountry: true }),
    config: { checkNewCountry: false },
    hit: { severity: 'low', message: 'Login from a new device' },
  },
  {
    name: 'severities from the config',
    past: usual,
    event: login({ newDevice: true, newCountry: true }),
    config: { newDeviceAndCountrySeverity: 'high' },
    hit: { severity: 'high' },
  },
  {
    name: 'the strongest severity wins when the network is rated higher',
    past: usual,
    event: login({ newDevice: true, newNetwork: true }),
    config: { newNetworkSeverity: 'medium' },
    hit: { severity: 'medium', message: `Login from a new device and a new network (${NET})` },
  },
  {
    name: 'unknown novelty (null) is not new',
    past: usual,
    event: login({ newDevice: null, newCountry: null, newNetwork: null }),
    hit: undefined,
  },
  {
    name: 'only successful logins are judged',
    past: usual,
    event: ev('login.failed', { novelty: { newDevice: true, newCountry: true } }),
    hit: undefined,
  },
];

describe('new-login-context', () => {
  it.each(cases)('$name', (c) => {
    const hit = judge(rule, c);
    if (c.hit === undefined) expect(hit).toBeUndefined();
    else expect(hit && { ...hit, problems: problemsOf(hit) }).toMatchObject({ ...c.hit, problems: [] });
  });

  it('usual countries beyond the configured look-back are left out', () => {
    const past = [ev('login.succeeded', { occurredAt: min(-25 * 60), geo: DE }), ev('login.succeeded', { occurredAt: min(-60), geo: AT })];
    const hit = judge(rule, { past, event: login({ newCountry: true, newDevice: null }), config: { usualCountriesDays: 1 } });
    expect(hit?.message).toBe('Login from a new country (FR; usual: AT)');
  });
});
