import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newPage, ordinaryHistory, setUpBrowserSuite, signInThroughPage } from './support.js';

/** The admins' live alert feed: alerts pushed over SSE, filters and search, the critical badge, and alert detail. */
const suite = setUpBrowserSuite();

async function adminOnFeed(path = '/admin/alerts'): Promise<Page> {
  const admin = await suite.vigil.person('admin');
  const { page } = await newPage(suite.browser);
  await signInThroughPage(page, suite.vigil.base, admin, path);
  // The stream is open before the test sends anything.
  await page
    .getByRole('status')
    .filter({ hasText: /^\W*Live$/ })
    .waitFor();
  return page;
}

const rows = (page: Page) => page.getByRole('list', { name: 'Alerts, newest first' }).getByRole('listitem');

/** A transaction far above the limit, from a device and country never seen: a high alert at once. */
const bigPurchase = (user: string, id: string) => ({
  type: 'transaction',
  user,
  id,
  amount: 9000,
  currency: 'EUR',
  ip: '200.160.2.3',
  device: `${user}-unknown-phone`,
});

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

/** A password change, then spending from a new device: the takeover chain, critical. */
const takeover = (user: string) => [
  { type: 'password.changed', user, id: `${user}-pw`, timestamp: new Date(Date.now() - 60_000).toISOString(), device: `${user}-laptop` },
  { type: 'transaction', user, id: `${user}-spend`, amount: 120, currency: 'EUR', device: `${user}-attacker`, ip: '185.220.101.4' },
];

describe('the alert feed', () => {
  // Pushed, not polled: the row appears without a reload. How soon is not asserted (a busy machine
  // stretches any wall-clock bound); the wait's timeout only ends a hung test.
  it('shows a new alert, newest first, as soon as the event is posted, and announces it', async () => {
    await suite.vigil.sendEvents({ events: [...ordinaryHistory('hana'), ...failedLogins('gus')] });
    const page = await adminOnFeed();
    await rows(page).filter({ hasText: 'gus' }).first().waitFor();
    const before = await rows(page).count();

    const answer = await suite.vigil.sendEvents(bigPurchase('hana', 'hana-buy-1'));
    expect(answer.alertId).toMatch(/^alrt_/);
    const row = rows(page).first();
    await row.filter({ hasText: 'Unusually large transaction for hana' }).waitFor();

    expect(await rows(page).count()).toBe(before + 1);
    await row.getByText('High', { exact: true }).waitFor();
    await row.getByText('New', { exact: true }).first().waitFor();
    expect(await page.getByTestId('feed-announcer').textContent()).toBe(
      'New high alert for hana: Unusually large transaction for hana: Transaction of 9,000.00 EUR is above the 5,000.00 EUR limit, from a new device and a new country',
    );
    // No reload happened: the same document still holds the first row that was there.
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
    await page.context().close();
  });

  it('filters by severity, status, type, rule, user and time, and searches the text, in the address too', async () => {
    await suite.vigil.sendEvents({ events: [...ordinaryHistory('ivy'), ...ordinaryHistory('jon')] });
    await suite.vigil.sendEvents({ events: failedLogins('ivy') });
    await suite.vigil.sendEvents(bigPurchase('jon', 'jon-buy-1'));
    await suite.vigil.sendEvents({ events: failedLogins('kim') });
    const page = await adminOnFeed();
    await expect.poll(() => rows(page).count()).toBe(3);

    await page.getByRole('checkbox', { name: 'High' }).check();
    await expect.poll(() => rows(page).count()).toBe(1);
    await rows(page)
      .first()
      .getByRole('link', { name: /^Unusually large transaction for jon/ })
      .waitFor();
    expect(page.url()).toContain('severity=high');
    await page.getByText('1 alert shown').waitFor();

    await page.getByRole('checkbox', { name: 'High' }).uncheck();
    await page.getByRole('checkbox', { name: 'Medium' }).check();
    await expect.poll(() => rows(page).count()).toBe(2);

    // Search: typed, applied after a pause.
    await page.getByRole('searchbox', { name: 'Search' }).fill('kim');
    await expect.poll(() => rows(page).count()).toBe(1);
    await rows(page)
      .first()
      .getByRole('link', { name: /^Burst of failed logins for kim/ })
      .waitFor();
    expect(new URL(page.url()).searchParams.get('q')).toBe('kim');

    // The filtered view is in the address: a reload shows the same.
    await page.reload();
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(await page.getByRole('searchbox', { name: 'Search' }).inputValue()).toBe('kim');
    expect(await page.getByRole('checkbox', { name: 'Medium' }).isChecked()).toBe(true);

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => rows(page).count()).toBe(3);

    await page.getByLabel('User').fill('ivy');
    await page.getByLabel('User').press('Enter');
    await expect.poll(() => rows(page).count()).toBe(1);
    await page.getByRole('button', { name: 'Clear filters' }).click();

    await page.getByLabel('Type').selectOption('transaction');
    await expect.poll(() => rows(page).count()).toBe(1);
    await page.getByLabel('Type').selectOption('');
    await page.getByLabel('Rule').selectOption('failed-login-burst');
    await expect.poll(() => rows(page).count()).toBe(2);
    await page.getByRole('button', { name: 'Clear filters' }).click();

    await page.getByLabel('Time').selectOption('custom');
    await page.getByLabel('Until').fill('2020-01-01T00:00');
    await page.getByText('No alerts match these filters.').waitFor();
    await page.getByLabel('Time').selectOption('15m');
    await expect.poll(() => rows(page).count()).toBe(3);

    // A status filter: acknowledge one, and "New" no longer lists it.
    const [jonAlert] = (await suite.vigil.adminGet('/v1/alerts?user=jon')).alerts;
    await page.getByRole('checkbox', { name: 'New' }).check();
    await expect.poll(() => rows(page).count()).toBe(3);
    await page.goto(`${suite.vigil.base}/admin/alerts/${jonAlert.id}`);
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByText('Acknowledge: the alert is now acknowledged.').waitFor();
    await page.goBack();
    await expect.poll(() => rows(page).count()).toBe(2);
    expect(await rows(page).filter({ hasText: 'jon' }).count()).toBe(0);

    // A live alert that does not match the filters stays out of the list.
    await page.getByRole('checkbox', { name: 'New' }).uncheck();
    await page.getByRole('checkbox', { name: 'Low' }).check();
    await page.getByText('No alerts match these filters.').waitFor();
    await suite.vigil.sendEvents(bigPurchase('lea', 'lea-buy-1'));
    await page.waitForTimeout(500);
    expect(await rows(page).count()).toBe(0);
    await page.context().close();
  });

  it('counts new critical alerts in a badge on every page, cleared by looking at the feed', async () => {
    const page = await adminOnFeed();
    // Elsewhere in the dashboard, reached without a reload: the stream stays open.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
    await suite.vigil.sendEvents({ events: ordinaryHistory('mo') });
    await suite.vigil.sendEvents({ events: takeover('mo') });
    const alerts = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Alerts/ });
    await alerts.getByText('1 new critical alert').waitFor();
    await expect.poll(() => page.title()).toBe('(1) Accounts · Vigil');
    await alerts.click();
    await rows(page).filter({ hasText: 'mo' }).getByText('Critical', { exact: true }).waitFor();
    await expect.poll(() => page.getByTestId('critical-badge').count()).toBe(0);
    expect(await page.title()).toBe('Alerts · Vigil');
    await page.context().close();
  });
});

describe('alert detail', () => {
  it('shows the context, reasons, evidence and events, and acts on the alert and the account in one click', async () => {
    await suite.vigil.sendEvents({ events: ordinaryHistory('nia') });
    const { alertId } = await suite.vigil.sendEvents(bigPurchase('nia', 'nia-buy-1'));
    const page = await adminOnFeed();
    await rows(page).filter({ hasText: 'nia' }).getByRole('link').click();
    await page.waitForURL(`${suite.vigil.base}/admin/alerts/${alertId}`);
    await page.getByRole('heading', { level: 1, name: /^Unusually large transaction for nia/ }).waitFor();

    const context = page.getByRole('region', { name: 'Context' });
    await context.getByText('200.160.2.3').waitFor();
    await context.getByText('nia-unknown-phone').waitFor();
    const why = page.getByRole('region', { name: 'Why: reasons and evidence' });
    await why.getByText('Rule: large-transaction').waitFor();
    await why.getByRole('definition').first().waitFor();
    const events = page.getByRole('region', { name: 'Triggering events' });
    await events
      .getByRole('cell', { name: '€9,000.00' })
      .or(events.getByRole('cell', { name: /9,000/ }))
      .first()
      .waitFor();
    await events.getByText('nia-buy-1').waitFor();

    // Acknowledge, then escalate: each answered in the page and kept in the history.
    await page.getByLabel(/^Note/).fill('Looking into it');
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByText('Acknowledge: the alert is now acknowledged.').waitFor();
    // The button turns disabled once the page has the acknowledged alert: wait for it, do not sample it.
    await page.getByRole('button', { name: 'Acknowledge', disabled: true }).waitFor();
    const history = page.getByRole('region', { name: 'History' });
    await history.getByText('New → Acknowledged').waitFor();
    await history.getByText('Looking into it').waitFor();
    await page.getByRole('button', { name: 'Escalate' }).click();
    await history.getByText('Acknowledged → Escalated').waitFor();

    // The account: the high alert locked it; unlock, then lock again, entirely.
    const account = page.getByRole('region', { name: 'Account nia' });
    await account.getByText('Sensitive actions locked').waitFor();
    await account.getByRole('button', { name: 'Unlock nia' }).click();
    await account.getByText('nia is unlocked.').waitFor();
    await account.getByText('Not locked.').waitFor();
    await account.getByLabel('What to lock').selectOption('full');
    await account.getByRole('button', { name: 'Lock nia' }).click();
    await account.getByText('Fully locked').waitFor();
    const state = await suite.vigil.adminGet('/v1/accounts/nia');
    expect(state).toMatchObject({ locked: true, lockScope: 'full', alertId });

    await page.getByRole('button', { name: 'False positive' }).click();
    await page.getByText('This alert is closed (false positive).').waitFor();
    expect((await suite.vigil.adminGet(`/v1/alerts/${alertId}`)).status).toBe('false_positive');
    await page.context().close();
  });
});
