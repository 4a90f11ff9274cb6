import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { INGEST_KEY } from '../support/credentials.js';
import { latestCode, newPage, ordinaryHistory, setUpBrowserSuite, signInThroughPage } from './support.js';

/**
 * The member's whole story through the page: the simulator sends real events, Vigil locks the
 * account and sends a code (to the outbox: no SMTP server here), the member unlocks with it; and
 * "this was me" / "this wasn't me" on flagged activity.
 */
const suite = setUpBrowserSuite();

async function memberWithHistory(user: string): Promise<Page> {
  await suite.vigil.sendEvents({ events: ordinaryHistory(user) });
  const res = await fetch(`${suite.vigil.base}/v1/accounts/${user}/contact`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${user}@example.com` }),
  });
  expect(res.status).toBe(200);
  const member = await suite.vigil.person('member', user);
  const { page } = await newPage(suite.browser);
  await signInThroughPage(page, suite.vigil.base, member);
  await page.getByRole('heading', { name: 'Recent activity' }).waitFor();
  return page;
}

const healthScore = async (page: Page) => Number(await page.getByRole('meter', { name: 'Security Health' }).getAttribute('aria-valuenow'));

describe('the member page', () => {
  it('locks on a simulated large purchase from a new device, and unlocks with the code from the outbox', async () => {
    const page = await memberWithHistory('dana');
    await page.getByText('Nothing unusual has been found on your account.').waitFor();
    const healthBefore = await healthScore(page);

    await page.getByRole('button', { name: 'Large purchase, new device' }).click();
    // What the simulator did, in its live region, and the lock banner.
    await page.getByRole('status').filter({ hasText: 'Large purchase, new device: 3 events sent.' }).waitFor();
    await page.getByText('Your account is locked: see the banner at the top.').waitFor();
    const banner = page.getByRole('region', { name: 'Your account is locked' });
    await banner.waitFor();
    await banner.getByText('Purchases and changes to your password, email, payment methods and two-factor settings are paused.').waitFor();
    await banner.getByText('d***@example.com').waitFor();

    // The flagged purchase: what, where, when, why, with both answers offered.
    const flagged = page
      .getByRole('region', { name: /Flagged activity/ })
      .getByRole('listitem')
      .filter({ hasText: 'Unusually large transaction' });
    await flagged.waitFor();
    await flagged.getByText(/, BR\b/).waitFor(); // where: the city geo-IP gives, in Brazil
    await flagged.getByText('6,500', { exact: false }).first().waitFor();
    await flagged.getByRole('button', { name: 'This wasn’t me' }).waitFor();
    await flagged.getByRole('button', { name: 'This was me' }).waitFor();
    // The timeline shows the purchase, blocked.
    const purchase = page.getByRole('region', { name: 'Recent activity' }).getByRole('listitem').filter({ hasText: 'Purchase' }).first();
    await purchase.getByText('Blocked').waitFor();
    await expect.poll(() => healthScore(page)).toBeLessThan(healthBefore);

    // The lock sent a code a moment ago: another is refused for now, and the page says when to ask.
    await banner.getByRole('button', { name: 'Send me a new code' }).click();
    await banner
      .getByRole('alert')
      .filter({ hasText: /^A code was sent less than a minute ago; ask again in \d+ s\.$/ })
      .waitFor();

    // A wrong code is refused, with how many tries are left; the right one, read from the outbox, unlocks.
    const code = await latestCode(suite.vigil, 'dana');
    const wrong = code === '000000' ? '111111' : '000000';
    await banner.getByLabel('One-time code').fill(wrong);
    await banner.getByRole('button', { name: 'Unlock my account' }).click();
    await banner
      .getByRole('alert')
      .filter({ hasText: /tries? left/ })
      .waitFor();
    await banner.getByLabel('One-time code').fill(code);
    await banner.getByRole('button', { name: 'Unlock my account' }).click();
    await banner.waitFor({ state: 'detached' });
    const account = await suite.vigil.adminGet('/v1/accounts/dana');
    expect(account.locked).toBe(false);

    await page.context().close();
  });

  it('“This was me”: a code, then the alert closes and the lock it caused lifts', async () => {
    const page = await memberWithHistory('erin');
    await page.getByRole('button', { name: 'Large purchase, new device' }).click();
    const banner = page.getByRole('region', { name: 'Your account is locked' });
    await banner.waitFor();
    const flagged = page
      .getByRole('region', { name: /Flagged activity/ })
      .getByRole('listitem')
      .filter({ hasText: 'Unusually large transaction' });
    await flagged.getByRole('button', { name: 'This was me' }).click();
    await flagged.getByText('To make sure it is you: We sent a code by email to e***@example.com.').waitFor();
    const code = await latestCode(suite.vigil, 'erin');
    await flagged.getByLabel('Code we sent you').fill(code);
    await flagged.getByRole('button', { name: 'Confirm it was me' }).click();
    await flagged.getByText('Closed: this was you.').waitFor();
    await banner.waitFor({ state: 'detached' });
    const alerts = await suite.vigil.adminGet('/v1/alerts?user=erin');
    expect(alerts.alerts).toHaveLength(1);
    expect(alerts.alerts[0].status).toBe('false_positive');
    await page.context().close();
  });

  it('“This wasn’t me”: asks first, locks entirely until a real password change, which the simulator cannot make', async () => {
    const page = await memberWithHistory('fay');
    await page.getByRole('button', { name: 'Sign-in from abroad' }).click();
    await page.getByRole('status').filter({ hasText: 'Sign-in from abroad: 1 event sent.' }).waitFor();
    const flagged = page
      .getByRole('region', { name: /Flagged activity/ })
      .getByRole('listitem')
      .first();
    await flagged.getByRole('button', { name: 'This wasn’t me' }).click();
    // Nothing happens before the member confirms.
    await flagged.getByText('We will lock your account until you change your password').waitFor();
    expect((await suite.vigil.adminGet('/v1/accounts/fay')).locked).toBe(false);
    await flagged.getByRole('button', { name: 'Yes, it wasn’t me: lock my account' }).click();
    await flagged.getByText('Thank you. We locked your account to protect it').waitFor();

    const banner = page.getByRole('region', { name: 'Your account is locked' });
    await banner.getByText('Everything but signing out is paused.').waitFor();
    await banner.getByText('Change your password', { exact: false }).waitFor();
    expect(await banner.getByLabel('One-time code').count()).toBe(0);

    // The simulator's password change is not one: the lock stays.
    await page.getByRole('button', { name: 'Password change' }).click();
    await page.getByRole('status').filter({ hasText: 'Password change: 1 event sent.' }).waitFor();
    expect((await suite.vigil.adminGet('/v1/accounts/fay')).locked).toBe(true);
    await banner.getByText('Change your password', { exact: false }).waitFor();

    // The client app's report of a real one lifts it.
    await suite.vigil.sendEvents({ type: 'password.changed', user: 'fay', timestamp: new Date().toISOString(), device: 'fay-laptop' });
    expect((await suite.vigil.adminGet('/v1/accounts/fay')).locked).toBe(false);
    await page.reload();
    await page.getByRole('heading', { name: 'Recent activity' }).waitFor();
    expect(await page.getByRole('region', { name: 'Your account is locked' }).count()).toBe(0);
    await page.context().close();
  });
});
