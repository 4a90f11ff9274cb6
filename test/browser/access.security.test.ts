import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newPage, ordinaryHistory, setUpBrowserSuite, signInThroughPage } from './support.js';

/**
 * What a member can reach: their own account, and nothing of the admins' pages or of another
 * member, neither through the pages nor through the API calls behind them (with the member's own
 * cookie and CSRF token, as a curious member would try from the browser's console).
 */
const suite = setUpBrowserSuite();

/** Calls the API from inside the page: the browser's own cookie, and the session's CSRF token when asked. */
function callFromPage(page: Page, method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  return page.evaluate(
    async ({ method, url, body }) => {
      const session = await fetch('/v1/session').then((r) => r.json());
      const res = await fetch(url, {
        method,
        headers: {
          ...(body !== undefined && { 'content-type': 'application/json' }),
          ...(method !== 'GET' && { 'x-csrf-token': session.csrfToken }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    { method, url, body },
  );
}

async function bobHasAnAlert(): Promise<string> {
  await suite.vigil.sendEvents({ events: ordinaryHistory('bob') });
  const answer = await suite.vigil.sendEvents({
    type: 'transaction',
    user: 'bob',
    amount: 9000,
    currency: 'EUR',
    ip: '200.160.2.3',
    device: 'bob-stolen-phone',
  });
  expect(answer.alertId).toMatch(/^alrt_/);
  return answer.alertId as string;
}

describe('a member', () => {
  it('sees “Not available” on every admin page, and none of their data', async () => {
    const bobAlert = await bobHasAnAlert();
    const member = await suite.vigil.person('member', 'alice');
    const { page, context } = await newPage(suite.browser);
    await signInThroughPage(page, suite.vigil.base, member);

    for (const path of [
      '/admin/alerts',
      `/admin/alerts/${bobAlert}`,
      '/admin/accounts',
      '/admin/rules',
      '/admin/lists',
      '/admin/audit',
      '/admin/activity',
      '/admin/outbox',
      '/admin/monitor',
      '/admin/snoozes',
    ]) {
      await page.goto(`${suite.vigil.base}${path}`);
      await page.getByRole('heading', { level: 1, name: 'Not available' }).waitFor();
      await page.getByText('This page is for Vigil’s staff.').waitFor();
      const text = (await page.locator('main').textContent()) ?? '';
      expect(text).not.toContain('bob');
      expect(text).not.toContain('9,000');
    }
    await context.close();
  });

  it('is refused by every admin API behind those pages, and by another member’s alerts', async () => {
    const bobAlert = await bobHasAnAlert();
    const member = await suite.vigil.person('member', 'alice');
    const { page, context } = await newPage(suite.browser);
    await signInThroughPage(page, suite.vigil.base, member);

    for (const url of [
      '/v1/alerts',
      `/v1/alerts/${bobAlert}`,
      '/v1/accounts',
      '/v1/accounts/bob',
      '/v1/users/bob/events',
      '/v1/rules',
      '/v1/lists',
      '/v1/audit',
      '/v1/outbox',
      '/v1/stats/activity',
      '/v1/monitor/series',
      '/v1/monitor/anomalies',
      '/v1/monitor/baselines',
      '/v1/logins/flagged',
      '/v1/models',
      '/v1/snoozes',
    ]) {
      const res = await callFromPage(page, 'GET', url);
      expect({ url, status: res.status, code: res.body?.error?.code }).toEqual({ url, status: 403, code: 'forbidden' });
    }
    const acted = await callFromPage(page, 'POST', `/v1/alerts/${bobAlert}/resolve`, {});
    expect(acted.status).toBe(403);
    const locked = await callFromPage(page, 'POST', '/v1/accounts/bob/lock', { reason: 'mischief' });
    expect(locked.status).toBe(403);
    const listed = await callFromPage(page, 'POST', '/v1/lists', { list: 'allow', kind: 'user', value: 'alice', reason: 'me' });
    expect(listed.status).toBe(403);
    expect(suite.vigil.t.system.lists.size).toBe(0);
    for (const action of ['shadow', 'promote']) {
      const moded = await callFromPage(page, 'POST', `/v1/rules/large-transaction/${action}`, {});
      expect({ action, status: moded.status }).toEqual({ action, status: 403 });
    }
    const until = new Date(Date.now() + 86_400_000).toISOString();
    const snoozedBob = await callFromPage(page, 'POST', '/v1/snoozes', { rule: 'card-testing', user: 'bob', until, reason: 'mischief' });
    expect(snoozedBob.status).toBe(403);
    // Bob's snooze, named outright through the member routes, is answered as if it did not exist.
    const bobs = await suite.vigil.t.system.snoozes.create(
      { rule: 'impossible-travel', user: 'bob', until, reason: 'trip' },
      'test',
      'admin',
    );
    if (!bobs.ok) throw new Error(bobs.error.message);
    const cancelBobs = await callFromPage(page, 'DELETE', `/v1/me/snoozes/${bobs.value.id}`);
    expect([cancelBobs.status, cancelBobs.body.error.code]).toEqual([404, 'not_found']);
    expect((await callFromPage(page, 'GET', '/v1/me/snoozes')).body.snoozes).toEqual([]);

    // Bob's alert, named outright through the member routes, is answered as if it did not exist.
    for (const action of ['dispute', 'confirm']) {
      const res = await callFromPage(page, 'POST', `/v1/me/alerts/${bobAlert}/${action}`, {});
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    const mine = await callFromPage(page, 'GET', '/v1/me/alerts');
    expect(mine.body.alerts).toEqual([]);
    const me = await callFromPage(page, 'GET', '/v1/me');
    expect(me.body.user).toBe('alice');

    // Bob's alert is still open: nothing the member tried changed it.
    const alert = await suite.vigil.adminGet(`/v1/alerts/${bobAlert}`);
    expect(alert.status).toBe('new');

    // And the member's page shows only the member's own, quiet account.
    await page.goto(`${suite.vigil.base}/me`);
    await page.getByText('Nothing unusual has been found on your account.').waitFor();
    expect(await page.locator('main').textContent()).not.toContain('bob');
    await context.close();
  });

  it('cannot change anything without the CSRF token, even with the session cookie', async () => {
    const member = await suite.vigil.person('member', 'alice');
    const { page, context } = await newPage(suite.browser);
    await signInThroughPage(page, suite.vigil.base, member);
    const status = await page.evaluate(async () => {
      const res = await fetch('/v1/me/simulate', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ scenario: 'failed-logins' }),
      });
      return { status: res.status, code: (await res.json()).error.code };
    });
    expect(status).toEqual({ status: 403, code: 'csrf_failed' });
    await context.close();
  });
});

describe('an admin', () => {
  it('is told the member page is not theirs', async () => {
    const admin = await suite.vigil.person('admin');
    const { page, context } = await newPage(suite.browser);
    await signInThroughPage(page, suite.vigil.base, admin);
    await page.goto(`${suite.vigil.base}/me`);
    await page.getByRole('heading', { level: 1, name: 'Not available' }).waitFor();
    await page.getByText('This page is for members, about their own account.').waitFor();
    await context.close();
  });
});
