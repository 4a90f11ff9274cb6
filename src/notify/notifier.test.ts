import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../test/support/database.js';
import type { Clock } from '../core/clock.js';
import { type DatabaseHandle, openDatabase } from '../store/database.js';
import { SqlOutboxStore } from '../store/outbox-store.js';
import { maskRecipient } from './mask.js';
import { createNotifier } from './notifier.js';
import type { Message } from './ports.js';

const CODE = '482913';
const START = Date.parse('2026-05-01T10:00:00Z');
let tick = 0;
// A second apart per reading, so outbox order is the order of sending.
const clock: Clock = { now: () => START + 1000 * tick++ };
const MAIL_FROM = 'Vigil <security@vigil.test>';

let db: TestDatabase;
let handle: DatabaseHandle;
let logLines: string[];
const log = {
  info: (m: string) => {
    // Which channels use the outbox is said once at start; its own test checks it.
    if (!m.startsWith('Notifications:')) logLines.push(m);
  },
  warn: (m: string) => logLines.push(m),
};
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  db = await freshDatabase();
  handle = await openDatabase(db.target, { migrate: true });
  logLines = [];
  tick = 0;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await handle.close();
  await db.drop();
  // Bodies carry one-time codes: whatever happened, no log line may show one.
  for (const line of logLines) expect(line).not.toContain(CODE);
});

const email: Message = {
  channel: 'email',
  to: 'carol@example.com',
  subject: 'Your Vigil unlock code',
  text: `Your code is ${CODE}. It expires in 10 minutes.`,
  user: 'carol',
  attachments: [{ filename: 'report.csv', content: 'time,event\n10:00,login.failed\n', contentType: 'text/csv' }],
};
const sms: Message = { channel: 'sms', to: '+447700900189', subject: 'Unlock code', text: `Vigil code: ${CODE}`, user: 'carol' };

interface Received {
  from: string | undefined;
  to: string[];
  raw: string;
}

/** A real SMTP server in this process: no auth, no TLS, a random port on 127.0.0.1. */
async function startSmtp(): Promise<{ url: string; mails: Received[] }> {
  const mails: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `smtp://127.0.0.1:${port}`, mails };
}

interface GatewayRequest {
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

/** A local HTTP server standing in for the SMS gateway; answers `status`. */
async function startGateway(status = 200): Promise<{ url: string; requests: GatewayRequest[] }> {
  const requests: GatewayRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      // A gateway echoing the message back must not get the code into Vigil's log.
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ echo: Buffer.concat(chunks).toString() }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${port}/send`, requests };
}

const notifierWith = (config: { smtpUrl?: string; smsGatewayUrl?: string; smsGatewayToken?: string }) =>
  createNotifier({ mailFrom: MAIL_FROM, ...config }, { outbox: new SqlOutboxStore(handle), clock, log });

describe('email by SMTP', () => {
  it('delivers subject, text and attachment to a real SMTP server', async () => {
    const smtp = await startSmtp();
    const result = await notifierWith({ smtpUrl: smtp.url }).send(email);
    expect(result).toEqual({ ok: true, value: { via: 'smtp' } });

    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0] as Received;
    expect(mail.from).toBe('security@vigil.test');
    expect(mail.to).toEqual(['carol@example.com']);
    expect(mail.raw).toMatch(/^Subject: Your Vigil unlock code\r?$/m);
    expect(mail.raw).toMatch(/^From: Vigil <security@vigil.test>\r?$/m);
    expect(mail.raw).toContain(`Your code is ${CODE}. It expires in 10 minutes.`);
    expect(mail.raw).toMatch(/Content-Disposition: attachment; filename=report\.csv/);
    expect(mail.raw).toMatch(/Content-Type: text\/csv/);
    const content = Buffer.from('time,event\n10:00,login.failed\n').toString('base64');
    expect(mail.raw).toContain(content);

    expect(logLines).toEqual(['email to c***@example.com sent via smtp']);
    // Nothing went to the outbox.
    expect(await new SqlOutboxStore(handle).list({ limit: 10 })).toEqual([]);
  });

  it('reports a server that cannot be reached as a failure, and does not fall back to the outbox', async () => {
    const smtp = await startSmtp();
    const port = Number(new URL(smtp.url).port);
    await cleanups.pop()?.(); // close it: nothing listens there now
    const result = await notifierWith({ smtpUrl: `smtp://127.0.0.1:${port}` }).send(email);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.error).toMatchObject({ code: 'send_failed', via: 'smtp', reason: expect.stringContaining('ECONNREFUSED') });
    expect(logLines).toEqual([expect.stringMatching(/^email to c\*\*\*@example\.com failed via smtp: .*ECONNREFUSED/)]);
    expect(await new SqlOutboxStore(handle).list({ limit: 10 })).toEqual([]);
  });
});

describe('SMS by the HTTP gateway', () => {
  it('POSTs {to, message} as JSON with the bearer token', async () => {
    const gateway = await startGateway();
    const result = await notifierWith({ smsGatewayUrl: gateway.url, smsGatewayToken: 'gw-token-123' }).send(sms);
    expect(result).toEqual({ ok: true, value: { via: 'sms-gateway' } });
    expect(gateway.requests).toEqual([
      {
        authorization: 'Bearer gw-token-123',
        contentType: 'application/json',
        body: { to: '+447700900189', message: `Vigil code: ${CODE}` },
      },
    ]);
    expect(logLines).toEqual(['sms to +44*****89 sent via sms-gateway']);
  });

  it('sends no Authorization header when no token is configured', async () => {
    const gateway = await startGateway();
    expect((await notifierWith({ smsGatewayUrl: gateway.url }).send(sms)).ok).toBe(true);
    expect(gateway.requests[0]?.authorization).toBeUndefined();
  });

  it('reports a gateway answering 500 as a failure, without its answer in the reason', async () => {
    const gateway = await startGateway(500);
    const result = await notifierWith({ smsGatewayUrl: gateway.url }).send(sms);
    expect(result).toEqual({ ok: false, error: { code: 'send_failed', via: 'sms-gateway', reason: 'gateway answered HTTP 500' } });
    expect(gateway.requests).toHaveLength(1);
    expect(logLines).toEqual(['sms to +44*****89 failed via sms-gateway: gateway answered HTTP 500']);
  });

  it('reports a gateway that does not answer in time', async () => {
    const server = http.createServer(() => {}); // never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const { SmsGatewayNotifier } = await import('./sms-gateway.js');
    const gateway = new SmsGatewayNotifier({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 200 });
    expect(await gateway.send(sms)).toEqual({
      ok: false,
      error: { code: 'send_failed', via: 'sms-gateway', reason: 'no answer within 200 ms' },
    });
  });
});

describe('the outbox, when a channel is not configured', () => {
  it('keeps email and SMS in the database, newest first, readable per user', async () => {
    const started: string[] = [];
    createNotifier(
      { mailFrom: MAIL_FROM },
      { outbox: new SqlOutboxStore(handle), clock, log: { info: (m) => started.push(m), warn() {} } },
    );
    expect(started).toEqual([
      'Notifications: email (VIGIL_SMTP_URL unset) and SMS (VIGIL_SMS_GATEWAY_URL unset) go to the outbox, not to people.',
    ]);
    const notifier = notifierWith({});
    expect(await notifier.send(email)).toEqual({ ok: true, value: { via: 'outbox' } });
    expect(await notifier.send(sms)).toEqual({ ok: true, value: { via: 'outbox' } });
    expect(await notifier.send({ ...sms, user: 'dave', to: '+33612345678' })).toEqual({ ok: true, value: { via: 'outbox' } });

    const rows = await handle.db.selectFrom('outbox').selectAll().orderBy('id').execute();
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({
      channel: 'email',
      recipient: 'carol@example.com',
      subject: 'Your Vigil unlock code',
      body: expect.stringContaining(`Your code is ${CODE}.`),
      user_id: 'carol',
      created_at: START,
    });
    expect(rows[0]?.body).toContain('[Attachments, not kept in the outbox: report.csv (text/csv)]');

    const store = new SqlOutboxStore(handle);
    const carol = await store.list({ user: 'carol', limit: 10 });
    expect(carol.map((m) => m.channel)).toEqual(['sms', 'email']);
    const page1 = await store.list({ limit: 2 });
    const last = page1[1];
    expect(page1).toHaveLength(2);
    const page2 = await store.list({ limit: 2, ...(last && { after: { createdAt: last.createdAt, id: last.id } }) });
    expect([...page1, ...page2].map((m) => m.id)).toEqual(rows.map((r) => r.id).reverse());
    expect(logLines).toEqual([
      'email to c***@example.com sent via outbox',
      'sms to +44*****89 sent via outbox',
      'sms to +33*****78 sent via outbox',
    ]);
  });

  it('uses the outbox only for the channel without a transport', async () => {
    const smtp = await startSmtp();
    const notifier = notifierWith({ smtpUrl: smtp.url });
    expect(await notifier.send(email)).toEqual({ ok: true, value: { via: 'smtp' } });
    expect(await notifier.send(sms)).toEqual({ ok: true, value: { via: 'outbox' } });
    expect(smtp.mails).toHaveLength(1);
    expect((await new SqlOutboxStore(handle).list({ limit: 10 })).map((m) => m.channel)).toEqual(['sms']);
  });
});

describe('maskRecipient', () => {
  it.each([
    ['email', 'carol@example.com', 'c***@example.com'],
    ['email', 'no-at-sign', '***'],
    ['email', '@example.com', '***'],
    ['sms', '+447700900189', '+44*****89'],
    ['sms', '+44 7700 900189', '+44*****89'],
    ['sms', '12345', '***'],
  ] as const)('%s %s → %s', (channel, to, masked) => {
    expect(maskRecipient(channel, to)).toBe(masked);
  });
});
