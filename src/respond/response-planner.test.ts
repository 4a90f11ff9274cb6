import { describe, expect, it } from 'vitest';
import type { Verdict } from '../detect/detector.js';
import type { Alert } from '../domain/alert.js';
import type { EventType } from '../domain/event-schema.js';
import type { AccountLock } from '../domain/lock.js';
import type { ResponseStep } from '../domain/response.js';
import type { Severity } from '../domain/severity.js';
import { planResponse } from './response-planner.js';
import { DEFAULT_RESPONSE_POLICY } from './response-policy.js';

const now = Date.parse('2026-12-05T10:00:00Z');

function verdict(severity: Severity, over: { ruleIds?: string[]; subject?: 'user' | 'ip'; alertId?: string } = {}): Verdict {
  const alert = {
    id: over.alertId ?? 'alr_1',
    ruleIds: over.ruleIds ?? ['account-takeover-chain'],
    subject: over.subject === 'ip' ? { kind: 'ip', ip: '203.0.113.9' } : { kind: 'user', user: 'alice' },
    summary: 'Takeover chain for alice',
    occurrences: 1,
  } as unknown as Alert;
  return { decision: 'challenge', risk: 70, severity, reasons: [], alertId: alert.id, alert };
}

const plan = (
  type: EventType,
  v: Verdict,
  state: { lock?: AccountLock; respondedAt?: Severity; simulated?: boolean } = {},
): readonly ResponseStep[] =>
  planResponse({
    event: { id: 'evt_1', type, user: 'alice', ...(state.simulated && { attributes: { simulated: true } }) } as never,
    verdict: v,
    lock: state.lock,
    respondedAt: state.respondedAt,
    policy: DEFAULT_RESPONSE_POLICY,
    now,
  });

const kinds = (steps: readonly ResponseStep[]) => steps.map((s) => s.kind);
const codeLock: AccountLock = { scope: 'sensitive', lockedAt: now - 1000, reason: 'earlier', lockedBy: 'vigil', unlockBy: 'code' };

describe('planResponse', () => {
  it('locks sensitive actions on a high alert about the account, sends a code, and blocks the event it covers', () => {
    const steps = plan('transaction', verdict('high'));
    expect(kinds(steps)).toEqual(['remember', 'lock', 'follow_up', 'block']);
    const lock = steps.find((s) => s.kind === 'lock');
    expect(lock).toMatchObject({
      user: 'alice',
      before: undefined,
      lock: { scope: 'sensitive', unlockBy: 'code', alertId: 'alr_1', lockedAt: now },
    });
    const followUp = steps.find((s) => s.kind === 'follow_up');
    expect(followUp).toMatchObject({ response: { actions: ['lock_sensitive', 'send_unlock_code'], severity: 'high' } });
  });

  it('locks without blocking an event the scope does not cover', () => {
    expect(kinds(plan('login.succeeded', verdict('high')))).toEqual(['remember', 'lock', 'follow_up']);
  });

  it('does nothing again for a repeat at the same severity while the lock holds, but still blocks', () => {
    expect(kinds(plan('transaction', verdict('high'), { lock: codeLock, respondedAt: 'high' }))).toEqual(['block']);
  });

  it('locks again, with a new code, when the same alert repeats after the owner unlocked', () => {
    const steps = plan('transaction', verdict('high'), { respondedAt: 'high' });
    expect(kinds(steps)).toEqual(['lock', 'follow_up', 'block']);
  });

  it('escalates to a full lock only an admin lifts on critical, keeping the stricter unlock', () => {
    const steps = plan('page.viewed', verdict('critical'), { lock: codeLock, respondedAt: 'high' });
    expect(steps.find((s) => s.kind === 'lock')).toMatchObject({ lock: { scope: 'full', unlockBy: 'admin' }, before: codeLock });
    expect(kinds(steps)).toContain('block');
  });

  it('notifies on medium without locking', () => {
    const steps = plan('login.succeeded', verdict('medium'));
    expect(kinds(steps)).toEqual(['remember', 'follow_up']);
    expect(steps[1]).toMatchObject({ response: { actions: ['notify_user'] } });
  });

  it('never acts on an account for an alert about an address, nor locks for failed logins alone', () => {
    expect(plan('login.failed', verdict('high', { subject: 'ip' }))).toEqual([]);
    const stuffing = plan('login.failed', verdict('high', { ruleIds: ['failed-login-burst'] }));
    expect(kinds(stuffing)).not.toContain('lock');
    expect(stuffing.flatMap((s) => (s.kind === 'follow_up' ? s.response.actions : []))).not.toContain('send_unlock_code');
  });

  it('lifts a "this wasn\'t me" lock on a real password change, never on a simulated one', () => {
    const disputed: AccountLock = { ...codeLock, unlockBy: 'password_change' };
    const real = plan('password.changed', { decision: 'allow', risk: 0, severity: 'none', reasons: [] }, { lock: disputed });
    expect(real).toEqual([
      { kind: 'unlock', user: 'alice', lifted: disputed },
      {
        kind: 'follow_up',
        response: { user: 'alice', eventId: 'evt_1', actions: [], unlocked: disputed, unlockedAt: now, before: disputed },
      },
    ]);
    const simulated = plan(
      'password.changed',
      { decision: 'allow', risk: 0, severity: 'none', reasons: [] },
      { lock: disputed, simulated: true },
    );
    // Let through (the owner must be able to change the password), but the lock stays.
    expect(simulated).toEqual([]);
  });
});
