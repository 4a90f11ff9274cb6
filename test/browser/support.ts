import { type AddressInfo, createServer } from 'node:net';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest';
import type { PersonRole } from '../../src/auth/people.js';
import type { Clock } from '../../src/core/clock.js';
import { ADMIN_KEY, INGEST_KEY } from '../support/credentials.js';
import { freshSqliteDatabase } from '../support/sqlite-database.js';
import { PERSON_PASSWORD, startVigilApp, type TestApp } from '../support/vigil-app.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.js';

/**
 * Browser tests: a real, listening Vigil (fresh SQLite database, real detection, the built dashboard) and
 * Debian's Chromium driven by playwright-core. No browser is ever downloaded.
 */

/**
 * The run's shared Chromium (started by the global setup), connected to for this test file; its
 * `close()` ends this file's connection and contexts, not the browser. Without it (a run whose global
 * setup could not start one), a browser of the file's own.
 */
export function launchChromium(): Promise<Browser> {
  const endpoint = inject('chromiumEndpoint');
  if (endpoint) return chromium.connect(endpoint);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

export interface BrowserVigil {
  readonly t: TestApp;
  /** http://127.0.0.1:<port> */
  readonly base: string;
  /** Creates a dashboard person with PERSON_PASSWORD; members get their shopper id. */
  person(role: PersonRole, user?: string): Promise<{ email: string; password: string }>;
  /** POST /v1/events with the ingest key, as a shop's backend would. */
  sendEvents(events: unknown): Promise<any>;
  /** GET an admin API path with the admin key. */
  adminGet(path: string): Promise<any>;
  close(): Promise<void>;
}

let people = 0;

/**
 * `port`: when the configuration must name Vigil's own address before it starts (single sign-on's
 * redirect URL); `env`: more configuration; `clock`: Vigil's time, for pages that show durations.
 */
export async function startBrowserVigil(
  options: { port?: number; env?: Record<string, string>; clock?: Clock } = {},
): Promise<BrowserVigil> {
  // Demo mode: the member page's simulator exists only there (POST /v1/me/simulate).
  // On SQLite whatever the suite's database: these tests check the dashboard, whose every route the API
  // tests check on both databases (README, Tests), so CI runs them once (its SQLite leg).
  const t = await startVigilApp(await freshSqliteDatabase(), {
    env: { VIGIL_DEMO: 'true', ...options.env },
    ...(options.clock && { clock: options.clock }),
  });
  await t.app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = t.app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    t,
    base,
    async person(role, user) {
      const email = `${user ?? role}-${++people}-${Date.now().toString(36)}@example.test`;
      const created = await t.system.people.create({ email, password: PERSON_PASSWORD, role, ...(user !== undefined && { user }) }, 'test');
      if (!created.ok) throw new Error(created.error.message);
      return { email, password: PERSON_PASSWORD };
    },
    async sendEvents(events) {
      const res = await fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(events),
      });
      if (!res.ok && res.status !== 207) throw new Error(`events: ${res.status} ${await res.text()}`);
      return res.json();
    },
    async adminGet(path) {
      const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.json();
    },
    close: () => t.close(),
  };
}

/** A port free right now on 127.0.0.1 (the OS picks it; taken again at once by the caller). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const openContexts = new Set<BrowserContext>();

/** A fresh browser profile (its own cookies) with one page; closed by closeContexts() after each test. */
export async function newPage(
  browser: Browser,
  options: { width?: number; height?: number } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 800 } });
  openContexts.add(context);
  context.on('close', () => openContexts.delete(context));
  const page = await context.newPage();
  // A bound for a hung step, not a speed target: the suite's for any wait (expect.poll's, vitest.config.ts).
  page.setDefaultTimeout(15_000);
  return { context, page };
}

/** Closes what a test left open (a failed test leaves its pages and their live-feed streams). */
export async function closeContexts(): Promise<void> {
  await Promise.all([...openContexts].map((c) => c.close()));
}

/** Signs in through the sign-in page, as a person would, and waits for the landing page. */
export async function signInThroughPage(page: Page, base: string, who: { email: string; password: string }, path = '/'): Promise<void> {
  await page.goto(`${base}${path}`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/signin');
}

/** The newest one-time code sent to `user`, read from the outbox with the admin API. */
export async function latestCode(vigil: BrowserVigil, user: string): Promise<string> {
  // The code is sent after the answer to the event, by the response to it: wait for it (5 s at most).
  for (let tries = 0; tries < 50; tries++) {
    await vigil.t.system.accountService.settled();
    // The newest message with a code: a notification sent in the same millisecond may sort first.
    const { messages } = await vigil.adminGet(`/v1/outbox?user=${encodeURIComponent(user)}&limit=10`);
    const code = (messages as Array<{ text: string }>).map((m) => /\b(\d{6})\b/.exec(m.text)?.[1]).find(Boolean);
    if (code) return code;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no code in the outbox for ${user}`);
}

/** A few weeks of ordinary history so that novelty rules have something to compare with. */
export function ordinaryHistory(user: string, now = Date.now()): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (let day = 10; day >= 1; day--) {
    const at = new Date(now - day * 86_400_000).toISOString();
    events.push({
      type: 'login.succeeded',
      user,
      id: `${user}-hist-${day}`,
      timestamp: at,
      ip: '81.2.69.160',
      device: `${user}-laptop`,
      session: `${user}-s-${day}`,
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    });
  }
  return events;
}

export interface BrowserSuite {
  /** One Chromium for the test file. */
  readonly browser: Browser;
  /** A fresh Vigil, with its own database, for each test. */
  readonly vigil: BrowserVigil;
}

/**
 * What every browser test file sets up: Chromium launched once for the file, a fresh Vigil before each
 * test (`prepare` then runs on it, e.g. to send history), and after each test the pages it left open
 * closed and its Vigil stopped.
 */
export function setUpBrowserSuite(prepare?: (vigil: BrowserVigil) => Promise<void>): BrowserSuite {
  let browser: Browser | undefined;
  let vigil: BrowserVigil | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());
  beforeEach(async () => {
    vigil = await startBrowserVigil();
    await prepare?.(vigil);
  });
  afterEach(async () => {
    await closeContexts();
    await vigil?.close();
  });
  return {
    get browser() {
      if (!browser) throw new Error('Chromium is started in beforeAll');
      return browser;
    },
    get vigil() {
      if (!vigil) throw new Error('Vigil is started in beforeEach');
      return vigil;
    },
  };
}
