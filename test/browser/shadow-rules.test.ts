import { describe, expect, it } from 'vitest';
import { ADMIN_KEY } from '../support/credentials.js';
import { newPage, setUpBrowserSuite, signInThroughPage } from './support.js';

/** Shadow mode on the rules page: a rule's would-be alerts beside the live figures, and promotion in one click. */
const suite = setUpBrowserSuite();

async function adminPost(path: string): Promise<any> {
  const res = await fetch(`${suite.vigil.base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

describe('shadow rules', () => {
  it('shows a shadow rule’s hits and would-be alerts, then promotes it to live in one click, audited', async () => {
    expect((await adminPost('/v1/rules/large-transaction/shadow')).mode).toBe('shadow');

    // Above the rule's absolute limit (EUR 5,000): a finding, but in shadow it changes nothing.
    const answer = await suite.vigil.sendEvents({ type: 'transaction', user: 'sam', amount: 9000, currency: 'EUR' });
    expect(answer.reasons.map((r: { rule: string }) => r.rule)).not.toContain('large-transaction');
    expect(answer.suppressed).toEqual(
      expect.arrayContaining([expect.objectContaining({ rule: 'large-transaction', suppressedBy: 'shadow' })]),
    );

    const who = await suite.vigil.person('admin');
    const { page } = await newPage(suite.browser);
    await signInThroughPage(page, suite.vigil.base, who, '/admin/rules');
    const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Unusually large transaction' }) });
    await card.getByText('Shadow', { exact: true }).waitFor();
    const other = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Card testing' }) });
    await other.getByText('Live', { exact: true }).waitFor();
    await other.getByRole('button', { name: /^Run in shadow/ }).waitFor();

    // The figures, counted by the engine as the event was scored (not yet flushed: reads include them).
    const figures = card.getByRole('definition').first();
    await expect.poll(() => figures.textContent()).toBe('1 hit, would have alerted 1 time');
    await card.getByRole('list', { name: /Hits per day of Unusually large transaction in shadow/ }).waitFor();
    const today = new Date().toISOString().slice(0, 10);
    await expect.poll(() => card.getByText(`${today}: 1 hit, 1 would have alerted`).count()).toBe(1);

    await card.getByRole('button', { name: /^Promote to live/ }).click();
    await card.getByText(/^Unusually large transaction is live: its findings count from now on \(version \d+\)\.$/).waitFor();
    await card.getByText('Live', { exact: true }).waitFor();
    await card.getByRole('button', { name: /^Run in shadow/ }).waitFor();
    expect(await card.getByText('Shadow', { exact: true }).count()).toBe(0);
    expect((await suite.vigil.adminGet('/v1/rules/large-transaction')).mode).toBe('live');
    const audit = await suite.vigil.adminGet(`/v1/audit?subject=${encodeURIComponent('rule:large-transaction')}`);
    expect(audit.entries[0]).toMatchObject({ action: 'rule.promoted', actor: expect.stringContaining(who.email) });

    // Live again: the same transaction now counts.
    const live = await suite.vigil.sendEvents({ type: 'transaction', user: 'tess', amount: 9000, currency: 'EUR' });
    expect(live.reasons.map((r: { rule: string }) => r.rule)).toContain('large-transaction');
    await page.context().close();
  });
});
