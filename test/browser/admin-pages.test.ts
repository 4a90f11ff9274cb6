import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { INGEST_KEY } from '../support/credentials.js';
import { latestCode, newPage, ordinaryHistory, setUpBrowserSuite, signInThroughPage } from './support.js';

/** The admins' other pages: accounts, rules with backtests, the audit log, the outbox and the activity chart. */
const suite = setUpBrowserSuite();

async function admin(path: string): Promise<Page> {
  const who = await suite.vigil.person('admin');
  const { page } = await newPage(suite.browser);
  await signInThroughPage(page, suite.vigil.base, who, path);
  return page;
}

/** A shopper the client app has given Vigil a contact for: an account Vigil knows. */
async function shopper(user: string): Promise<void> {
  await suite.vigil.sendEvents({ events: ordinaryHistory(user) });
  const res = await fetch(`${suite.vigil.base}/v1/accounts/${user}/contact`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${user}@example.com` }),
  });
  expect(res.status).toBe(200);
}

async function lockedShopper(user: string): Promise<void> {
  await shopper(user);
  const answer = await suite.vigil.sendEvents({
    type: 'transaction',
    user,
    amount: 9000,
    currency: 'EUR',
    ip: '200.160.2.3',
    device: 'new-phone',
  });
  expect(answer.decision).not.toBe('allow');
}

describe('admin pages', () => {
  it('lists accounts locked first, with their health, and unlocks one', async () => {
    await shopper('quiet');
    await lockedShopper('otto');
    const page = await admin('/admin/accounts');
    const cards = page.getByRole('listitem').filter({ has: page.getByRole('heading', { level: 2 }) });
    await expect.poll(() => cards.count()).toBe(2);
    expect(await cards.first().getByRole('heading', { level: 2 }).textContent()).toBe('otto');
    await cards.first().getByText('Sensitive actions locked').waitFor();
    await cards.first().getByRole('meter', { name: 'Security Health' }).waitFor();

    await page.getByLabel('Only locked accounts').check();
    await expect.poll(() => cards.count()).toBe(1);

    const otto = cards.first();
    await otto.getByText('Unlock', { exact: true }).click();
    await otto.getByLabel('Reason for unlocking otto').fill('Called the customer; the purchase was theirs');
    await otto.getByRole('button', { name: 'Unlock otto' }).click();
    await page.getByText('No account is locked.').waitFor();
    expect((await suite.vigil.adminGet('/v1/accounts/otto')).locked).toBe(false);
    await page.context().close();
  });

  it('turns a rule off and on, and saves a new threshold only after a backtest shows its effect', async () => {
    await suite.vigil.sendEvents({
      events: Array.from({ length: 6 }, (_, i) => ({
        type: 'login.failed',
        user: 'pat',
        timestamp: new Date(Date.now() - 3_600_000 + i * 5000).toISOString(),
        ip: '185.220.101.4',
      })),
    });
    const page = await admin('/admin/rules');
    const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Burst of failed logins' }) });
    const toggle = card.getByRole('switch', { name: /Burst of failed logins/ });
    expect(await toggle.isChecked()).toBe(true);
    await toggle.click();
    await card.getByText(/^Burst of failed logins is off \(version \d+\)\.$/).waitFor();
    expect((await suite.vigil.adminGet('/v1/rules/failed-login-burst')).enabled).toBe(false);
    await toggle.click();
    await card.getByText(/^Burst of failed logins is on \(version \d+\)\.$/).waitFor();
    const { version } = await suite.vigil.adminGet('/v1/rules/failed-login-burst');

    await card.getByRole('button', { name: /Settings and backtest/ }).click();
    const mediumAt = card.getByLabel(/^medium at/);
    expect(await mediumAt.inputValue()).toBe('5');
    await mediumAt.fill('8');
    const save = card.getByRole('button', { name: 'Save changes' });
    expect(await save.isDisabled()).toBe(true);
    await card.getByText('Run a backtest of these settings first').waitFor();

    await card.getByRole('button', { name: 'Run backtest' }).click();
    const result = card.getByRole('region', { name: 'Backtest result' });
    await result.waitFor();
    // The six failures a burst at 5, not at 8: one alert now, none with the change.
    const alertsRow = result.getByRole('row', { name: /^Alerts/ });
    expect(await alertsRow.getByRole('cell').allTextContents()).toEqual(['1', '0']);
    await card.getByRole('button', { name: 'Save changes', disabled: false }).waitFor();

    await card.getByLabel('Note for this version (optional)').fill('Fewer alerts on typos');
    await save.click();
    await card.getByText(`Saved Burst of failed logins as version ${version + 1}.`).waitFor();
    const saved = await suite.vigil.adminGet('/v1/rules/failed-login-burst');
    expect(saved.config.mediumAt).toBe(8);

    // The audit log lists the change, with who made it.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByLabel('Action').selectOption('rule.updated');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.getByRole('row').count()).toBe(4); // the header and three versions
    await page.getByRole('cell', { name: 'rule:failed-login-burst' }).first().waitFor();
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByText(/^Chain intact: \d+ entries/).waitFor();
    await page.context().close();
  });

  it('shows the outbox with the unlock code sent to a locked shopper', async () => {
    await lockedShopper('quinn');
    const code = await latestCode(suite.vigil, 'quinn');
    const page = await admin('/admin/outbox');
    const message = page.getByRole('listitem').filter({ hasText: 'To quinn@example.com' }).first();
    await message.waitFor();
    await message.getByText(code, { exact: false }).waitFor();
    await page.getByLabel('User').fill('someone-else');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('The outbox is empty.').waitFor();
    await page.context().close();
  });

  it('charts events and alerts per minute', async () => {
    await lockedShopper('ray');
    const page = await admin('/admin/activity');
    await page.getByRole('heading', { name: 'Events per minute' }).waitFor();
    await page.getByText(/^\d+ events and [1-9]\d* alerts in the period\.$/).waitFor();
    await page
      .getByRole('img', { name: /Stacked bar chart of events per minute by type/ })
      .locator('svg.recharts-surface')
      .first()
      .waitFor();
    await page.getByText('The numbers as a table').click();
    await page.getByRole('cell', { name: /Purchase 1/ }).waitFor();
    await page.context().close();
  });
});
