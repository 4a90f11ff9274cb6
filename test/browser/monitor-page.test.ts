import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { MINUTE_MS, toSeedRows } from '../../src/monitor/minute-counts.js';
import { DAY_MS, type Incident, syntheticMinutes } from '../../src/monitor/synthetic.js';
import { lowContrast, unlabelledControls } from './a11y.js';
import { newPage, setUpBrowserSuite, signInThroughPage } from './support.js';

/** The transaction monitor page: each status over time against its normal band, the anomalies in red. */
const suite = setUpBrowserSuite();

/** Six live hours ending 2025-07-15 18:00 UTC, after two days learned; the chart's default period. */
const LIVE_START = Date.UTC(2025, 6, 15, 12);
const INCIDENTS: Incident[] = [
  { label: 'failed spike', status: 'failed', start: LIVE_START + 150 * MINUTE_MS, minutes: 4, factor: 5, extra: 20 },
  { label: 'approved drop', status: 'approved', start: LIVE_START + 300 * MINUTE_MS, minutes: 6, factor: 0.2, extra: 0 },
];

/** Learns two days, then reports six hours an hour at a time; returns the anomalies the API found. */
async function reportVolumes(): Promise<Array<{ status: string; alertId: string | null }>> {
  const monitor = suite.vigil.t.system.monitor;
  await monitor.train(syntheticMinutes({ from: LIVE_START - 2 * DAY_MS, minutes: 2 * 1440, seed: 3 }), 'test');
  const live = syntheticMinutes({ from: LIVE_START, minutes: 360, seed: 4, incidents: INCIDENTS });
  const found: Array<{ status: string; alertId: string | null }> = [];
  for (let hour = 0; hour < 6; hour++) {
    const rows = live.filter((r) => r.minute >= LIVE_START + hour * 60 * MINUTE_MS && r.minute < LIVE_START + (hour + 1) * 60 * MINUTE_MS);
    const answer = await monitor.submit(toSeedRows(rows));
    if (!answer.ok) throw new Error(answer.error.problem.message);
    found.push(...answer.value.anomalies);
  }
  return found;
}

async function admin(path: string, width?: number): Promise<Page> {
  const who = await suite.vigil.person('admin');
  const { page } = await newPage(suite.browser, width === undefined ? {} : { width, height: 800 });
  await signInThroughPage(page, suite.vigil.base, who, path);
  return page;
}

const card = (page: Page, status: string, source = 'reported') =>
  page.locator(`section.monitor-card[data-status="${status}"][data-source="${source}"]`);

describe('transaction monitor page', () => {
  it('says how counts arrive when there are none yet', async () => {
    const page = await admin('/admin/monitor');
    await page.getByRole('heading', { level: 1, name: 'Transaction monitor' }).waitFor();
    await page.getByText('No counts in this period.').waitFor();
    expect(await page.locator('main').textContent()).toContain('POST /v1/monitor');
  });

  // Training two days through the model and the store takes several seconds on a loaded machine.
  it('draws each status with its anomalies in red, shades and lists its incidents, and links each to its alert', {
    timeout: 120_000,
  }, async () => {
    const anomalies = await reportVolumes();
    const failed = anomalies.filter((a) => a.status === 'failed').length;
    const approved = anomalies.filter((a) => a.status === 'approved').length;
    expect(failed).toBeGreaterThanOrEqual(3);
    expect(approved).toBeGreaterThanOrEqual(4);

    const page = await admin('/admin/alerts');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Monitor' }).click();
    await page.getByRole('heading', { level: 1, name: 'Transaction monitor' }).waitFor();
    await page.getByText(/anomalous minutes in this period/).waitFor();

    // One chart per status, each a drawn line; the failed and approved charts carry red dots, one per
    // anomalous minute, and a badge saying how many.
    for (const status of ['approved', 'denied', 'failed', 'reversed']) {
      await card(page, status).locator('svg.recharts-surface').first().waitFor();
    }
    await expect.poll(() => card(page, 'failed').locator('circle.monitor-dot').count()).toBe(failed);
    expect(await card(page, 'approved').locator('circle.monitor-dot').count()).toBe(approved);
    expect(await card(page, 'failed').locator('circle.monitor-dot').first().getAttribute('fill')).toBe('#c81e1e');
    expect(await card(page, 'failed').getByRole('heading').textContent()).toContain(`${failed} anomalies`);
    // A status without incidents has no red dot (the planted data raise no false alarm there).
    expect(await card(page, 'denied').locator('circle.monitor-dot').count()).toBe(0);

    // Each incident is shaded on its chart: one span over failed, one over approved, none over denied.
    expect(await card(page, 'failed').locator('.monitor-incident-span').count()).toBe(1);
    expect(await card(page, 'approved').locator('.monitor-incident-span').count()).toBe(1);
    expect(await card(page, 'denied').locator('.monitor-incident-span').count()).toBe(0);

    // The list groups the anomalous minutes by incident, newest incident first: the approved drop,
    // then the failed spike, each headed by what it amounts to and linking to its one alert.
    const table = page.locator('table.monitor-anomalies');
    const groups = table.locator('tbody.monitor-incident');
    expect(await groups.count()).toBe(2);
    const head = (await groups.first().locator('tr.incident-head').textContent()) ?? '';
    expect(head).toContain('approved below normal');
    expect(head).toMatch(/where about [\d,.]+ are usual; peak \d+ at/);
    expect((await groups.last().locator('tr.incident-head').textContent()) ?? '').toContain('failed above normal');
    const rows = table.locator('tbody tr.row-anomaly');
    expect(await rows.count()).toBe(anomalies.length);
    expect((await rows.first().textContent()) ?? '').toContain('approved');
    expect((await rows.last().textContent()) ?? '').toContain('failed');
    expect(await groups.first().getByRole('link', { name: 'Alert' }).count()).toBe(1);

    // Each row links to its alert, whose page points back to the monitor rather than to an account.
    await rows.last().getByRole('link', { name: 'Open' }).click();
    await page.getByRole('heading', { level: 2, name: 'Transaction volume' }).waitFor();
    expect(await page.getByRole('button', { name: /^Lock/ }).count()).toBe(0);
    await page.getByRole('link', { name: 'See it on the monitor' }).click();
    await page.getByRole('heading', { level: 1, name: 'Transaction monitor' }).waitFor();
    expect(new URL(page.url()).searchParams.get('status')).toBe('failed');
    // Narrowed to one status: one chart.
    await expect.poll(() => page.locator('section.monitor-card').count()).toBe(1);
    expect(await card(page, 'failed').count()).toBe(1);
  });

  it('changes period and keeps the controls labelled, legible and usable at phone width', { timeout: 120_000 }, async () => {
    await reportVolumes();
    const page = await admin('/admin/monitor', 375);
    await card(page, 'failed').locator('svg.recharts-surface').first().waitFor();
    await page.getByLabel('Period', { exact: true }).selectOption('24');
    await expect.poll(() => new URL(page.url()).searchParams.get('hours')).toBe('24');
    // 24 hours back from the latest minute reaches into the learned days, which are charted too.
    await page.getByText(/up to/).waitFor();
    await expect.poll(() => page.locator('section.monitor-card').first().textContent()).toMatch(/in 1,?440 minutes/);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    for (const label of ['Period', 'Counts', 'Status']) expect(await page.getByLabel(label, { exact: true }).count()).toBe(1);
    expect(await unlabelledControls(page, 'main')).toEqual([]);
    // The red of the anomalies is text too (the counts in the table): it must stay legible on its tint.
    expect(await lowContrast(page, 'main :is(.monitor-red, td, th, p, h2, .badge)')).toEqual([]);
    // The keyboard reaches the period control with a visible ring.
    await page.getByLabel('Period', { exact: true }).focus();
    expect(await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle)).toBe('solid');
  });
});
