import type { Alert } from '../../src/domain/alert.js';

/**
 * A credential-stuffing alert about one address, as the detection holds it after `occurrences`
 * sightings, the first at `firstSeenAt` and the last at `lastSeenAt`: what the group commits' tests
 * write, on both databases.
 */
export function stuffingAlert(a: {
  readonly id: string;
  readonly ip: string;
  readonly occurrences: number;
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  readonly dedupKey?: string;
  readonly summary?: string;
  readonly risk?: number;
  readonly severity?: Alert['severity'];
}): Alert {
  return {
    id: a.id,
    dedupKey: a.dedupKey ?? `credential-stuffing:ip:${a.ip}`,
    ruleId: 'credential-stuffing',
    ruleIds: ['credential-stuffing'],
    subject: { kind: 'ip', value: a.ip },
    user: 'u1',
    ip: a.ip,
    summary: a.summary ?? 'Credential stuffing from one address',
    type: 'security',
    severity: a.severity ?? 'high',
    risk: a.risk ?? 80,
    decision: 'block',
    status: 'new',
    reasons: [],
    events: [],
    relatedEventIds: [],
    suggestedActions: [],
    occurrences: a.occurrences,
    firstSeenAt: a.firstSeenAt,
    lastSeenAt: a.lastSeenAt,
    createdAt: a.firstSeenAt,
    updatedAt: a.lastSeenAt,
    acknowledgedAt: null,
    resolvedAt: null,
  };
}
