import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { fixedClock, TEST_NOW } from './support/clock.js';

/**
 * Issue 15 row 10: with no contact on file, the address an event carries became where unlock codes
 * go, including the new address of an `email.changed`, which is what an account thief sends first.
 * Rule: an event's email fills an empty contact only if the account never reported an email change.
 */
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const DAY = 86_400_000;
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36';
// Vigil on a fixed clock: which events share a calendar day never depends on the hour of the run.
const at = (msAgo: number) => new Date(TEST_NOW - msAgo).toISOString();

let probes = 0;
/**
 * Sends a batch with a probe: another account's event carrying an email. Emails are learnt after the
 * commit, from the bus, for the whole batch at once: once the probe's is on file, the batch's are done.
 */
async function send(app: TestApp, events: Array<Record<string, unknown>>) {
  const probe = `probe${++probes}`;
  const res = await app.send({
    events: [...events, { type: 'page.viewed', user: probe, timestamp: at(0), path: '/', email: `${probe}@example.com` }],
  });
  expect(res.statusCode, res.body).toBe(200);
  await vi.waitFor(async () => expect((await app.system.accountService.view(probe)).contact.email).toBeDefined(), { timeout: 15_000 });
  await app.system.accountService.settled();
  return res.json().results as Array<{ decision: string; alertId?: string }>;
}

/** The owner's old laptop, then a thief's phone that spends above the limit minutes after logging in. */
const takeover = (user: string) => ({
  owner: { type: 'login.succeeded', user, timestamp: at(20 * DAY), device: `${user}-laptop`, userAgent: CHROME },
  login: (email?: string) => ({
    type: 'login.succeeded',
    user,
    timestamp: at(4 * 60_000),
    ip: '200.160.2.3',
    device: 'thief-phone',
    userAgent: ANDROID,
    session: 'thief',
    ...(email && { email }),
  }),
  purchase: {
    type: 'transaction',
    user,
    timestamp: at(0),
    ip: '200.160.2.3',
    device: 'thief-phone',
    userAgent: ANDROID,
    amount: 6500,
    currency: 'EUR',
    merchant: 'electronics',
    paymentMethod: 'card_thief',
    session: 'thief',
  },
});

describe('unlock codes and an email address learnt from events', () => {
  it('never go to the new address of an email.changed, nor to it carried by later events', async () => {
    t = await startTestApp({ clock: fixedClock(TEST_NOW) });
    const thief = 'thief@evil.test';
    const story = takeover('dave');
    await send(t, [story.owner]);
    // Two days ago (outside the account-takeover chain's window, so the purchase below locks with a code).
    await send(t, [{ type: 'email.changed', user: 'dave', timestamp: at(2 * DAY), device: 'dave-laptop', email: thief }]);
    // The client app goes on reporting the account's (now the thief's) address on later events.
    await send(t, [story.login(thief)]);
    const [purchase] = await send(t, [{ ...story.purchase, email: thief }]);
    expect(purchase?.decision).toBe('block');

    const account = (await t.get('/v1/accounts/dave')).json();
    expect(account).toMatchObject({ locked: true, unlockBy: 'code' });
    expect(account.contact.email).toBeUndefined();
    const messages = await t.system.outbox.list({ limit: 100 });
    expect(messages.map((m) => m.recipient)).not.toContain(thief);
    // Asking for a code: nowhere trusted to send it.
    const otp = await t.app.inject({
      method: 'POST',
      url: '/v1/accounts/dave/otp',
      headers: { authorization: `Bearer ${t.config.ingestKey}`, 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(otp.json().error?.code).toBe('no_contact');
    expect((await t.system.outbox.list({ limit: 100 })).map((m) => m.recipient)).not.toContain(thief);
  });

  it('in one batch too, and still fill an empty contact from an account that never changed its address', async () => {
    t = await startTestApp({ clock: fixedClock(TEST_NOW) });
    const thief = 'thief@evil.test';
    const dave = takeover('dave');
    await send(t, [
      dave.owner,
      { type: 'email.changed', user: 'dave', timestamp: at(3 * 60_000), device: 'thief-phone', email: thief },
      { ...dave.login(thief), timestamp: at(2 * 60_000) },
    ]);
    expect((await t.get('/v1/accounts/dave')).json().contact.email).toBeUndefined();

    await send(t, [{ type: 'login.succeeded', user: 'erin', timestamp: at(60_000), device: 'erin-laptop', email: 'erin@example.com' }]);
    expect((await t.get('/v1/accounts/erin')).json().contact.email).toBe('e***@example.com');
  });
});
