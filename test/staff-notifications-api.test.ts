import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostLookup } from '../src/webhooks/target-guard.js';
import { ADMIN_KEY, startTestApp, type TestApp } from './support/app.js';
import { fixedClock, TEST_NOW } from './support/clock.js';

/**
 * Notifications for staff through the API, as an admin sets them up: a Slack channel added, an attack
 * raising an alert through POST /v1/events, the message in the local "Slack", the channel's log, the
 * test message, the audit trail, and the hourly digest in the outbox (no SMTP server here).
 */

let t: TestApp;
const clock = fixedClock(TEST_NOW);
const cleanups: Array<() => Promise<void>> = [];
const PUBLIC_URL = 'https://vigil.example.com';
const lookup: HostLookup = async (name) => {
  if (name === 'hooks.slack.example') return ['93.184.215.14'];
  if (name === 'intranet.example') return ['10.0.0.7'];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
};

beforeAll(async () => {
  t = await startTestApp({
    clock,
    webhookLookup: lookup,
    env: {
      // The receivers below listen on 127.0.0.1: allowed as an admin would allow an internal range.
      VIGIL_WEBHOOK_ALLOW_CIDRS: '127.0.0.0/8',
      VIGIL_PUBLIC_URL: `${PUBLIC_URL}/`,
      VIGIL_ADMIN_ALERT_EMAILS: 'soc@example.com',
      VIGIL_STAFF_DIGEST: 'hourly',
    },
  });
});
afterAll(async () => {
  await t?.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const call = (method: 'POST' | 'GET' | 'DELETE', url: string, body?: unknown) =>
  t.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_KEY}` }, ...(body !== undefined && { payload: body as object }) });

/** A Slack incoming webhook on 127.0.0.1: records the JSON bodies, answers 200 "ok" as Slack does. */
async function slack() {
  const bodies: Array<Record<string, any>> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T0/B0/XyZsecretToken`, bodies };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('staff channels', () => {
  it('refuses bad channels with a 400, a stable code and the path', async () => {
    const cases: Array<[body: unknown, code: string, path: string]> = [
      [{ kind: 'irc', name: 'x', url: 'https://hooks.slack.example/x' }, 'invalid_body', '/kind'],
      [{ kind: 'slack', name: 'x' }, 'invalid_body', '/url'],
      [{ kind: 'slack', name: 'x', url: 'ftp://hooks.slack.example/x' }, 'invalid_body', '/url'],
      [{ kind: 'slack', name: 'x', url: 'https://hooks.slack.example/x', perMinute: 0 }, 'invalid_body', '/perMinute'],
      [{ kind: 'slack', name: 'x', url: 'https://hooks.slack.example/x', ruleIds: ['no-such-rule'] }, 'invalid_body', '/ruleIds'],
      [{ kind: 'slack', name: 'x', url: 'https://hooks.slack.example/x', minSeverity: 'none' }, 'invalid_body', '/minSeverity'],
      [{ kind: 'teams', name: 'x', url: 'https://intranet.example/hook' }, 'webhook_target_not_allowed', '/url'],
      [{ kind: 'chat', name: 'x', url: 'http://169.254.169.254/latest/meta-data' }, 'webhook_target_not_allowed', '/url'],
    ];
    for (const [body, code, path] of cases) {
      const res = await call('POST', '/v1/staff-channels', body);
      expect([res.statusCode, res.json().error.code, res.json().error.path ?? ''], JSON.stringify(body)).toEqual([400, code, path]);
    }
    expect((await call('GET', '/v1/staff-channels')).json().channels).toEqual([]);
  });

  it('posts an alert raised by events to Slack with a link to the dashboard; never shows the URL again', async () => {
    const r = await slack();
    const created = await call('POST', '/v1/staff-channels', { kind: 'slack', name: '#security', url: r.url, minSeverity: 'low' });
    expect(created.statusCode).toBe(201);
    const channel = created.json();
    expect(channel).toMatchObject({
      kind: 'slack',
      name: '#security',
      urlHint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/…$/),
      minSeverity: 'low',
      ruleIds: [],
      alertTypes: [],
      perMinute: 10,
      groupMinutes: 10,
      active: true,
    });

    // Six failed logins on one account from one IP within a few minutes: the failed-login burst rule.
    let alertId: string | undefined;
    for (let i = 0; i < 6; i++) {
      const answer = await t.send({
        type: 'login.failed',
        user: 'erin',
        ip: '81.2.69.160',
        timestamp: new Date(TEST_NOW - 10 * 60_000 + i * 30_000).toISOString(),
      });
      expect(answer.statusCode).toBe(200);
      alertId ??= answer.json().alertId;
    }
    expect(alertId).toMatch(/^alrt_/);
    await until(() => r.bodies.length >= 1);
    // Later failures update the alert; only its raising is posted.
    expect(r.bodies).toHaveLength(1);
    const message = r.bodies[0] as Record<string, any>;
    expect(message.text).toContain('erin');
    expect(message.blocks.find((b: { type: string }) => b.type === 'actions').elements[0].url).toBe(
      `${PUBLIC_URL}/admin/alerts/${alertId}`,
    );
    expect(message.blocks[1].fields.map((f: { text: string }) => f.text)).toContain('*User*\nerin');

    // The receiver has the message; the attempt's outcome is written right after.
    const messages = () => call('GET', `/v1/staff-channels/${channel.id}/messages`);
    await until(async () => (await messages()).json().messages[0]?.status !== 'pending');
    const log = await messages();
    expect(log.json().messages).toEqual([
      expect.objectContaining({ kind: 'alert', alertId, status: 'delivered', attempts: 1, lastStatusCode: 200, payload: message }),
    ]);

    const test = await call('POST', `/v1/staff-channels/${channel.id}/test`);
    expect(test.json()).toMatchObject({ kind: 'test', status: 'delivered' });
    expect(r.bodies[1]?.text).toContain('Vigil test message for #security');

    const everything = JSON.stringify([
      (await call('GET', '/v1/staff-channels')).json(),
      (await call('GET', `/v1/staff-channels/${channel.id}`)).json(),
      log.json(),
      (await call('GET', '/v1/audit?limit=50')).json(),
    ]);
    expect(everything).not.toContain('XyZsecretToken');
    const audit = (await call('GET', '/v1/audit?limit=50')).json().entries as Array<{ action: string; subject: string }>;
    expect(audit.filter((e) => e.action.startsWith('staff_channel.'))).toEqual([
      expect.objectContaining({ action: 'staff_channel.created', subject: `staff_channel:${channel.id}` }),
    ]);

    // The hour after: the admins' digest lists the alert, in the outbox (no SMTP server configured).
    clock.set(TEST_NOW + 3_600_000 + 1_000);
    await t.system.staffNotifications.tick();
    const outbox = (await call('GET', '/v1/outbox')).json().messages as Array<{ to: string; subject: string; text: string }>;
    const digest = outbox.filter((m) => m.subject.startsWith('Vigil hourly digest'));
    expect(digest).toHaveLength(1);
    expect(digest[0]).toMatchObject({ to: 'soc@example.com', subject: expect.stringContaining('1 alert') });
    expect(digest[0]?.text).toContain(`${PUBLIC_URL}/admin/alerts/${alertId}`);
    expect(digest[0]?.text).toContain('user erin');

    const disabled = await call('DELETE', `/v1/staff-channels/${channel.id}`);
    expect(disabled.json()).toMatchObject({ active: false, disabledAt: expect.any(String) });
    expect((await call('POST', `/v1/staff-channels/${channel.id}/test`)).statusCode).toBe(404);
  });
});
