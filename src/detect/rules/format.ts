import { MINUTE } from '../../core/time.js';
import type { PastEvent } from '../history.js';

/**
 * Wording shared by the built-in rules' messages. Numbers are formatted the same way whatever the
 * server's locale, so messages are stable in tests, backtests and the alert feed.
 */
const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const MONEY = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const ONE_DECIMAL = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** A span as a person says it: "under 1 s", "40 s", "4 min", "2 h", "1 h 30 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return 'under 1 s';
  if (ms < MINUTE) return `${Math.round(ms / 1000)} s`;
  const minutes = Math.round(ms / MINUTE);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** A configured window: "10 min", "1 h", "24 h". */
export const formatWindow = (minutes: number): string => formatDuration(minutes * MINUTE);

/** "1,899.00 EUR". */
export const formatMoney = (amount: number, currency: string): string => `${MONEY.format(amount)} ${currency}`;

/** "5,570". */
export const formatInteger = (n: number): string => INTEGER.format(n);

/** "9.5", "30": ratios and the like. */
export const formatDecimal = (n: number): string => ONE_DECIMAL.format(n);

/** "1 IP", "3 IPs". */
export const plural = (n: number, singular: string, pluralForm = `${singular}s`): string =>
  `${formatInteger(n)} ${n === 1 ? singular : pluralForm}`;

/** At most this many related events per finding: enough to investigate, small enough to store with every alert. */
export const MAX_RELATED = 20;

/** The ids of the most recent events of a finding (history lists are oldest first), in time order. */
export const relatedIds = (events: readonly PastEvent[]): string[] => events.slice(-MAX_RELATED).map((e) => e.id);

/** Distinct non-empty values of one field, in order of first appearance. */
export function distinct<T>(values: Iterable<T | undefined>): T[] {
  const seen = new Set<T>();
  for (const v of values) if (v !== undefined) seen.add(v);
  return [...seen];
}

export const minutesToMs = (minutes: number): number => minutes * MINUTE;
