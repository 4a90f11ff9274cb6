import { describe, expect, it } from 'vitest';
import { actionsFor, DEFAULT_RESPONSE_POLICY, parseResponsePolicy } from './response-policy.js';

describe('response policy', () => {
  it('defaults: high locks sensitive actions and sends a code, critical locks all and calls admins, medium tells the user', () => {
    expect(actionsFor(DEFAULT_RESPONSE_POLICY, 'high', ['large-transaction'])).toEqual(['lock_sensitive', 'send_unlock_code']);
    expect(actionsFor(DEFAULT_RESPONSE_POLICY, 'critical', [])).toEqual(['lock_full', 'notify_admins']);
    expect(actionsFor(DEFAULT_RESPONSE_POLICY, 'medium', [])).toEqual(['notify_user']);
    expect(actionsFor(DEFAULT_RESPONSE_POLICY, 'low', [])).toEqual([]);
  });

  it("never locks for failed logins alone, which anyone can cause in another person's name; a success after them still locks", () => {
    expect(actionsFor(DEFAULT_RESPONSE_POLICY, 'high', ['failed-login-burst'])).toEqual([]);
    expect(actionsFor(DEFAULT_RESPONSE_POLICY, 'critical', ['failed-login-burst', 'credential-stuffing'])).toEqual(['notify_admins']);
    expect(actionsFor(DEFAULT_RESPONSE_POLICY, 'high', ['failed-login-burst', 'login-after-failures'])).toEqual([
      'lock_sensitive',
      'send_unlock_code',
    ]);
  });

  it('lets an entry for a rule override the general entry of the same severity', () => {
    const parsed = parseResponsePolicy(
      JSON.stringify([...DEFAULT_RESPONSE_POLICY, { severity: 'high', rule: 'impossible-travel', actions: ['notify_user'] }]),
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(actionsFor(parsed.value, 'high', ['impossible-travel'])).toEqual(['notify_user']);
    expect(actionsFor(parsed.value, 'high', ['large-transaction'])).toEqual(['lock_sensitive', 'send_unlock_code']);
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['an unknown action', '[{"severity":"high","actions":["shoot"]}]', /\/0\/actions\/0/],
    ['an unknown severity', '[{"severity":"extreme","actions":[]}]', /\/0\/severity/],
    ['an unknown field', '[{"severity":"high","actions":[],"when":"always"}]', /\/0/],
  ])('refuses %s, saying where', (_name, json, message) => {
    const parsed = parseResponsePolicy(json);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.message).toMatch(message);
  });
});
