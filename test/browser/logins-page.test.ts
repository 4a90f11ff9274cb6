import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { lowContrast, unlabelledControls } from './a11y.js';
import { newPage, setUpBrowserSuite, signInThroughPage } from './support.js';

/** The login-file page: an admin uploads a CSV of logins, reads the scores, sees what was flagged and stored. */
const LOGINS_CSV = fileURLToPath(new URL('../fixtures/logins/logins.csv', import.meta.url));

const suite = setUpBrowserSuite();

async function admin(path: string): Promise<Page> {
  const who = await suite.vigil.person('admin');
  const { page } = await newPage(suite.browser);
  await signInThroughPage(page, suite.vigil.base, who, path);
  return page;
}

/** The value shown under a summary term. */
async function fact(page: Page, term: string): Promise<string> {
  const text = await page
    .locator('dl.login-summary > div')
    .filter({ has: page.locator('dt', { hasText: new RegExp(`^${term}$`) }) })
    .locator('dd')
    .textContent();
  return (text ?? '').trim();
}

const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    return { label: (el as HTMLInputElement).labels?.[0]?.textContent ?? el.textContent ?? '', outline: getComputedStyle(el).outlineStyle };
  });

describe('login files page', () => {
  it('scores an uploaded CSV: summary, chart, flagged rows marked, and the stored list', async () => {
    const page = await admin('/admin/alerts');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Login files' }).click();
    await page.getByRole('heading', { level: 1, name: 'Login files' }).waitFor();
    await page.getByText('No login has been flagged yet.').waitFor();

    await page.getByLabel('Login file (CSV)').setInputFiles(LOGINS_CSV);
    expect(await page.getByLabel('Contamination').inputValue()).toBe('auto');
    await page.getByRole('button', { name: 'Score file' }).click();

    const summary = page.getByRole('heading', { level: 2, name: 'Scores of logins.csv' });
    await summary.waitFor();
    // Focus moves to the result, for keyboard and screen-reader users.
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Scores of logins.csv');
    expect(await fact(page, 'Rows')).toMatch(/^1,?398$/);
    const flagged = Number((await fact(page, 'Flagged')).replace(/\D/g, ''));
    expect(flagged).toBeGreaterThan(0);
    expect(flagged).toBeLessThan(1398);
    expect(await fact(page, 'Threshold')).toMatch(/^0\.5000 \(auto\)$/);
    expect(Number((await fact(page, 'New')).replace(/\D/g, ''))).toBe(flagged);
    expect(await fact(page, 'Already stored')).toBe('0');

    // The histogram, loaded with the chart library.
    await page
      .getByRole('img', { name: /^Histogram of 1398 anomaly scores in 20 bins/ })
      .locator('svg.recharts-surface')
      .first()
      .waitFor();

    // Flagged rows are marked in words as well as tinted.
    const table = page.getByRole('table', { name: /Scored logins in file order/ });
    const marked = table.locator('tbody tr.login-row-flagged');
    // All rows: the first 500 of the file; the flagged among them tinted and badged, the others neither.
    await expect.poll(() => table.locator('tbody tr').count()).toBe(500);
    const markedCount = await marked.count();
    expect(markedCount).toBeGreaterThan(0);
    expect(await table.locator('tbody tr', { has: page.getByText('Flagged', { exact: true }) }).count()).toBe(markedCount);
    expect(await marked.getByText('Flagged', { exact: true }).count()).toBe(markedCount);

    await page.getByLabel('Flagged only').check();
    await page.getByText(new RegExp(`^${flagged} of 1,?398 rows`)).waitFor();
    const bodyRows = table.locator('tbody tr');
    expect(await bodyRows.count()).toBe(flagged);
    expect(await table.locator('tbody tr:not(.login-row-flagged)').count()).toBe(0);

    // The user filter narrows to one user's rows.
    const firstUser = ((await bodyRows.first().locator('td').nth(1).textContent()) ?? '').trim();
    await page.getByLabel('User contains').fill(firstUser);
    const users = await table.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(users.length).toBeGreaterThan(0);
    for (const u of users) expect(u).toContain(firstUser);

    // The stored list has the flagged logins (newest first, at most 50 a page).
    const stored = page.getByRole('table', { name: /Stored flagged logins/ });
    await expect.poll(() => stored.locator('tbody tr').count()).toBe(Math.min(flagged, 50));
    const api = await suite.vigil.adminGet('/v1/logins/flagged?limit=500');
    expect(api.logins).toHaveLength(flagged);

    // The same file again: nothing new, all already stored.
    await page.getByRole('button', { name: 'Score file' }).click();
    await expect.poll(() => fact(page, 'Already stored')).toBe(String(flagged));
    expect(await fact(page, 'New')).toBe('0');
    await page.context().close();
  });

  it('shows the error of a file without a user column, naming the column', async () => {
    const page = await admin('/admin/logins');
    await page.getByLabel('Login file (CSV)').setInputFiles({
      name: 'no-user.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('timestamp,ip_address\n2026-11-01T05:26:38Z,81.2.69.28\n2026-11-01T05:53:21Z,81.2.69.10\n'),
    });
    await page.getByRole('button', { name: 'Score file' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The file was not scored.' });
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('The header has no user_id column');
    expect(text).toContain('missing_column');
    expect(text).toContain('line 1');
    expect(text).toMatch(/column user_id/);
    expect(await page.getByRole('heading', { name: /^Scores of/ }).count()).toBe(0);
    await page.context().close();
  });

  it('is labelled, keyboard-usable and legible, and fits a phone', async () => {
    const who = await suite.vigil.person('admin');
    const { page } = await newPage(suite.browser, { width: 375, height: 740 });
    await signInThroughPage(page, suite.vigil.base, who, '/admin/logins');
    await page.getByRole('heading', { level: 1, name: 'Login files' }).waitFor();
    await page.getByLabel('Login file (CSV)').setInputFiles(LOGINS_CSV);
    // From the file input, the keyboard reaches the contamination select and the button, each with a focus ring.
    await page.getByLabel('Login file (CSV)').focus();
    await page.keyboard.press('Tab');
    expect(await focused(page)).toEqual({ label: 'Contamination', outline: 'solid' });
    await page.keyboard.press('ArrowDown'); // 1% of rows
    expect(await page.getByLabel('Contamination').inputValue()).toBe('0.01');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toEqual({ label: 'Score file', outline: 'solid' });
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: 'Scores of logins.csv' }).waitFor();
    expect(await fact(page, 'Threshold')).toMatch(/\(contamination 0\.01\)$/);
    expect(Number((await fact(page, 'Flagged')).replace(/\D/g, ''))).toBe(14); // 1% of 1398, rounded up

    await page.keyboard.press('Tab'); // from the summary heading onwards, to the row filters
    for (let i = 0; i < 10 && (await focused(page)).label.trim() !== 'All rows'; i++) await page.keyboard.press('Tab');
    expect((await focused(page)).label.trim()).toBe('All rows');
    await page.keyboard.press('ArrowDown');
    expect(await page.getByLabel('Flagged only').isChecked()).toBe(true);

    expect(await unlabelledControls(page, 'main')).toEqual([]);
    expect(await lowContrast(page, 'main :is(.badge, .hint, .muted, button, label, h1, h2, p, td, th, dd, dt)')).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await page.context().close();
  });
});
