import { describe, expect, it } from 'vitest';
import { newPage, setUpBrowserSuite, signInThroughPage } from './support.js';

/**
 * "I'm travelling": a member snoozes the new-device-or-country check on their own account from the
 * member page; an admin sees it on the Snoozes page and cancels it.
 */
const suite = setUpBrowserSuite();

/** A local calendar date a few days ahead, as a date input takes it. */
function daysAhead(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

describe('snoozes', () => {
  it('a member snoozes new-login-context until a date; an admin sees it and cancels it', async () => {
    const member = await suite.vigil.person('member', 'erin');
    const { page } = await newPage(suite.browser);
    await signInThroughPage(page, suite.vigil.base, member);

    const card = page.getByRole('region', { name: 'Travelling?' });
    await card.waitFor();
    await card.getByLabel('Don’t flag').selectOption({ label: 'New device or country logins' });
    await card.getByLabel('Until (last day)').fill(daysAhead(10));
    await card.getByLabel('Why').fill('Holiday in Japan');
    await card.getByRole('button', { name: 'Snooze', exact: true }).click();
    await card.getByText('New device or country logins won’t be flagged until').waitFor();
    const mine = card.getByRole('list', { name: 'Your snoozes' }).getByRole('listitem');
    await mine.filter({ hasText: 'Holiday in Japan' }).waitFor();
    expect(await mine.count()).toBe(1);

    const stored = await suite.vigil.adminGet('/v1/snoozes?user=erin&active=true');
    expect(stored.snoozes).toHaveLength(1);
    expect(stored.snoozes[0]).toMatchObject({ rule: 'new-login-context', user: 'erin', reason: 'Holiday in Japan', active: true });
    expect(suite.vigil.t.system.snoozes.book.snoozed('new-login-context', 'erin', Date.now())?.id).toBe(stored.snoozes[0].id);

    const admin = await suite.vigil.person('admin');
    const { page: adminPage } = await newPage(suite.browser);
    await signInThroughPage(adminPage, suite.vigil.base, admin);
    await adminPage.getByRole('navigation').getByRole('link', { name: 'Snoozes' }).click();
    await adminPage.getByRole('heading', { level: 1, name: 'Snoozes' }).waitFor();
    const row = adminPage.getByRole('row').filter({ hasText: 'erin' });
    await row.filter({ hasText: 'Holiday in Japan' }).waitFor();
    await row.getByText('new-login-context').waitFor();
    await row.getByRole('button', { name: /^Cancel/ }).click();
    await adminPage.getByRole('status').filter({ hasText: 'Cancelled the snooze of' }).waitFor();
    await adminPage.getByText('No rule is snoozed right now.').waitFor();

    expect((await suite.vigil.adminGet('/v1/snoozes?user=erin&active=true')).snoozes).toEqual([]);
    expect(suite.vigil.t.system.snoozes.book.snoozed('new-login-context', 'erin', Date.now())).toBeUndefined();
    const audit = await suite.vigil.adminGet('/v1/audit?subject=user:erin');
    expect(audit.entries.map((e: { action: string }) => e.action).sort()).toEqual(['snooze.cancelled', 'snooze.created']);

    // The member's card no longer lists it once reloaded.
    await page.reload();
    await page.getByRole('region', { name: 'Travelling?' }).waitFor();
    await page.getByLabel('Why').waitFor();
    expect(await page.getByRole('list', { name: 'Your snoozes' }).count()).toBe(0);
  });

  it('tells the member why a refused snooze was refused', async () => {
    const member = await suite.vigil.person('member', 'finn');
    const { page } = await newPage(suite.browser);
    await signInThroughPage(page, suite.vigil.base, member);
    const card = page.getByRole('region', { name: 'Travelling?' });
    await card.waitFor();
    // A blank reason of spaces passes the browser's own check but not Vigil's.
    await card.getByLabel('Until (last day)').fill(daysAhead(3));
    await card.getByLabel('Why').fill('   ');
    await card.getByRole('button', { name: 'Snooze', exact: true }).click();
    await card.getByRole('alert').filter({ hasText: 'reason must be 1 to 500 characters.' }).waitFor();
    expect(await card.getByLabel('Why').getAttribute('aria-invalid')).toBe('true');
  });
});
