/**
 * Vigil under single events for longer than `npm run bench` runs: `npm run bench:steady`.
 *
 * bench/run.ts measures 10 s of each load on a fresh server, so each shopper's rule windows hold only
 * a few events, and its 40,000 single-event bodies repeat. Here every event is new (the benchmark's
 * events in order, bench/events.ts: each of the 10,000 shoppers acts about every seven minutes of
 * event time), and the load runs in windows of STEADY_WINDOW_S seconds, STEADY_WINDOWS times, against
 * one server started as `npm start` starts it, on a fresh SQLite file. After about 200 events per
 * shopper (a day of event time) the windows of a day are full: that is the steady state of this mix.
 * Each window prints events/s, p99 and the server's CPU per event, main thread and others (/proc).
 *
 * Knobs: STEADY_WINDOWS (12), STEADY_WINDOW_S (30), BENCH_CONNECTIONS (50), BENCH_SERVER_FLAGS (the
 * server's V8 flags, space separated, '' for none; by default `npm start`'s), BENCH_PROFILE=DIR (a CPU
 * profile of the server's whole run, its top functions printed at the end).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { SERVE_NODE_FLAGS } from '../src/cli/node-flags.js';
import { cpuBetween, threadCpuMs } from './cpu.js';
import { envInt } from './env.js';
import { benchEvents, USERS } from './events.js';
import { freePort } from './free-port.js';
import { type CpuProfile, formatSelfTime, newestProfile, selfTimeByFunction } from './profile-summary.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const WINDOWS = envInt('STEADY_WINDOWS', 12);
const WINDOW_S = envInt('STEADY_WINDOW_S', 30);
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 50);
const SERVER_FLAGS =
  process.env.BENCH_SERVER_FLAGS === undefined ? SERVE_NODE_FLAGS : process.env.BENCH_SERVER_FLAGS.split(' ').filter(Boolean);
const PROFILE_DIR = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : undefined;
const INGEST_KEY = 'bench-steady-ingest-key-0123456789abcdef';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-steady-'));
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const profile = PROFILE_DIR === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR];
const server = spawn(process.execPath, [...profile, ...SERVER_FLAGS, path.join(ROOT, 'dist/cli/main.js'), 'serve'], {
  cwd: ROOT,
  env: {
    ...process.env,
    VIGIL_DATABASE_URL: `sqlite:${path.join(dir, 'vigil.db')}`,
    VIGIL_SECRET_KEY_FILE: path.join(dir, 'secret'),
    VIGIL_PORT: String(port),
    VIGIL_HOST: '127.0.0.1',
    VIGIL_INGEST_KEY: INGEST_KEY,
    VIGIL_DEMO: 'false',
    VIGIL_LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const stopServer = () => {
  if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
};
process.once('exit', stopServer);
process.once('SIGINT', () => process.exit(130));

try {
  for (const deadline = Date.now() + 90_000; ; await new Promise((r) => setTimeout(r, 200))) {
    if (Date.now() > deadline) throw new Error('vigil serve did not answer /healthz within 90 s');
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
  }
  // Enough numbered events for the fastest server imaginable here; the last one is an hour ago.
  const { eventJson } = benchEvents(WINDOWS * WINDOW_S * 30_000);
  let sent = 0;
  const pid = server.pid as number;
  console.log(
    `Single events from ${CONNECTIONS} connections, every event new, ${WINDOWS} windows of ${WINDOW_S} s; server V8 flags: ${SERVER_FLAGS.join(' ') || 'none'}`,
  );
  console.log('| window | events sent per shopper | events/s | p99 ms | max ms | main µs/event | others µs/event |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (let w = 1; w <= WINDOWS; w++) {
    const before = threadCpuMs(pid);
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      autocannon(
        {
          url: `${url}/v1/events`,
          method: 'POST',
          connections: CONNECTIONS,
          duration: WINDOW_S,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_KEY}` },
          requests: [{ setupRequest: (request) => ({ ...request, body: eventJson(sent++) }) }],
        },
        (error, r) => (error ? reject(error) : resolve(r)),
      );
    });
    const cpu = cpuBetween(before, threadCpuMs(pid), pid);
    const ok = result['2xx'];
    const perEvent = (ms: number | undefined) => (ms === undefined || ok === 0 ? '—' : ((ms * 1000) / ok).toFixed(1));
    console.log(
      `| ${w} | ${(sent / USERS).toFixed(0)} | ${Math.round(ok / WINDOW_S).toLocaleString('en-US')} | ${result.latency.p99} | ${result.latency.max} | ${perEvent(cpu?.mainMs)} | ${perEvent(cpu?.othersMs)} |`,
    );
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`window ${w}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  server.kill('SIGINT');
  await new Promise((resolve) => server.once('exit', resolve));
  const profileFile = PROFILE_DIR === undefined ? undefined : newestProfile(PROFILE_DIR);
  if (profileFile !== undefined) {
    const cpuProfile = JSON.parse(fs.readFileSync(profileFile, 'utf8')) as CpuProfile;
    console.log(formatSelfTime(`server main thread, self time by function (${profileFile})`, selfTimeByFunction(cpuProfile)));
  }
} finally {
  stopServer();
  fs.rmSync(dir, { recursive: true, force: true });
}
