import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { runningClock, TEST_NOW } from './support/clock.js';

/**
 * Issue 15 row 3: the member's simulator (POST /v1/me/simulate) sends real events for the member's
 * account. It exists only in demo mode, and nothing it sends lifts a lock or counts as a password change.
 */
let t: TestApp | undefined;
// Vigil's time starts at a fixed instant: the demo's data never depends on the hour of the run.
const clock = runningClock(TEST_NOW);
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('the member simulator', () => {
  it('does not exist outside demo mode: 404 not_found, no event stored, and GET /v1/me says it is off', async () => {
    t = await startTestApp({ clock, env: { VIGIL_DEMO: 'false' } });
    const alice = await t.person('member', 'alice');
    for (const scenario of ['password-change', 'large-purchase-new-device']) {
      const res = await alice.request('POST', '/v1/me/simulate', { scenario });
      expect(res.statusCode, scenario).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    expect((await t.get('/v1/users/alice/events')).json().events).toHaveLength(0);
    expect((await alice.request('GET', '/v1/me')).json().simulator).toBe(false);
  });

  it('exists in demo mode, and GET /v1/me says so', async () => {
    t = await startTestApp({ clock, env: { VIGIL_DEMO: 'true' } });
    const alice = await t.person('member', 'alice');
    expect((await alice.request('GET', '/v1/me')).json().simulator).toBe(true);
    const res = await alice.request('POST', '/v1/me/simulate', { scenario: 'login-abroad' });
    expect(res.statusCode).toBe(200);
  });

  it('in demo mode, a simulated password change does not lift a “this wasn’t me” lock nor count as one', async () => {
    t = await startTestApp({ clock, env: { VIGIL_DEMO: 'true' } });
    const alice = await t.person('member', 'alice');
    await alice.request('POST', '/v1/me/simulate', { scenario: 'failed-logins' });
    const [alert] = (await alice.request('GET', '/v1/me/alerts')).json().alerts;
    const disputed = await alice.request('POST', `/v1/me/alerts/${alert.id}/dispute`, { note: 'not me' });
    expect(disputed.json().account).toMatchObject({ locked: true, lockScope: 'full', unlockBy: 'password_change' });

    const sim = await alice.request('POST', '/v1/me/simulate', { scenario: 'password-change' });
    expect(sim.statusCode).toBe(200);
    await t.system.accountService.settled();
    const me = (await alice.request('GET', '/v1/me')).json();
    expect(me).toMatchObject({ locked: true, lockScope: 'full', unlockBy: 'password_change' });
    // Not a password change for Security Health either.
    expect(me.health.reasons.map((r: { factor: string }) => r.factor)).toContain('old_password');
    // Nor for a restart: the lock stored with it is still there.
    expect((await t.get('/v1/accounts/alice')).json()).toMatchObject({ locked: true, unlockBy: 'password_change' });

    // The client app's report of a real password change lifts it.
    const real = await t.send({
      type: 'password.changed',
      user: 'alice',
      timestamp: new Date(clock.now()).toISOString(),
      device: 'alice-laptop',
    });
    expect(real.statusCode).toBe(200);
    expect((await alice.request('GET', '/v1/me')).json()).toMatchObject({ locked: false });
  });
});
