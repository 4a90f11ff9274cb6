import { describe, expect, it } from 'vitest';
import { lowContrast, unlabelledControls } from './a11y.js';
import { newPage, setUpBrowserSuite, signInThroughPage } from './support.js';

/** The Lists page: an admin blocks a range, allows an email domain for a while, reads the table, removes an entry. */
const suite = setUpBrowserSuite();

describe('lists page', () => {
  it('adds a block entry for a CIDR and an allow entry for an email domain with an expiry, shows them, removes one', async () => {
    const who = await suite.vigil.person('admin');
    const { page } = await newPage(suite.browser);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await signInThroughPage(page, suite.vigil.base, who, '/admin/alerts');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Lists' }).click();
    await page.getByRole('heading', { level: 1, name: 'Lists' }).waitFor();
    await page.getByText('No entries.').waitFor();

    const form = page.getByRole('form', { name: 'Add an entry' });
    const table = page.getByRole('table', { name: 'Allow and block list entries, newest first' });

    // A value the server refuses: its message, and the field marked invalid.
    await form.getByLabel('Value', { exact: true }).fill('300.1.1.1');
    await form.getByLabel('Reason').fill('Card testing');
    await form.getByRole('button', { name: 'Add to the block list' }).click();
    await form
      .getByRole('alert')
      .getByText(/is not an IPv4 or IPv6 address or CIDR range/)
      .waitFor();
    expect(await form.getByLabel('Value', { exact: true }).getAttribute('aria-invalid')).toBe('true');

    // Block: a CIDR range, normalised by the server.
    await form.getByLabel('Value', { exact: true }).fill('203.0.113.77/24');
    await form.getByLabel('Reason').fill('Card testing from this range');
    await form.getByRole('button', { name: 'Add to the block list' }).click();
    const blockRow = table.getByRole('row').filter({ hasText: '203.0.113.0/24' });
    await blockRow.waitFor();
    expect(await blockRow.textContent()).toContain('Card testing from this range');
    expect(await blockRow.textContent()).toContain('Never');

    // Allow: an email domain, for one rule, until a time.
    await form.getByLabel('List', { exact: true }).selectOption({ label: 'Allow' });
    await form.getByLabel('Kind').selectOption({ label: 'Email domain' });
    await form.getByLabel('Value', { exact: true }).fill('Staff.Example.com');
    await form.getByLabel('Reason').fill('Our own testers');
    const rules = form.getByRole('group', { name: 'Rules it stops' });
    await rules.getByLabel(/impossible-travel/).check();
    await form.getByLabel('Expires (optional)').fill('2099-01-01T10:00');
    await form.getByRole('button', { name: 'Add to the allow list' }).click();
    const allowRow = table.getByRole('row').filter({ hasText: 'staff.example.com' });
    await allowRow.waitFor();
    const allowText = (await allowRow.textContent()) ?? '';
    expect(allowText).toContain('Allow');
    expect(allowText).toContain('impossible-travel');
    expect(allowText).toContain('2099');
    expect(allowText).toContain(who.email);

    const stored = (await suite.vigil.adminGet('/v1/lists')).entries;
    expect(stored.map((e: { list: string; kind: string; value: string }) => [e.list, e.kind, e.value])).toEqual([
      ['allow', 'email_domain', 'staff.example.com'],
      ['block', 'ip', '203.0.113.0/24'],
    ]);
    expect(stored[0].rules).toEqual(['impossible-travel']);
    expect(stored[0].expiresAt).toMatch(/^2099-01-01T/);

    // Accessible: every control named, text readable.
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await lowContrast(page, '.tag, .hint, .muted, button, label, h1, h2, p, td, th')).toEqual([]);

    // Remove the block entry.
    await table.getByRole('button', { name: 'Remove 203.0.113.0/24 from the block list' }).click();
    await page.getByRole('status').getByText('Removed IP address or range 203.0.113.0/24 from the block list.').waitFor();
    await expect.poll(() => table.getByRole('row').filter({ hasText: '203.0.113.0/24' }).count()).toBe(0);
    expect(await allowRow.count()).toBe(1);
    const left = (await suite.vigil.adminGet('/v1/lists')).entries;
    expect(left.map((e: { value: string }) => e.value)).toEqual(['staff.example.com']);
    const audit = (await suite.vigil.adminGet('/v1/audit?action=list.entry_removed')).entries;
    expect(audit).toHaveLength(1);
    expect(audit[0].actor).toContain(who.email);

    // After a reload the table is read from the server again.
    await page.reload();
    await table.getByRole('row').filter({ hasText: 'staff.example.com' }).waitFor();
    expect(await table.getByRole('row').filter({ hasText: '203.0.113.0/24' }).count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
