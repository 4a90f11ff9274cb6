import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newPage, ordinaryHistory, setUpBrowserSuite, signInThroughPage } from './support.js';

/**
 * Issue 20, triage at volume, in the dashboard at a desktop's and a phone's width: the table view with
 * its counts, a bulk acknowledge and a bulk assign, and a saved view that comes back from its list and from its link.
 */
const suite = setUpBrowserSuite();

/** Six failed logins from a script: a medium burst alert. */
const failedLogins = (user: string) =>
  Array.from({ length: 6 }, (_, i) => ({
    type: 'login.failed',
    user,
    id: `${user}-fail-${i}`,
    timestamp: new Date(Date.now() - (6 - i) * 5000).toISOString(),
    ip: '185.220.101.4',
    device: 'bot',
    userAgent: 'python-requests/2.31',
  }));

/** A transaction far above the limit, from a device and country never seen: a high alert. */
const bigPurchase = (user: string) => ({
  type: 'transaction',
  user,
  id: `${user}-buy`,
  amount: 9000,
  currency: 'EUR',
  ip: '200.160.2.3',
  device: `${user}-unknown-phone`,
});

const table = (page: Page) => page.getByRole('table', { name: 'Alerts' });
const tableRows = (page: Page) => table(page).locator('tbody tr');
const counts = (page: Page) => page.getByRole('region', { name: 'Counts for this filter' });

async function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

for (const width of [1280, 375]) {
  describe(`triage in the alert feed at ${width} px`, () => {
    it('shows the table with counts, acknowledges two alerts at once, and saves a view that its link reproduces', async () => {
      await suite.vigil.sendEvents({ events: [...ordinaryHistory('hana'), ...failedLogins('gus'), ...failedLogins('kim')] });
      await suite.vigil.sendEvents(bigPurchase('hana'));
      const analyst = await suite.vigil.person('analyst');
      const { page } = await newPage(suite.browser, { width, height: 800 });
      await signInThroughPage(page, suite.vigil.base, analyst, '/admin/alerts');

      // Cards by default; the table is one click away, and remembered in the address.
      await page.getByRole('button', { name: 'Table', exact: true }).click();
      await expect.poll(() => tableRows(page).count()).toBe(3);
      expect(new URL(page.url()).searchParams.get('view')).toBe('table');
      const gus = tableRows(page).filter({ hasText: 'Burst of failed logins for gus' });
      await gus.getByText('Medium', { exact: true }).waitFor();
      await gus.getByText('New', { exact: true }).waitFor();
      await gus.getByText('failed-login-burst').waitFor();
      // The time names its zone.
      expect(await gus.locator('time').textContent()).toMatch(/UTC|GMT/);

      await counts(page).getByText('3 alerts match').waitFor();
      await counts(page).getByRole('button', { name: 'New 3' }).waitFor();
      await counts(page).getByRole('button', { name: 'High 1' }).waitFor();
      await counts(page).getByRole('button', { name: 'Medium 2' }).waitFor();

      // Strongest first: the high alert leads.
      await table(page)
        .getByRole('button', { name: /Severity/ })
        .click();
      await expect.poll(() => tableRows(page).first().textContent()).toContain('hana');
      expect(new URL(page.url()).searchParams.get('sort')).toBe('severity');
      expect(await fitsWidth(page)).toBe(true);

      // Bulk acknowledge the two bursts.
      await gus.getByRole('checkbox').check();
      await tableRows(page).filter({ hasText: 'for kim' }).getByRole('checkbox').check();
      const bulk = page.getByRole('region', { name: 'Bulk actions' });
      await bulk.getByText('2 selected').waitFor();
      await bulk.getByRole('button', { name: 'Acknowledge' }).click();
      await page.getByText('Acknowledged 2 alerts.').waitFor();
      await gus.getByText('Acknowledged', { exact: true }).waitFor();
      await counts(page).getByRole('button', { name: 'Acknowledged 2' }).waitFor();
      await counts(page).getByRole('button', { name: 'New 1' }).waitFor();
      const acknowledged = await suite.vigil.adminGet('/v1/alerts?status=acknowledged');
      expect(acknowledged.alerts.map((a: { user: string }) => a.user).sort()).toEqual(['gus', 'kim']);

      // Then take both: bulk "Assign to me" gives each to the signed-in analyst.
      await gus.getByRole('checkbox').check();
      await tableRows(page).filter({ hasText: 'for kim' }).getByRole('checkbox').check();
      await bulk.getByText('2 selected').waitFor();
      await bulk.getByRole('button', { name: 'Assign to me' }).click();
      await page.getByText('Assigned 2 alerts to you.').waitFor();
      const owned = await suite.vigil.adminGet('/v1/alerts?status=acknowledged');
      expect(owned.alerts.map((a: { owner: { email: string } | null }) => a.owner?.email)).toEqual([analyst.email, analyst.email]);
      const hana = await suite.vigil.adminGet('/v1/alerts?user=hana');
      expect(hana.alerts.map((a: { owner: unknown }) => a.owner)).toEqual([null]);

      // Narrow to the acknowledged ones with their count, and save that as a view.
      await counts(page).getByRole('button', { name: 'Acknowledged 2' }).click();
      await expect.poll(() => tableRows(page).count()).toBe(2);
      await page.getByRole('button', { name: 'Save view' }).click();
      await page.getByLabel('View name').fill('Acknowledged bursts');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByText('Saved view “Acknowledged bursts”.').waitFor();
      const link = page.url();

      // Back to every status (the pressed count again), then the saved view from its list.
      await counts(page).getByRole('button', { name: 'Acknowledged 2' }).click();
      await expect.poll(() => tableRows(page).count()).toBe(3);
      await page.getByText(/^Saved views/).click();
      await page.getByRole('link', { name: 'Acknowledged bursts' }).click();
      await expect.poll(() => tableRows(page).count()).toBe(2);
      expect(page.url()).toBe(link);

      // The link, opened by a colleague (a viewer): the same filtered table, without bulk actions.
      const viewer = await suite.vigil.person('viewer');
      const other = await newPage(suite.browser, { width, height: 800 });
      const url = new URL(link);
      await signInThroughPage(other.page, suite.vigil.base, viewer, `${url.pathname}${url.search}`);
      await expect.poll(() => tableRows(other.page).count()).toBe(2);
      expect(await tableRows(other.page).first().textContent()).toContain('Acknowledged');
      await counts(other.page).getByText('2 alerts match').waitFor();
      expect(await other.page.getByRole('checkbox', { name: 'Select all shown' }).count()).toBe(0);
      expect(await fitsWidth(other.page)).toBe(true);
    });
  });
}
