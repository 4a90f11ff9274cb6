import { describe, expect, it } from 'vitest';
import { disownedSourceRule } from './disowned-source.js';
import { ev, historyOf, problemsOf } from './test-kit.js';

const rule = disownedSourceRule;
const config = rule.defaults;

describe('disowned-source', () => {
  const history = historyOf([]);
  history.setTrust('u1', 'device', 'stolen-phone', { trust: 'untrusted', alertId: 'alrt_9' });
  history.setTrust('u1', 'ip', '203.0.113.9', { trust: 'untrusted', alertId: 'alrt_9' });
  history.setTrust('u1', 'device', 'own-laptop', { trust: 'trusted', alertId: 'alrt_8' });

  it.each([
    ['a login from the disowned device', ev('login.succeeded', { device: 'stolen-phone', ip: '198.51.100.1' }), 'device stolen-phone'],
    ['a purchase from the disowned IP', ev('transaction', { device: 'own-laptop', ip: '203.0.113.9', amount: 5 }), 'IP 203.0.113.9'],
    ['both at once', ev('page.viewed', { device: 'stolen-phone', ip: '203.0.113.9', path: '/' }), 'device stolen-phone and IP 203.0.113.9'],
  ])('fires on %s, blocking, and names the disputed alert', (_name, event, named) => {
    const hit = rule.evaluate(event, history, config);
    expect(hit).toMatchObject({ severity: 'high', decision: 'block', evidence: { disputedAlertId: 'alrt_9' } });
    expect(hit?.message).toContain(named);
    expect(hit?.message).toContain('alert alrt_9');
    expect(problemsOf(hit as NonNullable<typeof hit>)).toEqual([]);
  });

  it.each([
    ['a trusted device', ev('login.succeeded', { device: 'own-laptop', ip: '198.51.100.1' })],
    ['another user on the disowned device', ev('login.succeeded', { user: 'u2', device: 'stolen-phone' })],
    ['a logout from the disowned device', ev('logout', { device: 'stolen-phone' })],
    ['an event with neither device nor IP', ev('login.failed')],
  ])('does not fire on %s', (_name, event) => {
    expect(rule.evaluate(event, history, config)).toBeUndefined();
  });

  it('uses the configured severity', () => {
    const hit = rule.evaluate(ev('login.succeeded', { device: 'stolen-phone' }), history, { ...config, severity: 'critical' });
    expect(hit?.severity).toBe('critical');
  });
});
