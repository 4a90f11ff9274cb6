import { afterEach, describe, expect, it } from 'vitest';
import { MINUTE_MS } from '../src/monitor/minute-counts.js';
import { syntheticMinutes } from '../src/monitor/synthetic.js';
import { INGEST_KEY, startTestApp, type TestApp } from './support/app.js';
import { fixedClock, TEST_NOW } from './support/clock.js';

/**
 * Issue 15 row 5: a member's views list only alerts about their own account (subject: that user),
 * never an IP-keyed alert stored under their user id (which names the other accounts it tried), nor
 * the volume monitor's `status:*` alerts to a member whose user id happens to be `status:failed`.
 */
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

// The first test's Vigil on a fixed clock: its events' times never depend on the hour of the run.
const at = (msAgo: number) => new Date(TEST_NOW - msAgo).toISOString();

describe('a member’s alerts', () => {
  it('leave out a credential-stuffing alert on an IP that tried their account among others', async () => {
    t = await startTestApp({ clock: fixedClock(TEST_NOW) });
    const attacker = '185.220.101.4';
    const tries = Array.from({ length: 12 }, (_, i) => ({
      type: 'login.failed',
      user: `victim${i}`,
      ip: attacker,
      userAgent: 'python-requests/2.31',
      timestamp: at((12 - i) * 20_000),
    }));
    expect((await t.send({ events: tries })).statusCode).toBeLessThan(300);
    const onIp = (await t.get('/v1/alerts?rule=credential-stuffing'))
      .json()
      .alerts.filter((a: { subject: { kind: string } }) => a.subject.kind === 'ip');
    expect(onIp).toHaveLength(1);
    const [ipAlert] = onIp;
    // Stored under the victim whose login crossed the threshold, with the others in its evidence.
    const victim = ipAlert.user as string;
    expect(victim).toMatch(/^victim\d+$/);

    const member = await t.person('member', victim);
    const mine = (await member.request('GET', '/v1/me/alerts')).json().alerts as Array<{ id: string }>;
    expect(mine.map((a) => a.id)).not.toContain(ipAlert.id);
    for (const other of tries.map((e) => e.user).filter((u) => u !== victim)) expect(JSON.stringify(mine)).not.toContain(`"${other}"`);
    for (const action of ['dispute', 'confirm']) {
      const res = await member.request('POST', `/v1/me/alerts/${ipAlert.id}/${action}`, {});
      expect(res.statusCode, action).toBe(404);
    }
    expect((await t.get(`/v1/alerts/${ipAlert.id}`)).json().status).toBe('new');
  });

  it('leave out the volume monitor’s alerts from a member whose user id is status:failed', async () => {
    t = await startTestApp();
    const from = Date.UTC(2025, 6, 15, 10, 0);
    const seed = (minutes: ReturnType<typeof syntheticMinutes>) =>
      minutes.map((r) => ({
        timestamp: new Date(r.minute).toISOString().replace('T', ' ').slice(0, 19),
        status: r.status,
        count: r.count,
      }));
    const post = (body: unknown) =>
      t?.app.inject({
        method: 'POST',
        url: '/v1/monitor',
        headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
    await post(seed(syntheticMinutes({ from, minutes: 120, seed: 7 })));
    const noon = from + 120 * MINUTE_MS;
    const spike = seed(syntheticMinutes({ from: noon, minutes: 1, seed: noon / MINUTE_MS })).map((r) =>
      r.status === 'failed' ? { ...r, count: 140 } : r,
    );
    expect((await post(spike))?.json().alert).toBe('alert');
    expect((await t.get('/v1/alerts?user=status:failed')).json().alerts).toHaveLength(1);

    const member = await t.person('member', 'status:failed');
    expect((await member.request('GET', '/v1/me/alerts')).json().alerts).toEqual([]);
  });
});
