import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lowContrast, unlabelledControls } from './a11y.js';
import { type BrowserVigil, closeContexts, launchChromium, newPage, signInThroughPage, startBrowserVigil } from './support.js';

/**
 * Settings, "Chat notifications": an admin adds a Slack channel with its webhook URL (a local
 * receiver standing in for Slack), sees it listed by host only, sends the test message, disables it;
 * an analyst's Settings page has no such card. Desktop and phone widths.
 */
let browser: Browser;
let vigil: BrowserVigil;
let server: http.Server;
const posted: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posted.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // The receiver listens on 127.0.0.1: allowed as an admin would allow an internal range.
  vigil = await startBrowserVigil({ env: { VIGIL_WEBHOOK_ALLOW_CIDRS: '127.0.0.0/8' } });
  browser = await launchChromium();
});
afterAll(async () => {
  await closeContexts();
  await browser?.close();
  await vigil?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
});

describe('chat notifications on the Settings page', () => {
  it.each([
    ['desktop', 1280],
    ['phone', 375],
  ])('an admin adds a Slack channel, tests it and disables it (%s)', async (label, width) => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T0/B0/${label}SecretToken`;
    const admin = await vigil.person('admin');
    const { page } = await newPage(browser, { width, height: 800 });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await signInThroughPage(page, vigil.base, admin, '/settings');
    const card = page.getByRole('region', { name: 'Chat notifications' });
    await card.waitFor();

    const form = card.getByRole('form', { name: 'Add a chat channel' });
    await form.getByLabel('Service').selectOption({ label: 'Slack' });
    await form.getByLabel('Name').fill(`#security-${label}`);
    await form.getByLabel('Webhook URL').fill(url);
    await form.getByLabel('Lowest severity posted').selectOption('medium');
    await form.getByLabel('Only these rules').fill('credential-stuffing');
    await form.getByRole('button', { name: 'Add the channel' }).click();
    await card.getByText(`Added #security-${label}.`).waitFor();

    const item = card.getByRole('listitem').filter({ hasText: `#security-${label}` });
    const text = (await item.textContent()) ?? '';
    expect(text).toContain('Slack');
    expect(text).toContain('medium and above');
    expect(text).toContain('rules credential-stuffing');
    // The URL is never shown back: the host only.
    expect(text).toMatch(/http:\/\/127\.0\.0\.1:\d+\/…/);
    expect(await page.content()).not.toContain(`${label}SecretToken`);

    await item.getByRole('button', { name: 'Send a test message' }).click();
    await card.getByText(`#security-${label} accepted the test message.`).waitFor();
    expect(posted.at(-1)).toMatchObject({ text: expect.stringContaining(`Vigil test message for #security-${label}`) });

    expect(await unlabelledControls(page)).toEqual([]);
    expect(await lowContrast(page, '.hint, .muted, button, label, h2, p, li')).toEqual([]);
    // Nothing wider than the phone's screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

    await item.getByRole('button', { name: 'Disable' }).click();
    await card.getByText(`#security-${label} is disabled: nothing more is posted there.`).waitFor();
    expect(await item.textContent()).toContain('disabled');
    const stored = (await vigil.adminGet('/v1/staff-channels')).channels as Array<{ name: string; active: boolean }>;
    expect(stored.find((c) => c.name === `#security-${label}`)?.active).toBe(false);
    expect(problems).toEqual([]);
  });

  it("an analyst's Settings page has no chat channels", async () => {
    const analyst = await vigil.person('analyst');
    const { page } = await newPage(browser);
    await signInThroughPage(page, vigil.base, analyst, '/settings');
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
    expect(await page.getByRole('region', { name: 'Chat notifications' }).count()).toBe(0);
  });
});
