/**
 * Screenshots of the dashboard for the README: `npx tsx scripts/screenshots.ts`.
 *
 * Starts a throwaway demo Vigil (a temporary SQLite file, the demo history of alice, bob and carol,
 * plus a few simulated attacks), signs in through the real sign-in page with Debian's Chromium, and
 * writes docs/screenshots/{member,admin-feed,alert-detail,monitor}.png at 1280×800 and member-phone.png at
 * 390 px wide. Rebuilds the dashboard first when web/ changed since the last build.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { loadConfig } from '../src/config/config.js';
import { seedDemo } from '../src/demo/seed-demo.js';
import { scenarioEvents } from '../src/demo/simulator.js';
import { buildApp } from '../src/http/app.js';
import { createSystem } from '../src/system.js';
import { ensureWebBuild } from '../test/browser/build-web.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(repo, 'docs/screenshots');
const CHROMIUM = process.env.VIGIL_CHROMIUM_PATH ?? '/usr/bin/chromium';

async function main(): Promise<void> {
  ensureWebBuild();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-screenshots-'));
  const config = loadConfig({
    VIGIL_DATABASE_URL: `sqlite:${path.join(dir, 'vigil.db')}`,
    VIGIL_HOST: '127.0.0.1',
    VIGIL_PORT: '0',
    VIGIL_DEMO: 'true',
    VIGIL_SECRET_KEY: randomBytes(32).toString('hex'),
    VIGIL_LOG_LEVEL: 'silent',
  });
  const quiet = { info() {}, warn() {}, error: (m: string, e: unknown) => console.error(m, e) };
  const system = await createSystem(config, { logger: quiet });
  const app = await buildApp(system);
  let browser: Browser | undefined;
  try {
    // The demo prints its throwaway keys; they die with the temporary database, so keep them off the terminal.
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      await seedDemo(system, app.log);
    } finally {
      process.stdout.write = write;
    }
    // A livelier feed: a few of the simulator's attacks on alice and bob, as happened just now.
    const now = system.clock.now();
    await system.ingest.ingest(scenarioEvents('failed-logins', 'alice', now - 20 * 60_000));
    await system.ingest.ingest(scenarioEvents('browsing-burst', 'bob', now - 12 * 60_000));
    await system.ingest.ingest(scenarioEvents('large-purchase-new-device', 'alice', now - 3 * 60_000));
    await system.accountService.settled();

    const password = randomBytes(12).toString('base64url');
    const admin = { email: 'admin@vigil.local', password };
    const member = { email: 'carol@example.com', password };
    for (const [who, role, user] of [
      [admin, 'admin', undefined],
      [member, 'member', 'carol'],
    ] as const) {
      const created = await system.people.create({ ...who, role, ...(user && { user }) }, 'demo');
      if (!created.ok) throw new Error(created.error.message);
    }

    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    fs.mkdirSync(out, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--hide-scrollbars'],
    });

    const signIn = async (width: number, height: number, who: { email: string; password: string }): Promise<Page> => {
      const context = await (browser as Browser).newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
      const page = await context.newPage();
      await page.goto(`${base}/signin`);
      await page.getByLabel('Email').fill(who.email);
      await page.getByLabel('Password').fill(who.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname !== '/signin');
      return page;
    };
    const shot = async (page: Page, name: string, fullPage = false) => {
      // Let fonts settle and the "new" highlight fade.
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(out, name), fullPage });
      console.log(`docs/screenshots/${name}`);
    };

    const memberPage = await signIn(1280, 800, member);
    await memberPage.getByRole('heading', { name: 'Your account is locked' }).waitFor();
    await memberPage.getByRole('heading', { name: 'Recent activity' }).waitFor();
    await memberPage.locator('.timeline-item').first().waitFor();
    await shot(memberPage, 'member.png');

    const adminPage = await signIn(1280, 800, admin);
    await adminPage.locator('.alert-row').first().waitFor();
    await shot(adminPage, 'admin-feed.png');

    await adminPage.goto(`${base}/admin/alerts?view=table`);
    await adminPage.locator('table.alert-table tbody tr').first().waitFor();
    await shot(adminPage, 'admin-table.png');

    await adminPage.goto(`${base}/admin/alerts`);
    await adminPage.locator('.alert-row').first().waitFor();

    await adminPage.locator('.alert-row', { hasText: 'carol' }).first().getByRole('link').click();
    await adminPage.getByRole('heading', { name: 'Why: reasons and evidence' }).waitFor();
    await adminPage.getByRole('heading', { name: /^Account carol/ }).waitFor();
    await adminPage.locator('.account-state').waitFor();
    await shot(adminPage, 'alert-detail.png');

    await adminPage.goto(`${base}/admin/monitor`);
    await adminPage.locator('section.monitor-card[data-status="failed"] circle.monitor-dot').first().waitFor();
    await adminPage.locator('table.monitor-anomalies').waitFor();
    await shot(adminPage, 'monitor.png');

    const phone = await signIn(390, 844, member);
    await phone.getByRole('heading', { name: 'Your account is locked' }).waitFor();
    await phone.locator('.timeline-item').first().waitFor();
    await shot(phone, 'member-phone.png');
  } finally {
    await browser?.close();
    await app.close();
    await system.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
