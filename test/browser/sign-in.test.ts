import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { newPage, setUpBrowserSuite, signInThroughPage } from './support.js';

/** Signing in to the dashboard, for both roles, with and without two-factor sign-in. */
const suite = setUpBrowserSuite();

describe('sign-in', () => {
  it('takes an admin to the live alert feed and a member to their own account', async () => {
    const admin = await suite.vigil.person('admin');
    const member = await suite.vigil.person('member', 'frank');

    const a = await newPage(suite.browser);
    await signInThroughPage(a.page, suite.vigil.base, admin);
    expect(new URL(a.page.url()).pathname).toBe('/admin/alerts');
    await expect(a.page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Alerts');
    await a.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rules' }).waitFor();
    await a.page
      .getByRole('status')
      .filter({ hasText: /^\W*Live$/ })
      .waitFor();

    const m = await newPage(suite.browser);
    await signInThroughPage(m.page, suite.vigil.base, member);
    expect(new URL(m.page.url()).pathname).toBe('/me');
    await expect(m.page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('My account');
    await m.page.getByText('shopper frank').waitFor();
    await m.page.getByRole('meter', { name: 'Security Health' }).waitFor();
    // A member's menu has no admin pages.
    const menu = await m.page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    expect(menu).toEqual(['My account', 'Settings']);

    await m.page.getByRole('button', { name: 'Sign out' }).click();
    await m.page.waitForURL(`${suite.vigil.base}/signin`);
    await m.page.goto(`${suite.vigil.base}/me`);
    await m.page.waitForURL(/\/signin\?next=%2Fme$/);
    await a.context.close();
    await m.context.close();
  });

  it('says so when the password is wrong, and returns to the page asked for after signing in', async () => {
    const admin = await suite.vigil.person('admin');
    const { page, context } = await newPage(suite.browser);
    await page.goto(`${suite.vigil.base}/admin/rules`);
    await page.waitForURL(/\/signin\?next=%2Fadmin%2Frules$/);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The email or password is not right.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/signin');

    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${suite.vigil.base}/admin/rules`);
    await page.getByRole('heading', { level: 1, name: 'Rules' }).waitFor();
    await context.close();
  });

  it('enrols two-factor sign-in by QR code, then asks for the code at sign-in, and turns it off again', async () => {
    const admin = await suite.vigil.person('admin');
    const { page, context } = await newPage(suite.browser);
    await signInThroughPage(page, suite.vigil.base, admin);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();

    const qr = page.getByRole('img', { name: 'QR code to add Vigil to your authenticator app' });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await page.getByText('Cannot scan it? Enter the key by hand').click();
    const secret = (await page.locator('code.secret').textContent())?.trim() as string;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });

    // The step before now: the codes used next (now, then the step after) are each later than the last.
    await page.getByLabel('Code from your app').fill(totp.generate({ timestamp: Date.now() - 30_000 }));
    await page.getByRole('button', { name: 'Verify and turn on' }).click();
    await page.getByText('Two-factor sign-in is on.').waitFor();
    await page.getByText('Status: On').waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${suite.vigil.base}/signin`);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const codeField = page.getByLabel('Authentication code');
    await codeField.waitFor();
    // The field takes focus, so the code can be typed at once.
    expect(await codeField.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);

    // A code that is not the current one (nor either neighbour).
    const wrong = String((Number(totp.generate()) + 500_000) % 1_000_000).padStart(6, '0');
    await codeField.fill(wrong);
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByText('Wrong or already used authenticator code.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/signin');

    await codeField.fill(totp.generate({ timestamp: Date.now() }));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.waitForURL(`${suite.vigil.base}/admin/alerts`);

    await page.goto(`${suite.vigil.base}/settings`);
    await page.getByRole('button', { name: 'Turn off two-factor sign-in' }).click();
    await page.getByLabel('Current code from your app').fill(totp.generate({ timestamp: Date.now() + 30_000 }));
    await page.getByRole('button', { name: 'Turn off', exact: true }).click();
    await page.getByText('Two-factor sign-in is off.').waitFor();
    await page.getByText('Status: Off').waitFor();
    await context.close();
  });
});
