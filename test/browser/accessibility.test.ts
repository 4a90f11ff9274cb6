import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { lowContrast, unlabelledControls } from './a11y.js';
import { newPage, ordinaryHistory, setUpBrowserSuite, signInThroughPage } from './support.js';

/**
 * Keyboard use, visible focus, labelled controls, contrast and phone widths, checked in the real
 * pages rather than assumed from the markup.
 */
const suite = setUpBrowserSuite(async (v) => {
  await v.sendEvents({ events: ordinaryHistory('uma') });
  await v.sendEvents({ type: 'transaction', user: 'uma', amount: 9000, currency: 'EUR', ip: '200.160.2.3', device: 'new-phone' });
});

const focusedOutline = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const style = getComputedStyle(el);
    return { text: (el.textContent ?? '').trim(), outline: style.outlineStyle, width: Number.parseFloat(style.outlineWidth) };
  });

describe('accessibility', () => {
  it('is usable from the keyboard, with a visible focus ring, from the skip link to an alert', async () => {
    const admin = await suite.vigil.person('admin');
    const { page, context } = await newPage(suite.browser);
    await signInThroughPage(page, suite.vigil.base, admin);
    await page.getByRole('listitem').filter({ hasText: 'uma' }).first().waitFor();

    await page.keyboard.press('Tab');
    expect(await focusedOutline(page)).toMatchObject({ text: 'Skip to content', outline: 'solid' });
    expect((await focusedOutline(page)).width).toBeGreaterThanOrEqual(2);
    await page.keyboard.press('Tab');
    expect((await focusedOutline(page)).text).toMatch(/Vigil$/);
    await page.keyboard.press('Tab');
    const alertsLink = await focusedOutline(page);
    expect(alertsLink.text).toBe('Alerts');
    expect(alertsLink.width).toBeGreaterThanOrEqual(2);

    // Into the alert list by keyboard alone, and open the first alert with Enter. On the way: the
    // filters, then the feed's layout, saved views, export and the counts per status and severity.
    let reached = false;
    for (let i = 0; i < 70 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await focusedOutline(page)).text.startsWith('Unusually large transaction for uma');
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: /^Unusually large transaction for uma/ }).waitFor();
    // After the change of page, focus is on its heading, as after a full page load.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    await context.close();
  });

  it('labels every control and keeps text at AA contrast on the member and admin pages', async () => {
    const member = await suite.vigil.person('member', 'uma');
    const admin = await suite.vigil.person('admin');
    const m = await newPage(suite.browser);
    // Nothing the pages do may be refused by Vigil's Content-Security-Policy or throw.
    const problems: string[] = [];
    const watch = (page: Page) => {
      page.on('console', (msg) => {
        if (msg.type() === 'error' && !msg.text().includes('401')) problems.push(msg.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
    };
    watch(m.page);
    await signInThroughPage(m.page, suite.vigil.base, member);
    await m.page.getByRole('region', { name: 'Your account is locked' }).waitFor();
    await m.page.locator('.timeline-item').first().waitFor();
    expect(await unlabelledControls(m.page)).toEqual([]);
    expect(await lowContrast(m.page, '.badge, .hint, .muted, button, a, label, h1, h2, h3, p, dd, dt, .impact')).toEqual([]);

    const a = await newPage(suite.browser);
    watch(a.page);
    for (const path of [
      '/admin/alerts',
      '/admin/accounts',
      '/admin/rules',
      '/admin/lists',
      '/admin/snoozes',
      '/admin/audit',
      '/admin/activity',
      '/admin/outbox',
      '/admin/monitor',
      '/settings',
    ]) {
      if (path === '/admin/alerts') await signInThroughPage(a.page, suite.vigil.base, admin, path);
      else await a.page.goto(`${suite.vigil.base}${path}`);
      await a.page.getByRole('heading', { level: 1 }).waitFor();
      await a.page.waitForLoadState('networkidle').catch(() => {});
      await a.page.locator('main :is(li, tr, .empty, .card)').first().waitFor();
      expect({ path, unlabelled: await unlabelledControls(a.page) }).toEqual({ path, unlabelled: [] });
      expect({ path, low: await lowContrast(a.page, '.badge, .hint, .muted, button, a, label, h1, h2, p, td, th, dd, dt') }).toEqual({
        path,
        low: [],
      });
    }
    expect(problems).toEqual([]);
    await m.context.close();
    await a.context.close();
    // Every admin page in turn: ten of them, each waited for until the network is quiet.
  }, 90_000);

  it('fits a 375 px phone without sideways scrolling, with the menu behind a button', async () => {
    const member = await suite.vigil.person('member', 'uma');
    const admin = await suite.vigil.person('admin');
    const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

    const m = await newPage(suite.browser, { width: 375, height: 740 });
    await signInThroughPage(m.page, suite.vigil.base, member);
    await m.page.locator('.timeline-item').first().waitFor();
    expect(await overflow(m.page)).toBeLessThanOrEqual(0);

    const a = await newPage(suite.browser, { width: 375, height: 740 });
    await signInThroughPage(a.page, suite.vigil.base, admin);
    await a.page.getByRole('listitem').filter({ hasText: 'uma' }).first().waitFor();
    expect(await overflow(a.page)).toBeLessThanOrEqual(0);
    const nav = a.page.getByRole('navigation', { name: 'Main' });
    expect(await nav.isVisible()).toBe(false);
    const menu = a.page.getByRole('button', { name: 'Menu' });
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    await menu.click();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    await nav.getByRole('link', { name: 'Accounts' }).click();
    await a.page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
    expect(await nav.isVisible()).toBe(false);
    await a.page.goto(`${suite.vigil.base}/admin/alerts`);
    await a.page.getByRole('listitem').filter({ hasText: 'uma' }).first().getByRole('link').click();
    await a.page.getByRole('heading', { name: 'Triggering events' }).waitFor();
    expect(await overflow(a.page)).toBeLessThanOrEqual(0);
    await m.context.close();
    await a.context.close();
  });
});
