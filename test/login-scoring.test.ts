import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { SqlAuditStore } from '../src/store/audit-store.js';
import { openDatabase } from '../src/store/database.js';
import { generateLogins, HEADER } from './fixtures/logins/generate.js';
import { ADMIN_KEY, INGEST_KEY, startTestApp, type TestApp } from './support/app.js';
import { freshDatabase } from './support/database.js';
import { type Mailbox, startMailbox } from './support/mailbox.js';
import { PROCESS_TEST_TIMEOUT_MS, runCli } from './support/process.js';

const ADMINS = ['secops@shop.example', 'ciso@shop.example'];
const fixture = generateLogins();
const planted = new Set(fixture.plantedLines);

interface Result {
  line: number;
  user: string;
  timestamp: string;
  anomaly_score: number;
  anomaly_flag: 0 | 1;
  reasons: Array<{ feature: string; contribution: number; value: number; detail: string }>;
}
interface Answer {
  uploadId: string;
  rows: number;
  flagged: number;
  threshold: number;
  contamination: 'auto' | number;
  stored: { new: number; alreadyStored: number };
  emailed: number;
  columns: { mapped: Record<string, string>; numeric: string[]; categorical: string[]; features: string[] };
  results: Result[];
}

function upload(
  t: TestApp,
  csv: string,
  query = '',
  options: { key?: string; contentType?: string } = {},
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: `/v1/logins/score${query ? `?${query}` : ''}`,
    headers: { authorization: `Bearer ${options.key ?? ADMIN_KEY}`, 'content-type': options.contentType ?? 'text/csv' },
    payload: csv,
  });
}

/** Every flagged login stored, following the cursor. */
async function allFlagged(t: TestApp): Promise<Array<{ user: string; line: number; uploadId: string; reasons: unknown[] }>> {
  const out = [];
  let cursor: string | null = null;
  do {
    const res = await t.get(`/v1/logins/flagged?limit=40${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode).toBe(200);
    const page = res.json() as {
      logins: Array<{ user: string; line: number; uploadId: string; reasons: unknown[] }>;
      nextCursor: string | null;
    };
    out.push(...page.logins);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

it('keeps the sample file beside the generator in step with it (the README uploads it)', () => {
  expect(fs.readFileSync(path.join(import.meta.dirname, 'fixtures/logins/logins.csv'), 'utf8')).toBe(fixture.csv);
});

describe('POST /v1/logins/score', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { VIGIL_ADMIN_ALERT_EMAILS: ADMINS.join(',') } });
  });
  afterAll(async () => t.close());

  it('flags the planted takeovers, says why, and leaves ordinary logins mostly alone', async () => {
    const res = await upload(t, fixture.csv);
    expect(res.statusCode).toBe(200);
    const body = res.json() as Answer;
    expect(body.rows).toBe(fixture.rows.length);
    expect(body.results).toHaveLength(fixture.rows.length);
    expect(body.contamination).toBe('auto');
    expect(body.threshold).toBe(0.5);
    expect(body.columns.mapped).toEqual({
      user_id: 'user_id',
      timestamp: 'timestamp',
      ip_address: 'ip_address',
      location: 'location',
      device_type: 'device_type',
    });
    expect(body.columns.numeric).toEqual(['failed_attempts']);
    expect(body.columns.categorical).toEqual(['login_status']);
    expect(body.columns.features).toEqual(expect.arrayContaining(['hour_of_day', 'day_of_week', 'location_rarity', 'device_rarity']));

    const takeovers = body.results.filter((r) => planted.has(r.line));
    expect(takeovers).toHaveLength(5);
    for (const r of takeovers) {
      expect(r.anomaly_flag).toBe(1);
      expect(r.anomaly_score).toBeGreaterThan(0.7);
      expect(r.reasons.length).toBeGreaterThan(0);
      // New country, network or device for this user: the reasons point at what is new.
      expect(r.reasons.map((x) => x.feature).some((f) => /location|network|ip|device/.test(f))).toBe(true);
    }
    // Each takeover is more abnormal than any ordinary login.
    const ordinary = body.results.filter((r) => !planted.has(r.line));
    const highestOrdinary = Math.max(...ordinary.map((r) => r.anomaly_score));
    for (const r of takeovers) expect(r.anomaly_score).toBeGreaterThan(highestOrdinary);
    // contamination=auto (s > 0.5, as scikit-learn) is generous, but most ordinary logins pass.
    expect(ordinary.filter((r) => r.anomaly_flag === 1).length / ordinary.length).toBeLessThan(0.15);
    expect(body.flagged).toBe(body.results.filter((r) => r.anomaly_flag === 1).length);
    // Rows not flagged carry no reasons; scores are s(x) in (0, 1].
    for (const r of ordinary) {
      expect(r.anomaly_score > 0 && r.anomaly_score <= 1).toBe(true);
      if (r.anomaly_flag === 0) expect(r.reasons).toEqual([]);
    }
    // The reasons say it in words: what was new for this user, against how many of their logins.
    const nigeria = takeovers.find((r) => r.user === 'user004');
    expect(nigeria?.reasons.map((x) => x.detail).join('\n')).toMatch(
      /: 1 of \d+ logins of user004|1 of \d+ logins of user004 within an hour/,
    );
  });

  it('flags a share of the rows with ?contamination, lists flagged rows only with ?only=flagged, and stores each login once', async () => {
    const res = await upload(t, fixture.csv, 'contamination=0.005&only=flagged');
    expect(res.statusCode).toBe(200);
    const body = res.json() as Answer;
    expect(body.contamination).toBe(0.005);
    // 0.5 % of 1,398 rows: the five takeovers and at most two ordinary logins.
    expect(body.flagged).toBeGreaterThanOrEqual(5);
    expect(body.flagged).toBeLessThanOrEqual(8);
    expect(body.results).toHaveLength(body.flagged);
    expect(body.results.every((r) => r.anomaly_flag === 1)).toBe(true);
    expect(body.results.filter((r) => planted.has(r.line))).toHaveLength(5);
    expect(body.threshold).toBeGreaterThan(0.5);
    // The first upload (contamination auto) flagged and stored all of these already.
    expect(body.stored).toEqual({ new: 0, alreadyStored: body.flagged });
    expect(body.emailed).toBe(0);
  });

  it('stores the flagged logins of a file uploaded twice once, and says how many were new', async () => {
    const before = await allFlagged(t);
    const again = (await upload(t, fixture.csv)).json() as Answer;
    expect(again.stored).toEqual({ new: 0, alreadyStored: again.flagged });
    const after = await allFlagged(t);
    expect(after).toHaveLength(before.length);
    expect(after.length).toBe(again.flagged);
    expect(new Set(after.map((l) => `${l.user}@${l.line}`)).size).toBe(after.length);

    // One new takeover appended to the file: only it is new.
    const extra = `${fixture.csv}user001,2026-11-30T03:33:00Z,41.203.64.9,NG,Linux Desktop,success,0\n`;
    const third = (await upload(t, extra)).json() as Answer;
    const line = fixture.rows.length + 2;
    expect(third.results.find((r) => r.line === line)?.anomaly_flag).toBe(1);
    expect(third.stored.new).toBeGreaterThanOrEqual(1);
    const stored = await allFlagged(t);
    expect(stored.find((l) => l.user === 'user001' && l.line === line)?.uploadId).toBe(third.uploadId);

    // Each upload is in the audit trail: who sent it and what it stored.
    const audit = (await t.get('/v1/audit?action=logins.scored')).json().entries as Array<Record<string, any>>;
    expect(audit[0]).toMatchObject({
      action: 'logins.scored',
      subject: `upload:${third.uploadId}`,
      details: { rows: fixture.rows.length + 1, flagged: third.flagged, newlyStored: third.stored.new, contamination: 'auto' },
    });
    expect(audit[0]?.actor).toMatch(/\(key_/);
    expect(audit.find((e) => e.subject === `upload:${again.uploadId}`)?.details.newlyStored).toBe(0);
  });

  it('emails every admin an HTML summary with the flagged logins attached as CSV, once per news', async () => {
    const mails = await t.system.outbox.list({ limit: 50 });
    // Two uploads stored something new (the first, and the one with an extra login); the repeats did not.
    const subjects = [...new Set(mails.map((m) => m.subject))];
    expect(subjects).toHaveLength(2);
    for (const to of ADMINS) expect(mails.filter((m) => m.recipient === to)).toHaveLength(2);
    const first = mails[mails.length - 1];
    expect(first?.subject).toMatch(/^\[Vigil\] \d+ anomalous logins in upload upl_\w+ \(\d+ new\)$/);
    expect(first?.body).toContain('Most abnormal first');
    expect(first?.body).toMatch(/\[Attachments, not kept in the outbox: flagged-logins-upl_\w+\.csv \(text\/csv\)\]/);
    expect(first?.html).toContain('<table');
    for (const line of fixture.plantedLines) expect(first?.html).toContain(`<td>${line}</td>`);
    // The admins' API shows the HTML too.
    const outbox = (await t.get('/v1/outbox?limit=1')).json() as { messages: Array<{ html?: string }> };
    expect(outbox.messages[0]?.html).toContain('anomalous login');
  });

  it('maps columns by name whatever their case and aliases, with semicolons and other timestamp forms', async () => {
    const rows = fixture.rows.map(([user, time, ip, location, device, status, failed]) =>
      [failed, device, `${(time as string).replace('T', ' ').replace('Z', '')}`, location, ip, user, status].join(';'),
    );
    const csv = `Failed Attempts;Device;Login Time;Country;IP;Username;Status\n${rows.join('\n')}\n`;
    const res = await upload(t, csv, 'only=flagged', { contentType: 'text/csv; charset=utf-8' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as Answer;
    expect(body.columns.mapped).toEqual({
      user_id: 'Username',
      timestamp: 'Login Time',
      ip_address: 'IP',
      location: 'Country',
      device_type: 'Device',
    });
    // The same logins, so the same takeovers stand out.
    expect(body.results.filter((r) => planted.has(r.line))).toHaveLength(5);
    expect(body.results.find((r) => r.line === fixture.plantedLines[0])?.timestamp).toBe(
      new Date(`${fixture.rows[(fixture.plantedLines[0] as number) - 2]?.[1]}`).toISOString(),
    );
  });

  describe('refuses bad files, naming the line and the column, and stores nothing', () => {
    let r: TestApp;
    beforeAll(async () => {
      r = await startTestApp({ env: { VIGIL_ADMIN_ALERT_EMAILS: ADMINS[0] as string, VIGIL_BODY_LIMIT_BYTES: '4096' } });
    });
    afterAll(async () => r.close());

    const head = 'user_id,timestamp,ip_address,location\n';
    const ok = ['ann,2026-11-01T08:00:00Z,81.2.69.10,GB', 'bob,2026-11-01T09:00:00Z,81.2.69.11,GB'];

    it.each([
      ['a missing user column', 'timestamp,ip\n2026-11-01T08:00:00Z,1.2.3.4\n', 422, 'missing_column', { path: '/user_id', line: 1 }],
      ['a missing timestamp column', 'user,ip\nann,1.2.3.4\nbob,1.2.3.5\n', 422, 'missing_column', { path: '/timestamp', line: 1 }],
      [
        'an unreadable timestamp',
        `${head}${ok.join('\n')}\ncid,yesterday at noon,81.2.69.12,GB\n`,
        422,
        'invalid_cell',
        { path: '/timestamp', line: 4 },
      ],
      [
        'a day that does not exist',
        `${head}${ok[0]}\nbob,2026-02-30T09:00:00Z,1.2.3.4,GB\n`,
        422,
        'invalid_cell',
        { path: '/timestamp', line: 3 },
      ],
      [
        'a date that could be day- or month-first',
        `User,Time\nann,03/11/2026 08:00\nbob,2026-11-03T08:00Z\n`,
        422,
        'invalid_cell',
        { path: '/Time', line: 2 },
      ],
      ['an empty user', `${head}${ok[0]}\n,2026-11-01T09:00:00Z,1.2.3.4,GB\n`, 422, 'invalid_cell', { path: '/user_id', line: 3 }],
      ['a row with a cell too many', `${head}${ok[0]}\n${ok[1]},extra\n`, 400, 'invalid_csv', { line: 3 }],
      ['an unclosed quote', `${head}${ok[0]}\n"bob,2026-11-01T09:00:00Z,1.2.3.4,GB\n`, 400, 'invalid_csv', { line: 3 }],
      ['a column named twice', 'user_id,timestamp,IP,ip\nann,2026-11-01T08:00:00Z,1,2\n', 400, 'invalid_csv', { path: '/ip', line: 1 }],
      ['an empty file', '', 422, 'empty_file', {}],
      ['a header and nothing else', head, 422, 'empty_file', {}],
      ['a single login', `${head}${ok[0]}\n`, 422, 'too_few_rows', {}],
    ] as Array<[string, string, number, string, { path?: string; line?: number }]>)('%s', async (_name, csv, status, code, where) => {
      const res = await upload(r, csv);
      expect(res.statusCode).toBe(status);
      const { error } = res.json() as { error: { code: string; message: string; line?: number; path?: string; requestId: string } };
      expect(error).toMatchObject({ code, ...where });
      expect(error.requestId).toBe(res.headers['x-request-id']);
      if (where.line !== undefined && where.line > 1) expect(error.message).toMatch(/line \d+/i);
    });

    it('answers 413 for a file over the body limit, 415 for JSON, 400 for a bad contamination', async () => {
      const big = `${head}${Array.from({ length: 200 }, (_, i) => `user${i},2026-11-01T08:00:00Z,81.2.69.10,GB`).join('\n')}\n`;
      const tooLarge = await upload(r, big);
      expect(tooLarge.statusCode).toBe(413);
      expect(tooLarge.json().error.code).toBe('payload_too_large');

      const json = await upload(r, JSON.stringify({ rows: ok }), '', { contentType: 'application/json' });
      expect(json.statusCode).toBe(415);
      expect(json.json().error.code).toBe('unsupported_media_type');

      for (const bad of ['0', '0.7', 'lots', '-0.1']) {
        const res = await upload(r, `${head}${ok.join('\n')}\n`, `contamination=${bad}`);
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toMatchObject({ code: 'invalid_query', path: '/contamination' });
      }
      const only = await upload(r, `${head}${ok.join('\n')}\n`, 'only=some');
      expect(only.statusCode).toBe(400);
    });

    it('stored nothing and emailed nobody for any of them', async () => {
      expect(await allFlagged(r)).toEqual([]);
      expect(await r.system.outbox.list({ limit: 10 })).toEqual([]);
      expect(await r.system.audit.list({ action: 'logins.scored', limit: 10 })).toEqual([]);
    });
  });

  it('is for admins: an ingest key gets 403 and no key 401, on both routes', async () => {
    const asIngest = await upload(t, fixture.csv, '', { key: INGEST_KEY });
    expect(asIngest.statusCode).toBe(403);
    expect(asIngest.json().error.code).toBe('forbidden');
    expect((await t.get('/v1/logins/flagged', INGEST_KEY)).statusCode).toBe(403);
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/v1/logins/score',
      headers: { 'content-type': 'text/csv' },
      payload: fixture.csv,
    });
    expect(anonymous.statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/v1/logins/flagged' })).statusCode).toBe(401);
  });

  it('lists flagged logins with their reasons and cells, and documents both routes', async () => {
    const res = await t.get('/v1/logins/flagged?user=user004&limit=5');
    const { logins } = res.json() as { logins: Array<Record<string, unknown>> };
    const takeover = logins.find((l) => l.location === 'NG');
    expect(takeover).toMatchObject({
      user: 'user004',
      ip: '102.89.33.7',
      device: 'Linux Desktop',
      timestamp: '2026-11-21T02:15:05.000Z',
      row: { user_id: 'user004', location: 'NG', login_status: 'success', failed_attempts: '0' },
    });
    expect((takeover?.reasons as unknown[] | undefined)?.length).toBeGreaterThan(0);
    expect(takeover?.anomaly_score as number).toBeGreaterThan(0.7);
    expect(logins.every((l) => l.user === 'user004')).toBe(true);
    const docs = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(docs.paths)).toEqual(expect.arrayContaining(['/v1/logins/score', '/v1/logins/flagged']));
  });

  it('refuses a cursor it did not make', async () => {
    const res = await t.get('/v1/logins/flagged?cursor=bm9wZQ');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_cursor', path: '/cursor' });
  });
});

describe('the email by SMTP', () => {
  let mailbox: Mailbox;
  let t: TestApp;
  beforeAll(async () => {
    mailbox = await startMailbox();
    t = await startTestApp({ env: { VIGIL_SMTP_URL: mailbox.url, VIGIL_ADMIN_ALERT_EMAILS: ADMINS[0] as string } });
  });
  afterAll(async () => {
    await t.close();
    await mailbox.close();
  });

  it('arrives with the HTML summary and the flagged logins as a CSV attachment', async () => {
    const body = (await upload(t, fixture.csv, 'contamination=0.005')).json() as Answer;
    expect(body.emailed).toBe(1);
    const mail = await mailbox.next(ADMINS[0] as string);
    expect(mail.raw).toMatch(/Content-Type: text\/html/);
    expect(mail.raw).toContain(`filename=flagged-logins-${body.uploadId}.csv`);
    // The attachment is base64 in the MIME part after its headers.
    const part = mail.raw.split(/\r?\n--/).find((p) => p.includes('filename=flagged-logins-')) as string;
    const csv = Buffer.from(part.split(/\r?\n\r?\n/)[1] as string, 'base64').toString('utf8');
    const lines = csv.trim().split(/\r\n/);
    expect(lines[0]).toBe([...HEADER, 'anomaly_score', 'anomaly_flag', 'reasons', 'new'].join(','));
    expect(lines).toHaveLength(body.flagged + 1);
    for (const line of fixture.plantedLines) {
      const cells = (fixture.rows[line - 2] as string[]).join(',');
      expect(lines.some((l) => l.startsWith(`${cells},0.`) && l.endsWith(',1'))).toBe(true);
    }
  });
});

describe('vigil score-logins', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  let dir: string;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-logins-'));
    db = await freshDatabase();
    fs.writeFileSync(path.join(dir, 'logins.csv'), fixture.csv);
  });
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });
  const env = () => ({ VIGIL_DATABASE_URL: db.url, VIGIL_DEMO: 'false', VIGIL_ADMIN_ALERT_EMAILS: ADMINS[0] as string });

  it('prints a summary, writes every scored row with --out, stores and emails as the API does', async () => {
    const out = path.join(dir, 'scored.csv');
    const r = runCli(['score-logins', path.join(dir, 'logins.csv'), '--contamination', '0.005', '--out', out], env());
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/1398 logins, [5-8] flagged \(contamination 0\.005: score above 0\.\d+\)/);
    expect(r.stdout).toMatch(/Stored [5-8] new flagged logins \(0 already stored\); emailed 1 admin\./);
    for (const line of fixture.plantedLines) expect(r.stdout).toContain(`line ${line} `);
    const scored = fs.readFileSync(out, 'utf8').trim().split(/\r\n/);
    expect(scored).toHaveLength(fixture.rows.length + 1);
    expect(scored[0]).toBe([...HEADER, 'anomaly_score', 'anomaly_flag', 'reasons'].join(','));
    for (const line of fixture.plantedLines) {
      const row = scored[line - 1] as string;
      expect(row.startsWith(`${(fixture.rows[line - 2] as string[]).join(',')},0.`)).toBe(true);
      expect(row).toMatch(/,0\.\d{4},1,/);
    }

    // The same file again, without storing: the same scores, and nothing more stored.
    const dry = runCli(['score-logins', path.join(dir, 'logins.csv'), '--contamination', '0.005', '--no-store'], env());
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain('Nothing stored, nobody emailed (--no-store).');
    expect(dry.stdout.split('\n').filter((l) => l.startsWith('  line'))).toEqual(
      r.stdout.split('\n').filter((l) => l.startsWith('  line')),
    );

    // The stored run is audited as the command line's; the dry run, which changed nothing, is not.
    const handle = await openDatabase(loadConfig(env()).database, { migrate: false });
    try {
      const entries = await new SqlAuditStore(handle).list({ action: 'logins.scored', limit: 10 });
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ actor: 'cli', details: { file: 'logins.csv', rows: fixture.rows.length, contamination: 0.005 } });
    } finally {
      await handle.close();
    }
  });

  it('exits 1 naming the file, line and column of a bad cell, or a bad option', () => {
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'user_id,timestamp\nann,2026-11-01T08:00:00Z\nbob,noon\n');
    const r = runCli(['score-logins', bad], env());
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bad}:3: invalid_cell: Line 3, column "timestamp"`);
    const option = runCli(['score-logins', bad, '--contamination', '2'], env());
    expect(option.status).not.toBe(0);
    expect(option.stderr).toContain('contamination must be auto or a share');
  });
});
