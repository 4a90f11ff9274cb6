import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from './support/app.js';
import { fixedClock, TEST_NOW } from './support/clock.js';

/**
 * Whole attack stories through the HTTP API, with every built-in rule at its defaults: what a
 * security team would see in the answers and in the alert feed.
 */
let t: TestApp;
beforeEach(async () => {
  t = await startTestApp({ clock: fixedClock(now) });
});
afterEach(async () => t.close());

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
// A fixed clock: which events share a calendar day (novelty counts days seen) never depends on the hour of the run.
const now = TEST_NOW;
const at = (msAgo: number) => new Date(now - msAgo).toISOString();

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const HOME_IP = '81.2.69.160'; // London
const NYC_IP = '3.80.0.10'; // New York area (AWS us-east-1)

async function sendAll(events: Array<Record<string, unknown>>) {
  const results = [];
  for (let i = 0; i < events.length; i += 1000) {
    const r = await t.send({ events: events.slice(i, i + 1000) });
    expect(r.statusCode).toBe(200);
    results.push(...r.json().results);
  }
  return results as Array<{
    decision: string;
    risk: number;
    severity: string;
    reasons: Array<{ rule: string; message: string }>;
    alertId?: string;
  }>;
}

async function alerts(query = '') {
  const r = await t.get(`/v1/alerts?limit=500${query ? `&${query}` : ''}`, ADMIN_KEY);
  return r.json().alerts as Array<{
    ruleId: string;
    ruleIds: string[];
    severity: string;
    subject: { kind: string; value: string };
    user: string;
    summary: string;
  }>;
}

/** Two weeks of ordinary logins so that the account has history. */
function history(user: string, ip = HOME_IP, device = `${user}-laptop`) {
  return Array.from({ length: 14 }, (_, d) => ({
    type: 'login.succeeded',
    user,
    ip,
    device,
    userAgent: CHROME,
    timestamp: at((15 - d) * DAY),
  }));
}

describe('attack stories', () => {
  it('credential stuffing across 50 accounts: one alert on the IP, and its next login is challenged', async () => {
    const attacker = '185.220.101.4';
    const tries = Array.from({ length: 50 }, (_, i) => ({
      type: 'login.failed',
      user: `victim${i}`,
      ip: attacker,
      userAgent: 'python-requests/2.31',
      timestamp: at(10 * MIN - i * 6000),
    }));
    await sendAll(tries);
    const onIp = (await alerts('rule=credential-stuffing')).filter((a) => a.subject.kind === 'ip');
    expect(onIp).toHaveLength(1);
    expect(onIp[0]).toMatchObject({ severity: 'high', subject: { value: attacker } });

    const next = (await sendAll([{ type: 'login.succeeded', user: 'victim7', ip: attacker, timestamp: at(4 * MIN) }]))[0];
    expect(next?.decision).toBe('challenge');
    expect(next?.reasons.map((r) => r.rule)).toContain('credential-stuffing');
  });

  it('brute force then success: a high alert and a challenged login', async () => {
    await sendAll(history('alice'));
    const failures = Array.from({ length: 8 }, (_, i) => ({
      type: 'login.failed',
      user: 'alice',
      ip: i % 2 ? '45.155.205.1' : '45.155.205.2',
      timestamp: at(10 * MIN - i * 30_000),
    }));
    const burst = await sendAll(failures);
    expect(burst.at(-1)?.reasons.map((r) => r.rule)).toContain('failed-login-burst');
    const [success] = await sendAll([
      { type: 'login.succeeded', user: 'alice', ip: '45.155.205.1', device: 'unknown-pc', timestamp: at(5 * MIN) },
    ]);
    expect(success?.decision).not.toBe('allow');
    expect(['high', 'critical']).toContain(success?.severity);
    expect(success?.reasons.map((r) => r.rule)).toContain('login-after-failures');
    const raised = await alerts('user=alice');
    expect(raised.some((a) => a.ruleIds.includes('login-after-failures'))).toBe(true);
  });

  it('impossible travel: London then New York an hour later', async () => {
    await sendAll(history('bob'));
    await sendAll([{ type: 'login.succeeded', user: 'bob', ip: HOME_IP, device: 'bob-laptop', timestamp: at(2 * HOUR) }]);
    const [jump] = await sendAll([{ type: 'login.succeeded', user: 'bob', ip: NYC_IP, device: 'bob-laptop', timestamp: at(HOUR) }]);
    expect(jump?.severity).toMatch(/high|critical/);
    const reason = jump?.reasons.find((r) => r.rule === 'impossible-travel');
    expect(reason?.message).toMatch(/km\/h/);
  });

  it('account takeover chain: password change, then a purchase from a new device, is critical and blocked', async () => {
    await sendAll(history('carol'));
    await sendAll([{ type: 'password.changed', user: 'carol', ip: HOME_IP, device: 'carol-laptop', timestamp: at(30 * MIN) }]);
    const [purchase] = await sendAll([
      // From a network the account never used: a new phone on the home Wi-Fi is the owner's own.
      {
        type: 'transaction',
        user: 'carol',
        amount: 300,
        currency: 'GBP',
        ip: '212.58.244.1',
        device: 'brand-new-phone',
        timestamp: at(20 * MIN),
      },
    ]);
    expect(purchase).toMatchObject({ severity: 'critical', decision: 'block' });
    expect(purchase?.reasons.map((r) => r.rule)).toContain('account-takeover-chain');
  });

  it('card testing: small failed payments from one device are blocked', async () => {
    await sendAll(history('dave'));
    const attempts = Array.from({ length: 6 }, (_, i) => ({
      type: 'payment.failed',
      user: 'dave',
      amount: 1 + i * 0.5,
      currency: 'GBP',
      device: 'card-tester',
      ip: '196.251.1.9',
      paymentMethod: `card_${i}`,
      timestamp: at(8 * MIN - i * 45_000),
    }));
    const results = await sendAll(attempts);
    const last = results.at(-1);
    expect(last).toMatchObject({ decision: 'block' });
    expect(last?.reasons.map((r) => r.rule)).toContain('card-testing');
    expect(results.slice(0, 4).every((r) => r.decision === 'allow')).toBe(true);
  });
});

describe('a benign month', () => {
  it('raises nothing above low for ordinary shoppers, one of whom flies abroad and shops there', async () => {
    const events: Array<Record<string, unknown>> = [];
    const homes = ['81.2.69.160', '91.64.10.20', '151.101.1.1', '62.210.16.6', '77.111.247.1'];
    for (let s = 0; s < 20; s++) {
      const user = `shopper${s}`;
      const ip = homes[s % homes.length] as string;
      const device = `${user}-phone`;
      for (let d = 30; d >= 1; d--) {
        if ((d + s) % 3 === 0) continue; // not every day
        const start = d * DAY - (9 + (s % 10)) * HOUR;
        events.push({ type: 'login.succeeded', user, ip, device, userAgent: CHROME, session: `${user}-${d}`, timestamp: at(start) });
        for (let p = 0; p < 5; p++) {
          events.push({
            type: 'page.viewed',
            user,
            ip,
            device,
            session: `${user}-${d}`,
            path: `/shop/item/${p + d}`,
            timestamp: at(start - (p + 1) * 40_000),
          });
        }
        if (d % 4 === s % 4) {
          events.push({
            type: 'transaction',
            user,
            ip,
            device,
            amount: 20 + ((d * 7 + s * 3) % 60),
            currency: 'EUR',
            merchant: 'fashion',
            session: `${user}-${d}`,
            timestamp: at(start - 5 * MIN),
          });
        }
        if (d === 20 && s % 5 === 0) {
          events.push({ type: 'login.failed', user, ip, device, timestamp: at(start + MIN) }); // a typo
        }
      }
    }
    // shopper0 flies from London to New York (8 h flight) and shops there on the same phone.
    events.push(
      { type: 'login.succeeded', user: 'shopper0', ip: '3.80.0.10', device: 'shopper0-phone', userAgent: CHROME, timestamp: at(2 * DAY) },
      {
        type: 'transaction',
        user: 'shopper0',
        ip: '3.80.0.10',
        device: 'shopper0-phone',
        amount: 65,
        currency: 'EUR',
        merchant: 'souvenirs',
        timestamp: at(2 * DAY - 30 * MIN),
      },
    );
    events.sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
    const results = await sendAll(events);

    const above = results.filter((r) => r.severity !== 'none' && r.severity !== 'low');
    expect(above.map((r) => r.reasons)).toEqual([]);
    expect(results.every((r) => r.decision === 'allow')).toBe(true);
    expect((await alerts()).filter((a) => a.severity !== 'low')).toEqual([]);
  });
});
