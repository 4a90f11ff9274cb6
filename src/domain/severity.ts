/**
 * Severities, least to most. Kept free of imports so that the dashboard uses the same list and the
 * same order (web/ imports it).
 */
export const SEVERITIES = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Severities in order, for comparing them: the one table of it. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { none: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** The higher of two severities: alerts' severities only go upwards. */
export const higherSeverity = <S extends Severity>(a: S, b: S): S => (SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a);
