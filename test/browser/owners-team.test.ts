import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, TEST_NOW } from '../support/clock.js';
import { ADMIN_KEY } from '../support/credentials.js';
import { type BrowserVigil, closeContexts, launchChromium, newPage, signInThroughPage, startBrowserVigil } from './support.js';

/**
 * Issue 20 in the browser, at desktop width and on a 375 px phone: an analyst takes an alert from
 * the feed ("Assign to me") and comments on it (the text shown as written, never as HTML); the Team
 * page shows how long alerts waited per owner; the rules page shows a rule's false-positive share.
 * One Vigil for the file, on a clock that moves only when the test says, so durations are exact.
 */

const MIN = 60_000;
const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: '375 px', width: 375, height: 740 },
] as const;
const RULE = 'Owners: big transaction';
const clock = fixedClock(TEST_NOW);
let browser: Browser;
let vigil: BrowserVigil;
let analyst: { email: string; password: string };

async function admin(method: 'POST' | 'PUT', path: string, body?: object): Promise<any> {
  const res = await fetch(`${vigil.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body && { 'content-type': 'application/json' }) },
    ...(body && { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function alertFor(user: string): Promise<string> {
  const sent = await vigil.sendEvents({
    type: 'transaction',
    user,
    amount: 4000,
    currency: 'EUR',
    ip: '81.2.69.160',
    timestamp: new Date(clock.now()).toISOString(),
  });
  expect(sent.alertId).toMatch(/^alrt_/);
  return sent.alertId;
}

beforeAll(async () => {
  vigil = await startBrowserVigil({ clock });
  browser = await launchChromium();
  await admin('POST', '/v1/rules', {
    name: RULE,
    type: 'transaction',
    eventTypes: ['transaction'],
    conditions: [{ field: 'amount', op: 'gt', value: 1000 }],
    severity: 'high',
  });
  analyst = await vigil.person('analyst');
});
afterAll(async () => {
  await closeContexts();
  await browser?.close();
  await vigil?.close();
});

async function signedIn(size: (typeof SIZES)[number], path: string): Promise<Page> {
  const { page } = await newPage(browser, size);
  await signInThroughPage(page, vigil.base, analyst, path);
  return page;
}

const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

describe('an analyst takes an alert and comments on it', () => {
  for (const size of SIZES) {
    it(`from the feed card, then on the alert’s page (${size.name})`, async () => {
      const id = await alertFor(`uma-${size.width}`);
      const page = await signedIn(size, '/admin/alerts');
      const card = page.locator(`li[data-alert-id="${id}"]`);
      await card.getByText('Owner: Nobody').waitFor();
      await card.getByRole('button', { name: /^Assign to me/ }).click();
      await card.getByText(`Owner: You (${analyst.email})`).waitFor();
      expect(await card.getByRole('button', { name: /^Assign to me/ }).count()).toBe(0);

      await card.getByRole('link').first().click();
      await page
        .getByTestId('alert-owner')
        .filter({ hasText: `You (${analyst.email})` })
        .waitFor();
      const markup = '<img src=x onerror="window.injected=1"> <b>not bold</b>\nsecond line';
      await page.getByLabel(/^Add a comment/).fill(markup);
      await page.getByRole('button', { name: 'Add comment' }).click();
      const thread = page.getByRole('list', { name: 'Comments, oldest first' });
      await thread.getByText('Comment added.').or(page.getByText('Comment added.')).first().waitFor();
      const text = thread.locator('.comment-text');
      await expect.poll(() => text.first().textContent()).toBe(markup);
      // Shown as text: no element came out of it, and no script ran.
      expect(await thread.locator('img, b').count()).toBe(0);
      expect(await page.evaluate(() => (window as { injected?: number }).injected)).toBeUndefined();
      await thread.getByText(analyst.email).waitFor();
      expect(await overflow(page)).toBeLessThanOrEqual(0);

      const audit = await vigil.adminGet(`/v1/audit?subject=${encodeURIComponent(`alert:${id}`)}`);
      expect(audit.entries.map((e: { action: string }) => e.action).sort()).toEqual(['alert.assigned', 'alert.commented']);
      await page.context().close();
    });
  }
});

describe('a viewer', () => {
  it('reads an alert’s owner and comments but is offered no control to change them (375 px)', async () => {
    const id = await alertFor('xena');
    await admin('POST', `/v1/alerts/${id}/comments`, { text: 'Looked at it: a known customer.' });
    const viewer = await vigil.person('viewer');
    const { page } = await newPage(browser, SIZES[1]);
    await signInThroughPage(page, vigil.base, viewer, `/admin/alerts/${id}`);
    await page.getByTestId('alert-owner').filter({ hasText: 'Nobody' }).waitFor();
    await page.getByText('Looked at it: a known customer.').waitFor();
    for (const control of [/^Assign to me/, /^Unassign/, /^Add comment/]) {
      expect(await page.getByRole('button', { name: control }).count()).toBe(0);
    }
    expect(await page.getByLabel(/^Add a comment/).count()).toBe(0);
    await page.context().close();
  });
});

describe('the Team page and the rules page', () => {
  it('show how long alerts waited per owner, and the share of a rule’s alerts closed as false positives', async () => {
    const analystId = (
      await fetch(`${vigil.base}/v1/staff`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } }).then((r) => r.json())
    ).staff.find((s: { email: string }) => s.email === analyst.email).id;
    // One alert worked by the analyst (acknowledged after 12 minutes, resolved after 42), one closed as a false positive.
    const worked = await alertFor('vera');
    const wrong = await alertFor('walt');
    await admin('PUT', `/v1/alerts/${worked}/owner`, { owner: analystId });
    clock.advance(12 * MIN);
    await admin('POST', `/v1/alerts/${worked}/acknowledge`, {});
    clock.advance(30 * MIN);
    await admin('POST', `/v1/alerts/${worked}/resolve`, {});
    await admin('POST', `/v1/alerts/${wrong}/false-positive`, {});

    for (const size of SIZES) {
      const page = await signedIn(size, '/admin/team');
      const owners = page.getByRole('region', { name: 'Per owner, last 7 days' });
      const row = owners.getByRole('row').filter({ hasText: `You (${analyst.email})` });
      await row.waitFor();
      expect((await row.getByRole('cell').allInnerTexts()).map((t) => t.replace(/^.*\n/, '').trim())).toEqual([
        `You (${analyst.email})`,
        '1',
        '12 min',
        '12 min',
        '1',
        '42 min',
        '42 min',
      ]);
      const rules = page.getByRole('region', { name: 'Per rule, last 7 days' });
      const ruleRow = rules.getByRole('row').filter({ hasText: RULE });
      await ruleRow.waitFor();
      // The rule's two closed alerts: one resolved and one closed as a false positive, both 42 minutes after they were raised.
      expect((await ruleRow.getByRole('cell').allInnerTexts()).map((t) => t.replace(/^.*\n/, '').trim())).toEqual([
        RULE,
        '1',
        '12 min',
        '12 min',
        '2',
        '42 min',
        '42 min',
      ]);
      await page.getByRole('button', { name: 'Last 30 days' }).click();
      await page.getByRole('region', { name: 'Per owner, last 30 days' }).getByRole('row').filter({ hasText: analyst.email }).waitFor();
      expect(await overflow(page)).toBeLessThanOrEqual(0);

      await page.goto(`${vigil.base}/admin/rules`);
      const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: RULE }) });
      // Two of the rule's alerts are closed, one of them as a false positive: in the 7 days and in the 30.
      await expect.poll(() => card.getByText('50% (1 of 2 closed alerts)').count()).toBe(2);
      await card.getByText('False positives, 7 days').waitFor();
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await page.context().close();
    }
  });
});
