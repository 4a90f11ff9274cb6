import { describe, expect, it } from 'vitest';
import type { AccountAlert, TrafficAlert } from '../domain/alert.js';
import { alertRaisedData } from './payloads.js';

const T = Date.parse('2026-11-24T10:00:00Z');
const base = {
  id: 'alrt_1',
  ruleIds: [],
  summary: 'summary',
  risk: 35,
  decision: 'allow',
  status: 'new',
  reasons: [],
  events: [],
  relatedEventIds: [],
  suggestedActions: [],
  occurrences: 1,
  firstSeenAt: T,
  lastSeenAt: T,
  createdAt: T,
  updatedAt: T,
  acknowledgedAt: null,
  resolvedAt: null,
  severity: 'medium',
} as const;

describe('alert.raised data', () => {
  it('keeps `user` as clients have always received it: the account, or `status:<name>` for a traffic alert', () => {
    const traffic: TrafficAlert = {
      ...base,
      dedupKey: 'transaction-volume|incident|events|minc_1',
      ruleId: 'transaction-volume',
      type: 'transaction',
      subject: { kind: 'status', value: 'failed' },
    };
    expect(alertRaisedData(traffic)).toMatchObject({ user: 'status:failed', subject: { kind: 'status', value: 'failed' } });

    const account: AccountAlert = {
      ...base,
      dedupKey: 'new-login-context|user|alice',
      ruleId: 'new-login-context',
      type: 'security',
      subject: { kind: 'user', value: 'alice' },
      user: 'alice',
      ip: '203.0.113.9',
    };
    expect(alertRaisedData(account)).toMatchObject({ user: 'alice', ip: '203.0.113.9', subject: { kind: 'user', value: 'alice' } });
  });
});
