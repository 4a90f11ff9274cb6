import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { BUILT_CLI } from './build-server.js';
import { onHost, type VirtualHost } from './virtual-network.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
// The build, kept fresh by the global setup (build-server.ts).
const CLI = [BUILT_CLI];

/** How long one `vigil` command may run: a CLI start loads the geo-IP database, slow beside a busy suite. */
export const CLI_TIMEOUT_MS = 90_000;
/** The timeout of a test that runs `vigil` commands or servers: a few slow starts on a loaded machine. */
export const PROCESS_TEST_TIMEOUT_MS = 180_000;
/** How long `vigil serve` may take to answer /healthz: the same start, and the detection state's replay. */
export const SERVER_START_TIMEOUT_MS = 60_000;

/**
 * Every child a test starts, until it has exited. `stopChildren()` kills what is left: after each test
 * file (test/support/children.ts, a setup file), and at this worker's exit, so a test that times out or
 * throws before its own `stop()` cannot leave a Vigil server running after the suite. Their pids are also
 * written under VIGIL_TEST_CHILDREN_DIR, for global-setup.ts to kill should the worker itself be killed.
 */
const children = new Set<ChildProcess>();

function pidFile(child: ChildProcess): string | undefined {
  const dir = process.env.VIGIL_TEST_CHILDREN_DIR;
  return dir && child.pid !== undefined ? path.join(dir, String(child.pid)) : undefined;
}

function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  recordForTeardown(child);
}

/**
 * Writes a child's pid under VIGIL_TEST_CHILDREN_DIR until its exit, for the global teardown to kill
 * should this worker die first; for a child the test stops itself, in its own order (a NATS server
 * that must outlive the processes connected to it).
 */
export function recordForTeardown(child: ChildProcess): void {
  const file = pidFile(child);
  if (!file) return;
  fs.writeFileSync(file, '');
  child.once('exit', () => fs.rmSync(file, { force: true }));
}

/** SIGKILLs every child still running and waits for their exit. */
export async function stopChildren(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * Runs `vigil ARGS` to completion. Synchronous: the child is SIGKILLed at CLI_TIMEOUT_MS and always
 * reaped before this returns, so it cannot outlive the test. A test with several commands gives itself
 * a timeout to match (the default 30 s is one slow start on a busy machine).
 */
export function runCli(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [...CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: CLI_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
    throw new Error(`vigil ${args.join(' ')} ran over ${CLI_TIMEOUT_MS} ms:\n${r.stdout}${r.stderr}`);
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs `vigil ARGS` without blocking the test, for a command that must overlap other work (a backup
 * while events are sent). Tracked like a server, and SIGKILLed at CLI_TIMEOUT_MS.
 */
export function runCliAsync(
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.once('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export interface RunningServer {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  /** SIGKILL: no shutdown hook runs, as in a crash or an OOM kill. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `vigil serve` as a real process and waits until /healthz answers. The server is tracked:
 * killed after the test file (or at the worker's exit) if the test does not stop it. It listens on
 * the machine's loopback, or, given a host of a `VirtualNetwork`, runs in that host's namespace and
 * listens on its address (port 8080: the namespace's ports are its own).
 */
export async function startServer(env: Record<string, string>, host?: VirtualHost): Promise<RunningServer> {
  // freePort's port can be taken by another test's server before this one binds it: this one then
  // exits (EADDRINUSE), and it is started again on another port.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOnce(env, host);
    } catch (error) {
      if (host || attempt >= 3 || !(error instanceof PortTaken)) throw error;
    }
  }
}

class PortTaken extends Error {}

async function startServerOnce(env: Record<string, string>, host?: VirtualHost): Promise<RunningServer> {
  const port = host ? 8080 : await freePort();
  const address = host?.address ?? '127.0.0.1';
  const [command, args] = onHost(host, [process.execPath, ...CLI, 'serve']);
  const child = spawn(command, args, {
    cwd: ROOT,
    // Info: the server's "listening" line tells that the port is its own (below); requests log a line each.
    env: { ...process.env, VIGIL_HOST: address, VIGIL_PORT: String(port), VIGIL_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const url = `http://${address}:${port}`;
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  // A /healthz answer alone may come from another test's server on a port that was free a moment
  // ago (a durability test once counted that server's events: none): this one must also have said
  // it listens there, unless the test asked for quieter logs.
  const says = ['info', 'debug', 'trace'].includes(env.VIGIL_LOG_LEVEL ?? 'info');
  for (;;) {
    if (child.exitCode !== null) {
      if (/EADDRINUSE/.test(output)) throw new PortTaken(`port ${port} was taken`);
      throw new Error(`vigil serve exited early:\n${output}`);
    }
    try {
      if ((!says || output.includes(`listening on ${url} (`)) && (await fetch(`${url}/healthz`)).ok) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`vigil serve did not become healthy:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => output,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      // A graceful stop that hangs is a failure of the test, not a server left behind.
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
