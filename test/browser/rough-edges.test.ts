import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { INGEST_KEY } from '../support/credentials.js';
import { newPage, ordinaryHistory, setUpBrowserSuite, signInThroughPage } from './support.js';

/**
 * What a new user found rough in the dashboard (issue 20), at a desktop width and on a 375 px phone:
 * a summary that says its rule twice, evidence in raw field names and milliseconds, times without a
 * zone, a table wider than the phone, a menu unreadable once opened, a lock reason pre-filled with an
 * alert id, and an unlock without a word of confirmation.
 */
const suite = setUpBrowserSuite();

/** hank logs in for ten days from his laptop, then from a phone never seen, in another country. */
async function newDeviceAlert(): Promise<string> {
  await suite.vigil.sendEvents({ events: ordinaryHistory('hank') });
  const answer = await suite.vigil.sendEvents({
    type: 'login.succeeded',
    user: 'hank',
    ip: '126.0.0.1',
    device: 'hank-new-phone-with-a-long-device-id',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
    session: 'hank-phone',
    timestamp: new Date().toISOString(),
  });
  expect(answer.alertId).toMatch(/^alrt_/);
  return answer.alertId as string;
}

/** The page is no wider than its viewport: nothing to scroll sideways. */
const overflowsSideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);

/** WCAG contrast ratio of an element's text against the first opaque background behind it. */
async function contrast(page: Page, selector: string): Promise<number> {
  return page
    .locator(selector)
    .first()
    .evaluate((element) => {
      const rgb = (css: string) => (css.match(/[\d.]+/g) ?? []).map(Number);
      const luminance = ([r, g, b]: number[]) => {
        const channel = (c: number) => {
          const s = c / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * channel(r ?? 0) + 0.7152 * channel(g ?? 0) + 0.0722 * channel(b ?? 0);
      };
      let background: number[] = [255, 255, 255];
      for (let e: Element | null = element; e; e = e.parentElement) {
        const parts = rgb(getComputedStyle(e).backgroundColor);
        if (parts.length >= 3 && (parts.length === 3 || (parts[3] ?? 0) > 0.5)) {
          background = parts;
          break;
        }
      }
      const text = luminance(rgb(getComputedStyle(element).color));
      const back = luminance(background);
      return (Math.max(text, back) + 0.05) / (Math.min(text, back) + 0.05);
    });
}

describe.each([
  { name: 'desktop', width: 1280, height: 800 },
  { name: '375 px phone', width: 375, height: 740 },
])('an alert and its account on $name', ({ width, height }) => {
  it('reads as plain language, names the time zone, fits the screen, and confirms an unlock', async () => {
    const alertId = await newDeviceAlert();
    const admin = await suite.vigil.person('admin');
    const { page } = await newPage(suite.browser, { width, height });
    await signInThroughPage(page, suite.vigil.base, admin, `/admin/alerts/${alertId}`);
    const heading = page.getByRole('heading', { level: 1 });
    // The page shows a plain "Alert" heading until the alert has loaded: wait for the summary.
    await expect.poll(async () => (await heading.textContent()) ?? '').toContain('Login from a new device');

    // The summary says the rule once.
    const summary = (await heading.textContent()) ?? '';
    expect(summary.match(/Login from a new device/g)?.length).toBe(1);

    // Evidence: words and units, not field names and milliseconds.
    const reasons = page.getByRole('region', { name: 'Why: reasons and evidence' });
    await reasons.waitFor();
    // Element by element, so that one element's end and the next one's start are not read as one word.
    const evidence = (await reasons.locator('dt, dd, p, .reason-head span').allTextContents()).join('\n');
    expect(evidence, evidence).not.toMatch(/\bms\b|\b[a-z]+[A-Z][a-z]*\b|\{"/);

    // Times carry their zone (the browser's: UTC here), as the alert texts do.
    const events = page.getByRole('region', { name: 'Triggering events' });
    expect(await events.locator('tbody td').nth(1).textContent()).toMatch(/UTC|GMT/);

    // Nothing wider than the screen: the table of triggering events included.
    expect(await overflowsSideways(page)).toBe(false);
    const table = await events.locator('table').boundingBox();
    expect((table?.x ?? 0) + (table?.width ?? 0)).toBeLessThanOrEqual(width);

    // On the phone, the menu once opened is readable.
    if (width < 860) {
      await page.getByRole('button', { name: 'Menu' }).click();
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link').first().waitFor();
      expect(await contrast(page, 'nav[aria-label="Main"] a')).toBeGreaterThanOrEqual(4.5);
      // The button just tapped (hovered, expanded) too: it turned white under the bar's light text.
      expect(await contrast(page, 'button.menu-toggle')).toBeGreaterThanOrEqual(4.5);
      await page.screenshot({ path: `/tmp/i20a-menu-${width}.png`, fullPage: true });
      await page.getByRole('button', { name: 'Menu' }).click();
    }

    // Locking from the alert: the reason reads as the alert's summary, not its id.
    const reason = page.getByLabel('Reason for locking hank');
    expect(await reason.inputValue()).not.toContain('alrt_');
    expect(await reason.inputValue()).toContain('Login from a new device');
    await page.getByRole('button', { name: /^Lock/ }).click();
    await page.getByText('hank is locked').waitFor();
    // Unlocking says so.
    await page.getByLabel('Reason for unlocking hank').fill('Checked with hank by phone');
    await page.getByRole('button', { name: /^Unlock/ }).click();
    await page.getByRole('status').filter({ hasText: 'hank is unlocked' }).waitFor();
    await page.screenshot({ path: `/tmp/i20a-alert-${width}.png`, fullPage: true });
  });
});

describe.each([
  { name: 'desktop', width: 1280, height: 800 },
  { name: '375 px phone', width: 375, height: 740 },
])('the lock banner on $name', ({ width, height }) => {
  it('says when the code in force was sent, until when it is valid, and from when another may be asked for', async () => {
    await suite.vigil.sendEvents({ events: ordinaryHistory('lena') });
    const contact = await fetch(`${suite.vigil.base}/v1/accounts/lena/contact`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'lena@example.com' }),
    });
    expect(contact.status).toBe(200);
    const member = await suite.vigil.person('member', 'lena');
    const { page } = await newPage(suite.browser, { width, height });
    await signInThroughPage(page, suite.vigil.base, member);
    await page.getByRole('button', { name: 'Large purchase, new device' }).click();
    const state = page.getByTestId('unlock-code-state');
    await state.waitFor();
    const text = (await state.textContent()) ?? '';
    expect(text).toMatch(/we sent to l\*+@example\.com at .+ \(valid until .+\)\. You can ask for another from .+\./);
    expect(text).toMatch(/UTC|GMT/);
    expect(await overflowsSideways(page)).toBe(false);
  });
});
