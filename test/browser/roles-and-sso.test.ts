import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY } from '../support/credentials.js';
import { startOidcProvider, type TestProvider } from '../support/oidc-provider.js';
import { type BrowserVigil, closeContexts, freePort, launchChromium, newPage, signInThroughPage, startBrowserVigil } from './support.js';

/**
 * Issue 20 in the browser: what a viewer and an analyst see (the controls their role cannot use are
 * not shown, and the server refuses them anyway), and single sign-on through a real OpenID provider,
 * at desktop width and on a 375 px phone. One Vigil (with single sign-on configured) for the file.
 */

const PHONE = { width: 375, height: 740 };
let browser: Browser;
let vigil: BrowserVigil;
let provider: TestProvider;
let alertId: string;

beforeAll(async () => {
  const port = await freePort();
  const redirect = `http://127.0.0.1:${port}/v1/session/oidc/callback`;
  provider = await startOidcProvider(
    {
      olga: { email: 'olga@shop.example', groups: ['vigil-analysts'] },
      pete: { email: 'pete@shop.example', groups: ['sales'] },
    },
    [redirect],
  );
  vigil = await startBrowserVigil({ port, env: provider.env(redirect) });
  browser = await launchChromium();

  // One alert to look at: a custom rule on large transactions, and one.
  const rule = await vigil.t.app.inject({
    method: 'POST',
    url: '/v1/rules',
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
    payload: {
      name: 'Roles: big transaction',
      type: 'transaction',
      eventTypes: ['transaction'],
      conditions: [{ field: 'amount', op: 'gt', value: 1000 }],
      severity: 'high',
    },
  });
  expect(rule.statusCode).toBe(201);
  const sent = await vigil.sendEvents({
    type: 'transaction',
    user: 'victor',
    amount: 4000,
    currency: 'EUR',
    ip: '81.2.69.160',
    timestamp: new Date().toISOString(),
  });
  alertId = sent.alertId;
  expect(alertId).toMatch(/^alrt_/);
});
afterAll(async () => {
  await closeContexts();
  await browser?.close();
  await vigil?.close();
  await provider?.close();
});

const menuOf = (page: Page) => page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

describe('a viewer', () => {
  for (const size of [undefined, PHONE]) {
    it(`reads alerts, accounts and rules but is shown no control to change them (${size ? '375 px' : 'desktop'})`, async () => {
      const viewer = await vigil.person('viewer');
      const { page, context } = await newPage(browser, size);
      await signInThroughPage(page, vigil.base, viewer);
      expect(new URL(page.url()).pathname).toBe('/admin/alerts');
      if (size) await page.getByRole('button', { name: 'Menu' }).click();
      const menu = await menuOf(page);
      expect(menu).toEqual(expect.arrayContaining(['Alerts', 'Accounts', 'Rules', 'Lists', 'Snoozes', 'Settings']));
      expect(menu).not.toContain('Audit log');
      expect(menu).not.toContain('Outbox');
      expect(menu).not.toContain('Login files');
      await page.getByText('Viewer', { exact: true }).first().waitFor();

      await page.goto(`${vigil.base}/admin/alerts/${alertId}`);
      await page.getByRole('heading', { name: 'Why: reasons and evidence' }).waitFor();
      await page.getByText('Your role (viewer) can read this alert but not change it').waitFor();
      expect(await page.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Lock victor' }).count()).toBe(0);
      expect(await overflow(page)).toBeLessThanOrEqual(0);

      await page.goto(`${vigil.base}/admin/rules`);
      await page.getByRole('heading', { level: 1, name: 'Rules' }).waitFor();
      await page.getByText('Roles: big transaction').waitFor();
      expect(await page.getByRole('switch').count()).toBe(0);
      expect(await page.getByRole('button', { name: /Promote to live|Run in shadow|Settings and backtest/ }).count()).toBe(0);

      await page.goto(`${vigil.base}/admin/lists`);
      await page.getByText('Your role (viewer) can read the lists but not change them').waitFor();

      await page.goto(`${vigil.base}/admin/audit`);
      await page.getByRole('heading', { level: 1, name: 'Not available' }).waitFor();

      // And the server refuses what the page does not offer.
      const session = await page.evaluate(async () => (await fetch('/v1/session')).json());
      const refused = await page.evaluate(
        async ({ id, csrf }) => {
          const res = await fetch(`/v1/alerts/${id}/acknowledge`, {
            method: 'POST',
            headers: { 'x-csrf-token': csrf, 'content-type': 'application/json' },
            body: '{}',
          });
          return { status: res.status, code: (await res.json()).error.code };
        },
        { id: alertId, csrf: session.csrfToken as string },
      );
      expect(refused).toEqual({ status: 403, code: 'forbidden' });
      await context.close();
    });
  }
});

describe('an analyst', () => {
  for (const size of [undefined, PHONE]) {
    it(`triages an alert but cannot change lists (${size ? '375 px' : 'desktop'})`, async () => {
      const analyst = await vigil.person('analyst');
      const { page, context } = await newPage(browser, size);
      await signInThroughPage(page, vigil.base, analyst);
      await page.goto(`${vigil.base}/admin/alerts/${alertId}`);
      await page.getByRole('heading', { name: 'Actions', exact: true }).waitFor();
      await page.getByRole('button', { name: 'Lock victor' }).waitFor();
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      if (!size) {
        await page.getByRole('button', { name: 'Acknowledge' }).click();
        await page.getByText(/the alert is now acknowledged/i).waitFor();
      }
      await page.goto(`${vigil.base}/admin/lists`);
      await page.getByText('Your role (analyst) can read the lists but not change them').waitFor();
      expect(await page.getByRole('button', { name: /^Add/ }).count()).toBe(0);
      await context.close();
    });
  }
});

describe('single sign-on', () => {
  /** From Vigil's sign-in page through the provider's sign-in and consent pages, as a person would. */
  async function signInWithSso(page: Page, login: string): Promise<void> {
    await page.goto(`${vigil.base}/signin`);
    await page.getByRole('link', { name: 'Sign in with Single sign-on' }).click();
    await page.waitForURL((url) => url.origin === provider.issuer);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
    // The provider's consent page, the first time.
    await page.locator('form input[name="prompt"][value="consent"]').waitFor({ state: 'attached' });
    await page.locator('button[type="submit"]').click();
  }

  for (const size of [undefined, PHONE]) {
    it(`signs an analyst in through the provider to the alert feed (${size ? '375 px' : 'desktop'})`, async () => {
      const { page, context } = await newPage(browser, size);
      await signInWithSso(page, 'olga');
      await page.waitForURL(`${vigil.base}/admin/alerts`);
      await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor();
      if (size) await page.getByRole('button', { name: 'Menu' }).click();
      await page.getByText('Analyst', { exact: true }).first().waitFor();
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      // The session is a dashboard session like any: the page reads and acts with it.
      const who = await page.evaluate(async () => (await fetch('/v1/session')).json());
      expect(who.person).toMatchObject({ email: 'olga@shop.example', role: 'analyst' });
      await context.close();
    });
  }

  it('refuses someone whose groups give no role, and stays signed out', async () => {
    const { page, context } = await newPage(browser);
    await signInWithSso(page, 'pete');
    await page.waitForURL(/\/v1\/session\/oidc\/callback/);
    await page.getByText('sso_no_role').waitFor();
    const res = await page.evaluate(async () => (await fetch('/v1/session')).status);
    expect(res).toBe(401);
    await context.close();
  });
});
