import type { Clock } from '../core/clock.js';
import { HOUR } from '../core/time.js';
import type { StoredEvent } from '../domain/activity-event.js';
import { AlertBook } from './alert-book.js';
import { DetectionEngine } from './engine.js';
import { MemoryHistory } from './memory-history.js';
import { type RuleEntry, RuleSet } from './rule-set.js';
import { DEFAULT_SCORING } from './scoring.js';

export interface BacktestResult {
  readonly ruleId: string;
  readonly from: string;
  readonly to: string;
  readonly eventsReplayed: number;
  /** Events the rule fired on inside [from, to). */
  readonly hits: number;
  /** Alerts it would have raised: hits on the same subject within the rule's window count once. */
  readonly alerts: number;
  readonly bySeverity: Readonly<Record<string, number>>;
  readonly users: ReadonlyArray<{ readonly user: string; readonly hits: number }>;
  readonly examples: ReadonlyArray<{
    readonly eventId: string;
    readonly user: string;
    readonly at: string;
    readonly severity: string;
    readonly message: string;
  }>;
}

const MAX_EXAMPLES = 10;
const MAX_USERS = 50;

/**
 * Replays stored events through one rule on a private engine (its own history, its own alert book),
 * so live detection state is never touched. History from before `from` is replayed first, so the
 * first minutes of the range are judged with their windows full.
 */
export async function backtest(
  entry: RuleEntry,
  events: (from: number, to: number) => AsyncIterable<readonly StoredEvent[]>,
  range: { from: number; to: number },
  clock: Clock,
): Promise<BacktestResult> {
  const alerts = new AlertBook();
  const engine = new DetectionEngine({
    memory: { history: new MemoryHistory(), alerts },
    // A backtest shows what the rule would raise, so a shadow rule is replayed as if live.
    book: { rules: new RuleSet([{ ...entry, mode: 'live', config: { ...entry.config, enabled: true } }]) },
    policy: DEFAULT_SCORING,
    clock,
    onRuleError: () => {},
  });
  const lead = Math.max(entry.rule.windowMs(entry.config), 24 * HOUR);
  const alertIds = new Set<string>();
  const perUser = new Map<string, number>();
  const bySeverity: Record<string, number> = {};
  const examples: Array<BacktestResult['examples'][number]> = [];
  let replayed = 0;
  let hits = 0;
  for await (const page of events(range.from - lead, range.to)) {
    for (const e of page) {
      replayed++;
      const verdict = engine.score(e, e.enrichment);
      if (e.occurredAt < range.from || verdict.reasons.length === 0) continue;
      hits++;
      const reason = verdict.reasons[0] as (typeof verdict.reasons)[number];
      bySeverity[reason.severity] = (bySeverity[reason.severity] ?? 0) + 1;
      if (verdict.alertId) alertIds.add(verdict.alertId);
      perUser.set(e.user, (perUser.get(e.user) ?? 0) + 1);
      if (examples.length < MAX_EXAMPLES) {
        examples.push({
          eventId: e.id,
          user: e.user,
          at: new Date(e.occurredAt).toISOString(),
          severity: reason.severity,
          message: reason.message,
        });
      }
    }
  }
  return {
    ruleId: entry.rule.id,
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    eventsReplayed: replayed,
    hits,
    alerts: alertIds.size,
    bySeverity,
    users: [...perUser.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, MAX_USERS)
      .map(([user, n]) => ({ user, hits: n })),
    examples,
  };
}
