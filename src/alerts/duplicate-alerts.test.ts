import { describe, expect, it } from 'vitest';
import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { Alert } from '../domain/alert.js';
import type { AlertService } from './alert-service.js';
import { DUPLICATE_CLOSER, DuplicateAlerts } from './duplicate-alerts.js';

const alert = (id: string) => ({ id, subject: { kind: 'ip', value: '203.0.113.9' } }) as unknown as Alert;

/** An alert service whose answers to `act` are given in turn; it records each call. */
function service(answers: Array<Result<Alert, Problem>>) {
  const calls: Array<{ id: string; action: string; actor: string; note: string | null }> = [];
  const alerts = {
    async act(id: string, action: string, actor: string, note: string | null) {
      calls.push({ id, action, actor, note });
      return answers.shift() ?? err({ code: 'not_found', message: 'No alert.' });
    },
  } as unknown as AlertService;
  return { alerts, calls };
}

describe('DuplicateAlerts', () => {
  it('resolves the duplicate as vigil, naming the alert kept, trying again while its commit is under way', async () => {
    const notYet = err({ code: 'not_found' as const, message: 'No alert alrt_2.' });
    const { alerts, calls } = service([notYet, notYet, ok(alert('alrt_2'))]);
    await new DuplicateAlerts(alerts, { pauseMs: 1, onError: (m) => expect.fail(m) }).close(alert('alrt_2'), alert('alrt_1'));
    expect(calls).toHaveLength(3);
    expect(calls[2]).toMatchObject({ id: 'alrt_2', action: 'resolve', actor: DUPLICATE_CLOSER });
    expect(calls[2]?.note).toContain('alrt_1');
  });

  it('folds it into the alert kept, and tries again when the database refused a try (a deadlock’s victim)', async () => {
    const calls: Array<{ id: string; foldInto?: string }> = [];
    let refused = false;
    const alerts = {
      async act(id: string, _action: string, _actor: string, _note: string | null, foldInto?: string) {
        calls.push({ id, ...(foldInto !== undefined && { foldInto }) });
        if (!refused) {
          refused = true;
          throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
        }
        return ok(alert(id));
      },
    } as unknown as AlertService;
    await new DuplicateAlerts(alerts, { pauseMs: 1, onError: (m) => expect.fail(m) }).close(alert('alrt_2'), alert('alrt_1'));
    expect(calls).toEqual([
      { id: 'alrt_2', foldInto: 'alrt_1' },
      { id: 'alrt_2', foldInto: 'alrt_1' },
    ]);
  });

  it('stops at once when it was closed already, by another worker or a person', async () => {
    const { alerts, calls } = service([err({ code: 'invalid_transition', message: 'resolved' })]);
    await new DuplicateAlerts(alerts, { pauseMs: 1, onError: (m) => expect.fail(m) }).close(alert('alrt_2'), alert('alrt_1'));
    expect(calls).toHaveLength(1);
  });

  it('gives up after its tries, saying so, and tries no more once stopped', async () => {
    const errors: string[] = [];
    const { alerts, calls } = service([]);
    await new DuplicateAlerts(alerts, { tries: 3, pauseMs: 1, onError: (m) => errors.push(m) }).close(alert('alrt_2'), alert('alrt_1'));
    expect(calls).toHaveLength(3);
    expect(errors).toEqual(['closing alert alrt_2, a duplicate of alrt_1, failed']);

    const stopping = service([]);
    const duplicates = new DuplicateAlerts(stopping.alerts, { tries: 1000, pauseMs: 5, onError: () => {} });
    const closing = duplicates.close(alert('alrt_2'), alert('alrt_1'));
    await duplicates.stop();
    await closing;
    expect(stopping.calls).toHaveLength(1);
  });
});
