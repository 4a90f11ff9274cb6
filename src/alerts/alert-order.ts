import type { Alert } from '../domain/alert.js';
import { SEVERITY_RANK } from '../domain/severity.js';
import type { AlertSort } from './ports.js';

/**
 * Severity sorts as one number, rank × 10¹³ + creation time (ms; 10¹³ ms is the year 2286), so that
 * "strongest first, newest first within a severity" pages by one keyset column like time does. The
 * store computes the same number in SQL (`SEVERITY_SORT_FACTOR`).
 */
export const SEVERITY_SORT_FACTOR = 10_000_000_000_000;

/** The number an alert sorts by under `sort`: what a page's cursor carries, with the id. */
export function alertSortKey(alert: Pick<Alert, 'severity' | 'createdAt'>, sort: AlertSort): number {
  return sort === 'severity' ? SEVERITY_RANK[alert.severity] * SEVERITY_SORT_FACTOR + alert.createdAt : alert.createdAt;
}
