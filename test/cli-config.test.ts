import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, PROCESS_TEST_TIMEOUT_MS, ROOT, runCli } from './support/process.js';

/**
 * What `vigil` refuses or prints before it opens a database: the same on any store, so this file
 * runs on the SQLite leg only (cli.test.ts has the commands that read and write one, on both).
 */
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-cli-config-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ VIGIL_DATABASE_URL: `sqlite:${path.join(dir, 'vigil.db')}`, VIGIL_DEMO: 'false' });

describe('vigil import --url', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('needs a key for --url', () => {
    fs.writeFileSync(path.join(dir, 'x.ndjson'), '');
    const r = runCli(['import', path.join(dir, 'x.ndjson'), '--url', 'http://127.0.0.1:9'], env());
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--url needs --key');
  });
});

describe('vigil keys', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('refuses an unknown role', () => {
    const r = runCli(['keys', 'create', '--role', 'root'], env());
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('must be one of: ingest, viewer, analyst, admin');
  });
});

describe('configuration', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it.each([
    [{ VIGIL_PORT: 'eighty' }, 'VIGIL_PORT'],
    [{ VIGIL_PORT: '70000' }, 'VIGIL_PORT'],
    [{ VIGIL_DATABASE_URL: 'mysql://x' }, 'VIGIL_DATABASE_URL'],
    [{ VIGIL_ADMIN_KEY: 'short' }, 'VIGIL_ADMIN_KEY'],
    [{ VIGIL_LOG_LEVEL: 'loud' }, 'VIGIL_LOG_LEVEL'],
    [{ VIGIL_TRUST_AFTER_DAYS: '0' }, 'VIGIL_TRUST_AFTER_DAYS'],
    [{ VIGIL_TRUST_AFTER_DAYS: 'a week' }, 'VIGIL_TRUST_AFTER_DAYS'],
    [{ VIGIL_TRUST_PROXY: 'proxy.internal' }, 'VIGIL_TRUST_PROXY'],
    [{ VIGIL_TRUST_PROXY: '10.0.0.0/33' }, 'VIGIL_TRUST_PROXY'],
    [{ VIGIL_WEBHOOK_ALLOW_CIDRS: '127.0.0.1' }, 'VIGIL_WEBHOOK_ALLOW_CIDRS'],
    [{ VIGIL_WEBHOOK_ALLOW_CIDRS: '10.0.0.0/8,10.0.0.0/33' }, 'VIGIL_WEBHOOK_ALLOW_CIDRS'],
    [{ VIGIL_WEBHOOK_ALLOW_CIDRS: '127.1/8' }, 'VIGIL_WEBHOOK_ALLOW_CIDRS'],
  ])('stops the start with the variable named: %o', (bad, variable) => {
    const r = runCli(['serve'], { ...env(), ...bad });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`configuration error: ${variable}`);
  });

  it('names VIGIL_DATABASE_URL and the target, without its password, when PostgreSQL cannot be reached', async () => {
    const port = await freePort();
    const r = runCli(['migrate'], { ...env(), VIGIL_DATABASE_URL: `postgres://vigil:s3cret-pw@127.0.0.1:${port}/vigil` });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('configuration error: VIGIL_DATABASE_URL');
    expect(r.stderr).toContain(`postgres://vigil@127.0.0.1:${port}/vigil`);
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(r.stderr).not.toContain('s3cret-pw');
  });

  it('refuses a sqlite: path whose folder does not exist, and creates nothing', () => {
    const missing = path.join(dir, 'no-such-folder');
    const r = runCli(['serve'], { ...env(), VIGIL_DATABASE_URL: `sqlite:${missing}/vigil.db`, VIGIL_PORT: '0' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('configuration error: VIGIL_DATABASE_URL');
    expect(r.stderr).toContain(`${missing}/vigil.db`);
    expect(r.stderr).toContain('does not exist');
    expect(fs.existsSync(missing)).toBe(false);
  });
});

describe('the command line', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('prints its version', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = runCli(['--version'], {});
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('states in --help the ranges it enforces', () => {
    const help = runCli(['monitor', 'simulate', '--help'], {}).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('(40 to 1440)');
    expect(help).toContain('(0 to 14; 0: none)');
    const refused = runCli(['monitor', 'simulate', '--minutes', '30'], {});
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('must be a whole number from 40 to 1440');
  });
});
