import type { Clock } from '../core/clock.js';
import type { AlertOwner } from '../domain/alert.js';
import type { AlertStore, HandledAlert, RuleOutcome } from './ports.js';

const DAY_MS = 86_400_000;
/** The periods the Team and rules pages show: the last 7 and the last 30 days, to the clock's now. */
export const FIGURE_PERIODS = [7, 30] as const;
export type FigurePeriod = (typeof FIGURE_PERIODS)[number];

/** How long something took over a set of alerts: how many, the median and the 90th percentile (nearest rank). */
export interface Durations {
  readonly count: number;
  readonly medianMs: number | null;
  readonly p90Ms: number | null;
}

export interface HandlingFigures {
  /** From raised to first acknowledged, over the alerts acknowledged in the period. */
  readonly toAcknowledge: Durations;
  /** From raised to resolved or closed as a false positive, over the alerts closed in the period. */
  readonly toResolve: Durations;
}

export interface TeamPeriod {
  readonly days: FigurePeriod;
  readonly from: number;
  readonly to: number;
  readonly all: HandlingFigures;
  /** One row per owner (by the alert's owner now), and one for alerts nobody owns (owner null). */
  readonly byOwner: readonly (HandlingFigures & { readonly owner: AlertOwner | null })[];
  readonly byRule: readonly (HandlingFigures & { readonly ruleId: string })[];
}

export interface RuleOutcomes {
  readonly last7Days: RuleOutcome;
  readonly last30Days: RuleOutcome;
}

const NO_OUTCOME: RuleOutcome = { alerts: 0, closed: 0, falsePositives: 0 };

/** The nearest-rank percentile of sorted values: a value that occurred, never an interpolation. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1] ?? null;
}

export function durations(values: readonly number[]): Durations {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, medianMs: percentile(sorted, 0.5), p90Ms: percentile(sorted, 0.9) };
}

const within = (at: number | null, from: number, to: number): at is number => at !== null && at >= from && at <= to;

function handling(alerts: readonly HandledAlert[], from: number, to: number): HandlingFigures {
  const ack: number[] = [];
  const resolve: number[] = [];
  for (const a of alerts) {
    if (within(a.acknowledgedAt, from, to)) ack.push(Math.max(0, a.acknowledgedAt - a.createdAt));
    if (within(a.resolvedAt, from, to)) resolve.push(Math.max(0, a.resolvedAt - a.createdAt));
  }
  return { toAcknowledge: durations(ack), toResolve: durations(resolve) };
}

function groupBy<K>(alerts: readonly HandledAlert[], key: (a: HandledAlert) => K): Map<K, HandledAlert[]> {
  const groups = new Map<K, HandledAlert[]>();
  for (const a of alerts) {
    const k = key(a);
    const group = groups.get(k);
    if (group) group.push(a);
    else groups.set(k, [a]);
  }
  return groups;
}

/**
 * What the Team page and the rules page show of how alerts are handled, from the alerts' own times
 * (raised, first acknowledged, closed) and owners, over periods that end at the clock's now.
 */
export class TriageFigures {
  constructor(
    private readonly store: AlertStore,
    private readonly clock: Clock,
  ) {}

  async team(): Promise<readonly TeamPeriod[]> {
    const to = this.clock.now();
    const longest = Math.max(...FIGURE_PERIODS);
    const handled = await this.store.handledSince(to - longest * DAY_MS);
    return FIGURE_PERIODS.map((days) => {
      const from = to - days * DAY_MS;
      const inPeriod = handled.filter((a) => within(a.acknowledgedAt, from, to) || within(a.resolvedAt, from, to));
      const owners = new Map<string | null, AlertOwner | null>();
      for (const a of inPeriod) owners.set(a.owner?.id ?? null, a.owner);
      const byOwner = [...groupBy(inPeriod, (a) => a.owner?.id ?? null)].map(([id, alerts]) => ({
        owner: owners.get(id) ?? null,
        ...handling(alerts, from, to),
      }));
      // Owners by name, nobody last; rules by id.
      byOwner.sort((a, b) => (a.owner === null ? 1 : b.owner === null ? -1 : a.owner.email.localeCompare(b.owner.email)));
      const byRule = [...groupBy(inPeriod, (a) => a.ruleId)]
        .map(([ruleId, alerts]) => ({ ruleId, ...handling(alerts, from, to) }))
        .sort((a, b) => a.ruleId.localeCompare(b.ruleId));
      return { days, from, to, all: handling(inPeriod, from, to), byOwner, byRule };
    });
  }

  /** Per rule: alerts raised in the last 7 and 30 days, how many are closed, and how many as false positives. */
  async ruleOutcomes(): Promise<ReadonlyMap<string, RuleOutcomes>> {
    const now = this.clock.now();
    const [week, month] = await Promise.all([this.store.outcomesSince(now - 7 * DAY_MS), this.store.outcomesSince(now - 30 * DAY_MS)]);
    const out = new Map<string, RuleOutcomes>();
    for (const ruleId of new Set([...week.keys(), ...month.keys()])) {
      out.set(ruleId, { last7Days: week.get(ruleId) ?? NO_OUTCOME, last30Days: month.get(ruleId) ?? NO_OUTCOME });
    }
    return out;
  }
}

export const emptyOutcomes: RuleOutcomes = { last7Days: NO_OUTCOME, last30Days: NO_OUTCOME };
