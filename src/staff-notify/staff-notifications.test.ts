import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase, testDialect } from '../../test/support/database.js';
import { ServerSecret } from '../auth/server-secret.js';
import { err, ok } from '../core/result.js';
import type { AccountAlert, Alert, AlertType } from '../domain/alert.js';
import type { Severity } from '../domain/severity.js';
import type { Message, Notifier } from '../notify/ports.js';
import { type DatabaseHandle, openDatabase } from '../store/database.js';
import { SqlStaffNotifyStore } from '../store/staff-notify-store.js';
import type { ChannelInput } from './channel-registry.js';
import { createStaffNotifications, type StaffNotifications, type StaffNotificationsDeps } from './staff-notifications.js';

const KEY = ServerSecret.fromBytes(Buffer.alloc(32, 9)).subkey('staff-channel-urls');
const START = Date.parse('2026-05-01T10:00:00Z');
const PUBLIC_URL = 'https://vigil.example.com';
const RULES = ['failed-login-burst', 'credential-stuffing', 'new-login-context', 'card-testing', 'impossible-travel'];

let db: TestDatabase;
let handle: DatabaseHandle;
let store: SqlStaffNotifyStore;
let now: number;
const clock = { now: () => now };
const logLines: string[] = [];
const log = { info: (m: string) => logLines.push(m), warn: (m: string) => logLines.push(m), error: (m: string) => logLines.push(m) };
const audited: Array<[actor: string, action: string, subject: string, details: Record<string, unknown>]> = [];
const audit = {
  record: async (actor: string, action: string, subject: string, details: Record<string, unknown>) =>
    audited.push([actor, action, subject, details]),
};
const cleanups: Array<() => Promise<void>> = [];

// One database for the file: every test adds channels of its own, and disables them afterwards
// (which drops their open groups and gives up their pending messages).
beforeAll(async () => {
  db = await freshDatabase();
  handle = await openDatabase(db.target, { migrate: true });
  store = new SqlStaffNotifyStore(handle);
});
afterAll(async () => {
  await handle.close();
  await db.drop();
});
beforeEach(() => {
  now = START;
  logLines.length = 0;
  audited.length = 0;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const c of await store.activeChannels()) await store.disableChannel(c.id, now);
});

/** Staff notifications whose receivers on 127.0.0.0/8 are allowed, as an admin would allow an internal range. */
function service(over: Partial<StaffNotificationsDeps> = {}): StaffNotifications {
  const s = createStaffNotifications({
    store,
    key: KEY,
    clock,
    log,
    audit,
    publicUrl: PUBLIC_URL,
    ruleExists: (id) => RULES.includes(id),
    allowCidrs: ['127.0.0.0/8'],
    alerts: { list: async () => [] },
    notifier: { send: async () => ok({ via: 'outbox' as const }) },
    digest: { cadence: 'off', recipients: [] },
    // The tests drive the timer's rounds themselves (`tick`), with their clock.
    pollIntervalMs: 3_600_000,
    retryDelaysMs: [10_000, 60_000],
    ...over,
  });
  cleanups.push(() => s.stop());
  return s;
}

/** A chat service's incoming webhook on 127.0.0.1: records the JSON bodies, answers the next status of `statuses` (then the last). */
async function receiver(statuses: number[] = [200]) {
  const bodies: unknown[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(statuses[Math.min(bodies.length - 1, statuses.length - 1)] as number).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  // The path stands for the secret part of a real incoming-webhook URL.
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/s3cr3tT0ken`, bodies };
}

async function channel(s: StaffNotifications, input: Omit<ChannelInput, 'name'> & { name?: string }) {
  const created = await s.register({ name: `#security-${input.kind}`, ...input }, 'admin (key_1)');
  if (!created.ok) throw new Error(created.error.message);
  return created.value;
}

let seq = 0;
function alert(over: { severity?: Severity; ruleId?: string; user?: string; type?: AlertType; summary?: string } = {}): Alert {
  const user = over.user ?? 'alice';
  const ruleId = over.ruleId ?? 'failed-login-burst';
  const severity = over.severity ?? 'high';
  const a: AccountAlert = {
    id: `alrt_${String(++seq).padStart(4, '0')}`,
    dedupKey: `${ruleId}|user|${user}`,
    ruleId,
    ruleIds: [ruleId],
    subject: { kind: 'user', value: user },
    user,
    ip: '81.2.69.160',
    country: 'GB',
    city: 'London',
    summary: over.summary ?? `Failed-login burst for ${user}`,
    type: over.type ?? 'security',
    severity,
    risk: 65,
    decision: 'challenge',
    status: 'new',
    reasons: [{ rule: ruleId, severity, message: `6 failed logins in 3 minutes for ${user}`, evidence: {} }],
    events: [],
    relatedEventIds: [],
    suggestedActions: [],
    occurrences: 1,
    firstSeenAt: now,
    lastSeenAt: now,
    createdAt: now,
    updatedAt: now,
    acknowledgedAt: null,
    resolvedAt: null,
  };
  return a;
}

/** Publishes alerts on a topic as the bus would deliver them, and waits for their first attempts. */
async function publish(s: StaffNotifications, topic: 'alert.raised' | 'alert.updated', alerts: readonly Alert[]) {
  const handlers = new Map<string, (a: readonly Alert[]) => Promise<void>>();
  s.subscribe({
    subscribe: (t: string, h: (a: readonly Alert[]) => Promise<void>) => {
      handlers.set(t, h);
      return () => {};
    },
  } as never);
  await handlers.get(topic)?.(alerts);
}
const raise = (s: StaffNotifications, alerts: readonly Alert[]) => publish(s, 'alert.raised', alerts);

/**
 * Runs two decisions so that each reads the channel's count before the other has written, as far as
 * the store lets it. On PostgreSQL, writes to the message queue are held (a third session locks the
 * table against inserts, reads still pass) until both decisions wait, behind that lock or behind
 * each other; on SQLite, write transactions run one at a time whatever the test does.
 */
async function bothDecidingAtOnce(decide: () => Promise<unknown>): Promise<void> {
  if (testDialect === 'sqlite') {
    await decide();
    return;
  }
  const holder = await openDatabase(db.target, { migrate: false });
  let decided: Promise<unknown> = Promise.resolve();
  try {
    await holder.db.transaction().execute(async (trx) => {
      await sql`lock table staff_messages in exclusive mode`.execute(trx);
      const self = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]?.pid;
      decided = decide();
      for (let polls = 0; ; polls++) {
        // pg_stat_activity is read once per transaction unless its snapshot is cleared.
        await sql`select pg_stat_clear_snapshot()`.execute(trx);
        const behind = await sql<{ n: string }>`
          with recursive behind(pid) as (
            select pid from pg_stat_activity where ${self}::int = any(pg_blocking_pids(pid))
            union
            select a.pid from pg_stat_activity a join behind b on b.pid = any(pg_blocking_pids(a.pid))
          )
          select count(*) as n from behind`.execute(trx);
        if (Number(behind.rows[0]?.n) >= 2) break;
        if (polls > 1_000) throw new Error('the two decisions never both waited');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    });
    await decided;
  } finally {
    await decided.catch(() => undefined);
    await holder.close();
  }
}

type Json = Record<string, any>;

describe('what each service receives', () => {
  it('Slack: a fallback text and Block Kit blocks with severity, user, rule, reasons and a button to the alert', async () => {
    const s = service();
    s.start();
    const r = await receiver();
    await channel(s, { kind: 'slack', url: r.url, minSeverity: 'low' });
    const a = alert({ user: '<!channel> <https://evil.example|click>', severity: 'critical' });
    await raise(s, [a]);

    expect(r.bodies).toHaveLength(1);
    const body = r.bodies[0] as Json;
    expect(Object.keys(body).sort()).toEqual(['blocks', 'text']);
    expect(body.text).toContain('Critical: Failed-login burst for');
    expect(body.blocks.map((b: Json) => b.type)).toEqual(['header', 'section', 'section', 'actions', 'context']);
    expect(body.blocks[0].text).toEqual({ type: 'plain_text', text: expect.stringContaining('Critical: Failed-login burst'), emoji: true });
    const fields = body.blocks[1].fields.map((f: Json) => f.text);
    expect(fields).toEqual([
      '*Severity*\nCritical (risk 65)',
      // A user id cannot mention the channel or become a link: Slack's three markup characters are escaped.
      '*User*\n&lt;!channel&gt; &lt;https://evil.example|click&gt;',
      '*Rule*\nfailed-login-burst',
      '*Decision*\nchallenge',
      '*From*\n81.2.69.160 · London, GB',
    ]);
    expect(body.blocks[2].text.text).toMatch(/^\*Reasons\*\n• 6 failed logins in 3 minutes for &lt;!channel&gt;/);
    expect(body.blocks[3].elements[0]).toMatchObject({ type: 'button', url: `${PUBLIC_URL}/admin/alerts/${a.id}` });
    // Only the header is plain text, which Slack never reads as markup; no mrkdwn text carries the mention.
    expect(JSON.stringify([body.text, body.blocks.slice(1)])).not.toContain('<!channel>');
  });

  it('Teams: a message with one Adaptive Card attachment: title, facts, reasons and an Open URL action', async () => {
    const s = service();
    s.start();
    const r = await receiver([202]);
    await channel(s, { kind: 'teams', url: r.url });
    const a = alert({ user: 'bob [win](https://evil.example)', severity: 'high' });
    await raise(s, [a]);

    const body = r.bodies[0] as Json;
    expect(body.type).toBe('message');
    expect(body.attachments).toHaveLength(1);
    expect(body.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = body.attachments[0].content;
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.4', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json' });
    // The user's Markdown link is broken by a zero-width space: it shows, and links nowhere.
    const user = 'bob [win]\u200B(https://evil.example)';
    expect(card.body[0]).toMatchObject({
      type: 'TextBlock',
      text: `High: Failed-login burst for ${user}`,
      weight: 'Bolder',
      color: 'Attention',
    });
    expect(card.body[1].type).toBe('FactSet');
    expect(card.body[1].facts).toEqual([
      { title: 'Severity', value: 'High (risk 65)' },
      { title: 'User', value: user },
      { title: 'Rule', value: 'failed-login-burst' },
      { title: 'Decision', value: 'challenge' },
      { title: 'From', value: '81.2.69.160 · London, GB' },
    ]);
    expect(card.body[2]).toMatchObject({
      type: 'TextBlock',
      text: `• 6 failed logins in 3 minutes for ${user} (failed-login-burst, high)`,
    });
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open in Vigil', url: `${PUBLIC_URL}/admin/alerts/${a.id}` }]);
    expect(JSON.stringify(card)).not.toContain('](https://evil');
  });

  it('generic chat: text to show, and the alert as fields for scripts', async () => {
    const s = service();
    s.start();
    const r = await receiver();
    await channel(s, { kind: 'chat', url: r.url });
    const a = alert({ user: 'carol' });
    await raise(s, [a]);

    const body = r.bodies[0] as Json;
    expect(body.kind).toBe('alert');
    expect(body.text.split('\n')).toEqual([
      'High: Failed-login burst for carol',
      'Severity: High (risk 65)',
      'User: carol',
      'Rule: failed-login-burst',
      'Decision: challenge',
      'From: 81.2.69.160 · London, GB',
      '- 6 failed logins in 3 minutes for carol (failed-login-burst, high)',
      `${PUBLIC_URL}/admin/alerts/${a.id}`,
    ]);
    expect(body.fields).toContainEqual({ name: 'User', value: 'carol' });
    expect(body.alert).toMatchObject({ id: a.id, url: `${PUBLIC_URL}/admin/alerts/${a.id}`, severity: 'high', user: 'carol' });
  });
});

describe('routing', () => {
  it('posts to each channel only what it asked for: minimum severity, rules, alert types', async () => {
    const s = service();
    s.start();
    const [highUp, stuffingOnly, transactions] = await Promise.all([receiver(), receiver(), receiver()]);
    await channel(s, { kind: 'chat', url: highUp.url, minSeverity: 'high' });
    await channel(s, { kind: 'chat', url: stuffingOnly.url, minSeverity: 'low', ruleIds: ['credential-stuffing'] });
    await channel(s, { kind: 'chat', url: transactions.url, minSeverity: 'medium', alertTypes: ['transaction'] });

    await raise(s, [
      alert({ ruleId: 'failed-login-burst', severity: 'medium', user: 'a1' }),
      alert({ ruleId: 'credential-stuffing', severity: 'low', user: 'a2' }),
      alert({ ruleId: 'new-login-context', severity: 'critical', user: 'a3' }),
      alert({ ruleId: 'card-testing', severity: 'high', user: 'a4', type: 'transaction' }),
      alert({ ruleId: 'impossible-travel', severity: 'low', user: 'a5', type: 'transaction' }),
    ]);
    const users = (r: { bodies: unknown[] }) => r.bodies.map((b) => (b as Json).alert.user).sort();
    expect(users(highUp)).toEqual(['a3', 'a4']);
    expect(users(stuffingOnly)).toEqual(['a2']);
    expect(users(transactions)).toEqual(['a4']);
  });

  it('refuses an unknown rule, and a URL that resolves to an internal address unless its range is allowed', async () => {
    const s = service({ allowCidrs: [] });
    const unknown = await s.register({ kind: 'slack', name: 'x', url: 'https://hooks.slack.com/services/T/B/x', ruleIds: ['nope'] }, 'a');
    expect(unknown).toEqual({ ok: false, error: { code: 'invalid_body', message: 'No rule "nope".', path: '/ruleIds' } });
    for (const url of ['http://127.0.0.1:9/x', 'http://10.0.0.7/x', 'http://[::1]/x', 'http://169.254.169.254/latest']) {
      const refused = await s.register({ kind: 'chat', name: 'x', url }, 'a');
      expect(refused.ok ? 'accepted' : refused.error.code).toBe('webhook_target_not_allowed');
    }
    expect((await s.list()).filter((c) => c.name === 'x')).toEqual([]);
  });
});

describe('grouping and the rate limit', () => {
  it("two processes deciding alerts of different rules at the same moment share the channel's cap a minute", async () => {
    // A second Vigil process: its own connections to the same database.
    const otherHandle = await openDatabase(db.target, { migrate: false });
    cleanups.push(() => otherHandle.close());
    const one = service();
    const two = service({ store: new SqlStaffNotifyStore(otherHandle) });
    one.start();
    two.start();
    const r = await receiver();
    await channel(one, { kind: 'chat', url: r.url, minSeverity: 'low', perMinute: 1, groupMinutes: 5 });
    await bothDecidingAtOnce(() =>
      Promise.all([raise(one, [alert({ ruleId: 'card-testing' })]), raise(two, [alert({ ruleId: 'impossible-travel' })])]),
    );
    // One message in the minute; the other alert waits in its group for the summary.
    expect(r.bodies).toHaveLength(1);
    now += 5 * 60_000;
    await one.tick();
    expect(r.bodies.map((b) => (b as Json).kind).sort()).toEqual(['alert', 'summary']);
  });

  it('an attack raising 200 alerts of one rule posts one message, then one summary when the group closes', async () => {
    const s = service();
    s.start();
    const r = await receiver();
    const c = await channel(s, { kind: 'slack', url: r.url, minSeverity: 'low', groupMinutes: 10 });
    const burst = Array.from({ length: 200 }, (_, i) => alert({ ruleId: 'credential-stuffing', severity: 'medium', user: `user${i}` }));
    // As the bus brings them: a few per group commit.
    for (let i = 0; i < burst.length; i += 10) await raise(s, burst.slice(i, i + 10));
    expect(r.bodies).toHaveLength(1);

    // Nine minutes on, the group is still open: nothing more.
    now += 9 * 60_000;
    expect((await s.tick()).closed).toBe(0);
    expect(r.bodies).toHaveLength(1);

    now += 60_000;
    expect(await s.tick()).toMatchObject({ closed: 1 });
    expect(r.bodies).toHaveLength(2);
    const summary = r.bodies[1] as Json;
    expect(summary.text).toContain('199 more alerts like this in 10 min: Failed-login burst for user0');
    const fields = summary.blocks[1].fields.map((f: Json) => f.text);
    expect(fields[0]).toBe('*Alerts*\n199 (199 medium)');
    expect(fields[1]).toBe('*Rule*\ncredential-stuffing');
    expect(fields[2]).toBe('*Users*\nuser1, user2, user3, user4, user5, user6, user7, user8, user9, user10 and 189 more');
    expect(summary.blocks.find((b: Json) => b.type === 'actions').elements[0].url).toBe(`${PUBLIC_URL}/admin/alerts/${burst[199]?.id}`);

    // The log says the same: one alert, one summary, both delivered.
    const log = await s.messages(c.id, 10);
    expect(log.ok && log.value.map((m) => [m.kind, m.status])).toEqual([
      ['summary', 'delivered'],
      ['alert', 'delivered'],
    ]);
    // The next wave of that rule opens a new group: posted at once.
    await raise(s, [alert({ ruleId: 'credential-stuffing', severity: 'medium', user: 'late' })]);
    expect(r.bodies).toHaveLength(3);
  });

  it('posts an alert more severe than any posted for its group at once; the rest wait for the summary', async () => {
    const s = service();
    s.start();
    const r = await receiver();
    await channel(s, { kind: 'chat', url: r.url, minSeverity: 'low' });
    await raise(s, [
      alert({ severity: 'medium', user: 'u1' }),
      alert({ severity: 'medium', user: 'u2' }),
      alert({ severity: 'critical', user: 'u3' }),
      alert({ severity: 'high', user: 'u4' }),
      alert({ severity: 'critical', user: 'u5' }),
    ]);
    expect(r.bodies.map((b) => (b as Json).alert.user)).toEqual(['u1', 'u3']);
    now += 10 * 60_000;
    await s.tick();
    expect((r.bodies[2] as Json).group).toMatchObject({
      count: 3,
      bySeverity: { medium: 1, high: 1, critical: 1 },
      subjects: ['u2', 'u4', 'u5'],
    });
    expect((r.bodies[2] as Json).severity).toBe('critical');
  });

  it("past the channel's cap a minute, alerts of new rules wait for their summaries too; the next minute posts again", async () => {
    const s = service();
    s.start();
    const r = await receiver();
    await channel(s, { kind: 'chat', url: r.url, minSeverity: 'low', perMinute: 3, groupMinutes: 5 });
    await raise(
      s,
      RULES.map((ruleId) => alert({ ruleId, user: `u-${ruleId}` })),
    );
    expect(r.bodies.map((b) => (b as Json).alert.ruleId)).toEqual(RULES.slice(0, 3));

    now += 5 * 60_000;
    expect((await s.tick()).closed).toBe(5);
    // Only the groups that held an alert back say so.
    const summaries = r.bodies.slice(3) as Json[];
    expect(summaries.map((b) => [b.kind, b.group.ruleId, b.group.count]).sort()).toEqual([
      ['summary', 'card-testing', 1],
      ['summary', 'impossible-travel', 1],
    ]);
    await raise(s, [alert({ ruleId: 'card-testing', user: 'next' })]);
    expect((r.bodies.at(-1) as Json).alert?.user).toBe('next');
  });
});

describe('escalations', () => {
  it("posts an alert again when it grows past the channel's minimum or above what was posted; not for repeats or closed alerts", async () => {
    const s = service();
    s.start();
    const r = await receiver();
    await channel(s, { kind: 'chat', url: r.url, minSeverity: 'high' });
    const login = alert({ severity: 'medium', user: 'tess', summary: 'New device for tess' });
    await raise(s, [login]);
    expect(r.bodies).toEqual([]);

    // The takeover chain grows the same alert: high, then a repeat at high, then critical.
    await publish(s, 'alert.updated', [{ ...login, severity: 'high', occurrences: 2 }]);
    await publish(s, 'alert.updated', [{ ...login, severity: 'high', occurrences: 3 }]);
    await publish(s, 'alert.updated', [{ ...login, severity: 'critical', occurrences: 4 }]);
    // An admin resolves it: no news.
    await publish(s, 'alert.updated', [{ ...login, severity: 'critical', status: 'resolved' }]);
    expect(r.bodies.map((b) => (b as Json).text.split('\n')[0])).toEqual([
      'Escalated to High: New device for tess',
      'Escalated to Critical: New device for tess',
    ]);
    expect(r.bodies.map((b) => (b as Json).alert.id)).toEqual([login.id, login.id]);
  });
});

describe('delivery', () => {
  it('retries a failed post with backoff, gives up on a 4xx the service will refuse again', async () => {
    const s = service();
    s.start();
    const flaky = await receiver([503, 200]);
    const gone = await receiver([404]);
    const c1 = await channel(s, { kind: 'slack', url: flaky.url });
    const c2 = await channel(s, { kind: 'slack', url: gone.url });
    await raise(s, [alert()]);
    const first = await s.messages(c1.id, 1);
    expect(first.ok && first.value[0]).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatusCode: 503,
      nextAttemptAt: START + 10_000,
    });
    const refused = await s.messages(c2.id, 1);
    expect(refused.ok && refused.value[0]).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 404, nextAttemptAt: null });

    now += 9_999;
    expect((await s.tick()).retried).toBe(0);
    now += 1;
    expect((await s.tick()).retried).toBe(1);
    const after = await s.messages(c1.id, 1);
    expect(after.ok && after.value[0]).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 200 });
    expect(flaky.bodies).toHaveLength(2);
    expect(flaky.bodies[0]).toEqual(flaky.bodies[1]);
    expect(gone.bodies).toHaveLength(1);
  });

  it('keeps alerts raised while stopped in the database; after a restart exactly one of two processes posts each', async () => {
    const r = await receiver();
    const before = service();
    const c = await channel(before, { kind: 'teams', url: r.url });
    // Not started (or stopped for shutdown): the message is queued, not sent.
    await raise(before, [alert({ user: 'queued' })]);
    expect(r.bodies).toEqual([]);
    await before.stop();

    // Two processes on the same database start: each attempts what is due, claiming it first.
    const one = service();
    const two = service();
    one.start();
    two.start();
    await Promise.all([one.tick(), two.tick()]);
    expect(r.bodies).toHaveLength(1);
    expect(JSON.stringify(r.bodies[0])).toContain('queued');
    const log = await one.messages(c.id, 5);
    expect(log.ok && log.value.map((m) => m.status)).toEqual(['delivered']);
  });

  it('never shows, logs or audits the URL: it is sealed at rest and the API shows its scheme and host', async () => {
    const s = service({ timeoutMs: 500 });
    s.start();
    const r = await receiver([500]);
    const c = await channel(s, { kind: 'slack', url: r.url });
    await raise(s, [alert()]);
    now += 10_000;
    await s.tick();
    expect(c.urlHint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/…$/);
    const row = await handle.db.selectFrom('staff_channels').selectAll().where('id', '=', c.id).executeTakeFirstOrThrow();
    expect(ServerSecret.decrypt(KEY, row.url_ciphertext)).toBe(r.url);
    const shown = JSON.stringify([row.url_hint, await s.list(), await s.get(c.id), await s.messages(c.id, 10), audited, logLines]);
    expect(shown).not.toContain('s3cr3tT0ken');
    expect(logLines.some((l) => l.includes(`staff channel ${c.id}`) && l.includes('HTTP 500'))).toBe(true);
    expect(audited).toEqual([
      ['admin (key_1)', 'staff_channel.created', `staff_channel:${c.id}`, expect.objectContaining({ urlHint: c.urlHint, kind: 'slack' })],
    ]);
  });

  it('a disabled channel gets nothing more; its pending retries are given up', async () => {
    const s = service();
    s.start();
    const r = await receiver([500]);
    const c = await channel(s, { kind: 'chat', url: r.url });
    await raise(s, [alert()]);
    expect((await s.disable(c.id, 'admin (key_1)')).ok).toBe(true);
    now += 10_000;
    await s.tick();
    await raise(s, [alert({ ruleId: 'card-testing' })]);
    expect(r.bodies).toHaveLength(1);
    const log = await s.messages(c.id, 5);
    expect(log.ok && log.value[0]).toMatchObject({ status: 'failed', lastError: 'channel disabled' });
    expect(audited.map(([, action]) => action)).toEqual(['staff_channel.created', 'staff_channel.deleted']);
  });
});

describe("the admins' digest", () => {
  const inbox: Message[] = [];
  const notifier: Notifier = {
    send: async (m) => {
      inbox.push(m);
      return ok({ via: 'outbox' });
    },
  };
  beforeEach(() => {
    inbox.length = 0;
  });

  it("lists the last hour's alerts by severity, once, at the first tick after the hour", async () => {
    now = Date.parse('2026-05-01T12:00:05Z');
    const hour = Date.parse('2026-05-01T11:00:00Z');
    const stored: Alert[] = [
      { ...alert({ severity: 'critical', user: 'dave', summary: 'Account takeover chain for dave' }), createdAt: hour + 60_000 },
      { ...alert({ severity: 'medium', user: 'erin', summary: 'New device for erin' }), createdAt: hour + 120_000 },
      { ...alert({ severity: 'medium', user: 'frank', summary: 'New device for frank' }), createdAt: hour + 59 * 60_000 },
      // Outside the hour: the hour before, and the hour under way.
      { ...alert({ severity: 'high', user: 'early' }), createdAt: hour - 1 },
      { ...alert({ severity: 'high', user: 'late' }), createdAt: hour + 3_600_000 },
    ];
    const alerts = {
      // The alert store's contract: created in [from, to), newest first.
      list: async (q: { from: number; to: number; limit: number }) =>
        stored
          .filter((a) => a.createdAt >= q.from && a.createdAt < q.to)
          .sort((a, b) => b.createdAt - a.createdAt)
          .slice(0, q.limit),
    };
    const recipients = ['soc@example.com', 'ciso@example.com'];
    const one = service({ alerts, notifier, digest: { cadence: 'hourly', recipients } });
    const two = service({ alerts, notifier, digest: { cadence: 'hourly', recipients } });
    expect([(await one.tick()).digests, (await two.tick()).digests]).toEqual([2, 0]);
    expect(inbox.map((m) => m.to)).toEqual(recipients);
    const mail = inbox[0] as Message;
    expect(mail.channel).toBe('email');
    expect(mail.subject).toBe('Vigil hourly digest: 3 alerts, highest critical (2026-05-01 11:00 to 2026-05-01 12:00 UTC)');
    expect(mail.text.split('\n').slice(0, 11)).toEqual([
      '3 alerts were raised from 2026-05-01 11:00 to 2026-05-01 12:00 UTC.',
      'critical 1 · high 0 · medium 2 · low 0',
      '',
      'Critical (1)',
      `- 11:01 Account takeover chain for dave (user dave, failed-login-burst, new)`,
      `  ${PUBLIC_URL}/admin/alerts/${stored[0]?.id}`,
      '',
      'Medium (2)',
      `- 11:02 New device for erin (user erin, failed-login-burst, new)`,
      `  ${PUBLIC_URL}/admin/alerts/${stored[1]?.id}`,
      `- 11:59 New device for frank (user frank, failed-login-burst, new)`,
    ]);
    // The same hour is never sent twice; the next one is, after 13:00.
    now = Date.parse('2026-05-01T12:59:59Z');
    expect((await one.tick()).digests).toBe(0);
    now = Date.parse('2026-05-01T13:00:00Z');
    expect((await one.tick()).digests).toBe(2);
    expect(inbox[2]?.subject).toBe('Vigil hourly digest: 1 alert, highest high (2026-05-01 12:00 to 2026-05-01 13:00 UTC)');
    expect(inbox[2]?.text).toContain('(user late, failed-login-burst, new)');
    // An hour without alerts sends nothing.
    now = Date.parse('2026-05-01T14:00:00Z');
    expect((await two.tick()).digests).toBe(0);
    expect(inbox).toHaveLength(4);
  });

  it('a digest claimed by a process that died before sending it is sent by another once the claim runs out', async () => {
    now = Date.parse('2026-05-03T10:00:05Z');
    const a = { ...alert({ severity: 'high', user: 'hal' }), createdAt: Date.parse('2026-05-03T09:30:00Z') };
    const alerts = { list: async (q: { from: number; to: number }) => (a.createdAt >= q.from && a.createdAt < q.to ? [a] : []) };
    const recipients = ['soc@example.com'];
    // The first process claims the hour and dies while its email is on the way: its send never returns.
    let sending: () => void = () => {};
    const sendingStarted = new Promise<void>((resolve) => {
      sending = resolve;
    });
    let die: () => void = () => {};
    const dead = new Promise<void>((resolve) => {
      die = resolve;
    });
    const dying = service({
      alerts,
      notifier: {
        send: async () => {
          sending();
          await dead;
          return err({ code: 'send_failed' as const, via: 'outbox' as const, reason: 'the process is gone' });
        },
      },
      digest: { cadence: 'hourly', recipients },
    });
    // Its round is let go before the other cleanups stop it (they run in reverse order).
    cleanups.push(async () => die());
    void dying.tick();
    await sendingStarted;
    const other = service({ alerts, notifier, digest: { cadence: 'hourly', recipients } });
    // While the claim may still be sending, nobody sends the hour again.
    now = Date.parse('2026-05-03T10:01:00Z');
    expect((await other.tick()).digests).toBe(0);
    // Once it has run out, the hour is not lost: another process sends it, once.
    now = Date.parse('2026-05-03T10:20:00Z');
    expect((await other.tick()).digests).toBe(1);
    expect(inbox.map((m) => m.subject)).toEqual(['Vigil hourly digest: 1 alert, highest high (2026-05-03 09:00 to 2026-05-03 10:00 UTC)']);
    now = Date.parse('2026-05-03T10:30:00Z');
    expect((await service({ alerts, notifier, digest: { cadence: 'hourly', recipients } }).tick()).digests).toBe(0);
    // The dead process's late failure gives back nothing it no longer holds.
    die();
    await dying.stop();
    expect((await service({ alerts, notifier, digest: { cadence: 'hourly', recipients } }).tick()).digests).toBe(0);
    expect(inbox).toHaveLength(1);
  });

  it('daily: the UTC day before, and nothing when VIGIL_ADMIN_ALERT_EMAILS is empty', async () => {
    now = Date.parse('2026-05-02T00:10:00Z');
    const a = { ...alert({ severity: 'low', user: 'gina' }), createdAt: Date.parse('2026-05-01T23:30:00Z') };
    const alerts = { list: async (q: { from: number; to: number }) => (a.createdAt >= q.from && a.createdAt < q.to ? [a] : []) };
    expect((await service({ alerts, notifier, digest: { cadence: 'daily', recipients: [] } }).tick()).digests).toBe(0);
    expect((await service({ alerts, notifier, digest: { cadence: 'daily', recipients: ['soc@example.com'] } }).tick()).digests).toBe(1);
    expect(inbox[0]?.subject).toBe('Vigil daily digest: 1 alert, highest low (2026-05-01 00:00 to 2026-05-02 00:00 UTC)');
  });
});
