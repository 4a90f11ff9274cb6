import { describe, expect, it } from 'vitest';
import { type CredentialStuffingConfig, credentialStuffingRule as rule } from './credential-stuffing.js';
import { type Case, ev, judge, min, problemsOf, T0, times } from './test-kit.js';

const IP = '185.220.101.4';
const fail = (user: string, minutes: number, ip: string = IP) => ev('login.failed', { user, ip, occurredAt: min(minutes) });
/** Failed logins on `n` accounts v0…v(n-1), one a minute ending a minute before T0. */
const sprayed = (n: number) => times(n, (i) => fail(`v${i}`, i - n));

const cases: Case<CredentialStuffingConfig>[] = [
  {
    name: '10 accounts (9 earlier + this one): high, about the IP',
    past: sprayed(9),
    event: fail('v9', 0),
    hit: {
      severity: 'high',
      subject: { kind: 'ip', value: IP },
      message: `10 failed logins on 10 different accounts from IP ${IP} in 9 min`,
      evidence: expect.objectContaining({ distinctAccounts: 10, failedLogins: 10, windowMinutes: 10, ip: IP }),
      suggestedActions: ['block_ip'],
    },
  },
  { name: '9 accounts: one below the threshold', past: sprayed(8), event: fail('v8', 0), hit: undefined },
  {
    name: 'repeated tries on the same accounts count each account once',
    past: [...sprayed(9), fail('v1', -1), fail('v2', -1)],
    event: fail('v3', 0),
    hit: undefined,
  },
  {
    name: 'a successful login from the flagged IP is challenged',
    past: sprayed(10),
    event: ev('login.succeeded', { user: 'v7', ip: IP, occurredAt: min(0) }),
    hit: {
      severity: 'high',
      decision: 'challenge',
      subject: { kind: 'ip', value: IP },
      message: `Successful login for account v7 from IP ${IP}, which failed logins on 10 different accounts in the last 10 min; further logins from this IP are challenged`,
      evidence: expect.objectContaining({ distinctAccounts: 10, failedLogins: 10 }),
    },
  },
  {
    name: 'a successful login does not count as an account itself',
    past: sprayed(9),
    event: ev('login.succeeded', { user: 'v9', ip: IP }),
    hit: undefined,
  },
  {
    name: 'oldest failure exactly at the window edge counts',
    past: [ev('login.failed', { user: 'edge', ip: IP, occurredAt: T0 - 10 * 60_000 }), ...sprayed(8)],
    event: fail('v8', 0),
    hit: { severity: 'high', message: `10 failed logins on 10 different accounts from IP ${IP} in 10 min` },
  },
  {
    name: 'oldest failure 1 ms outside the window does not',
    past: [ev('login.failed', { user: 'edge', ip: IP, occurredAt: T0 - 10 * 60_000 - 1 }), ...sprayed(8)],
    event: fail('v8', 0),
    hit: undefined,
  },
  { name: 'failures from other IPs do not count', past: [...sprayed(8), fail('x1', -1, '1.2.3.4')], event: fail('v8', 0), hit: undefined },
  { name: 'an event without an IP is not judged', past: sprayed(20), event: ev('login.failed', { user: 'v99' }), hit: undefined },
  { name: 'other event types are not judged', past: sprayed(20), event: ev('password.changed', { ip: IP }), hit: undefined },
  {
    name: 'out of order: failures after a late event do not count',
    past: [...sprayed(5), ...times(10, (i) => fail(`later${i}`, i + 1))],
    event: fail('v5', 0),
    hit: undefined,
  },
  { name: 'threshold from the config', past: sprayed(2), event: fail('v2', 0), config: { minAccounts: 3 }, hit: { severity: 'high' } },
];

describe('credential-stuffing', () => {
  it.each(cases)('$name', (c) => {
    const hit = judge(rule, c);
    if (c.hit === undefined) expect(hit).toBeUndefined();
    else expect(hit && { ...hit, problems: problemsOf(hit) }).toMatchObject({ ...c.hit, problems: [] });
  });

  it('relates the 20 latest failures of a 50-account spray', () => {
    const past = times(50, (i) => ev('login.failed', { user: `v${i}`, ip: IP, occurredAt: T0 - (50 - i) * 6_000 }));
    const hit = judge(rule, { past, event: fail('v50', 0) });
    expect(hit?.message).toBe(`51 failed logins on 51 different accounts from IP ${IP} in 5 min`);
    expect(hit?.relatedEventIds).toEqual(past.slice(-20).map((e) => e.id));
  });

  it('relates and counts only the failures among the address’s other events, and names its first ten accounts', () => {
    // A spray that lets one guess through now and then: every fourth event from the address succeeds.
    const past = times(60, (i) =>
      ev(i % 4 === 3 ? 'login.succeeded' : 'login.failed', { user: `v${i}`, ip: IP, occurredAt: T0 - (60 - i) * 5_000 }),
    );
    const failures = past.filter((e) => e.type === 'login.failed');
    const hit = judge(rule, { past, event: fail('v60', 0) });
    expect(hit?.message).toBe(`46 failed logins on 46 different accounts from IP ${IP} in 5 min`);
    expect(hit?.relatedEventIds).toEqual(failures.slice(-20).map((e) => e.id));
    expect(hit?.evidence).toMatchObject({ distinctAccounts: 46, failedLogins: 46, accounts: failures.slice(0, 10).map((e) => e.user) });
  });

  it('measures the spray from its first failure, not from an earlier success, and challenges a success after it', () => {
    const past = [
      ev('login.succeeded', { user: 'owner', ip: IP, occurredAt: min(-9) }),
      ...times(7, (i) => ev(i % 3 === 2 ? 'login.succeeded' : 'login.failed', { user: `v${i}`, ip: IP, occurredAt: min(i - 7) })),
      ...times(9, (i) => fail(`w${i}`, -0.5)),
    ];
    const failures = past.filter((e) => e.type === 'login.failed');
    const hit = judge(rule, { past, event: fail('x', 0) });
    // From the first failure (7 minutes before) to now, not from the owner's login 9 minutes before.
    expect(hit?.message).toBe(`15 failed logins on 15 different accounts from IP ${IP} in 7 min`);
    expect(hit?.relatedEventIds).toEqual(failures.map((e) => e.id));
    const success = judge(rule, { past, event: ev('login.succeeded', { user: 'v1', ip: IP, occurredAt: min(0) }) });
    expect(success).toMatchObject({ decision: 'challenge', evidence: { distinctAccounts: 14, failedLogins: 14 } });
    expect(success?.relatedEventIds).toEqual(failures.map((e) => e.id));
  });
});
