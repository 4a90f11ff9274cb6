import type { Clock } from '../core/clock.js';

/** Whether a rule's findings count (live) or are only recorded and counted (shadow). */
export type RuleMode = 'live' | 'shadow';
export const RULE_MODES: readonly RuleMode[] = ['live', 'shadow'];
export const isRuleMode = (value: unknown): value is RuleMode => value === 'live' || value === 'shadow';

/**
 * Per rule and UTC day: findings, and alerts raised (live) or that would have been raised (shadow).
 * Detection calls `record` for every finding on the scoring path, so it must be cheap (memory only);
 * the implementation persists the counts in the background.
 */
export interface RuleHitCounter {
  record(ruleId: string, at: number, mode: RuleMode, opensAlert: boolean): void;
}

/** One rule's counts on one UTC day ('YYYY-MM-DD') in one mode. */
export interface RuleDayCount {
  readonly ruleId: string;
  readonly day: string;
  readonly mode: RuleMode;
  readonly hits: number;
  readonly alerts: number;
}

/** Where the daily counts are kept (store/rule-stats-store.ts). */
export interface RuleStatsStore {
  /** Adds the counts to what each (rule, day, mode) row holds, creating the rows that are missing. */
  add(counts: readonly RuleDayCount[]): Promise<void>;
  /** Every row with `fromDay <= day <= toDay`. */
  read(fromDay: string, toDay: string): Promise<readonly RuleDayCount[]>;
}

export interface DayFigures {
  readonly day: string;
  readonly hits: number;
  readonly alerts: number;
}

/** One mode's figures of one rule: totals over the last 7 and 30 days (today included), and the last 14 days one by one. */
export interface ModeFigures {
  readonly last7Days: { readonly hits: number; readonly alerts: number };
  readonly last30Days: { readonly hits: number; readonly alerts: number };
  /** Oldest first, today last; days without findings included, as zeros. */
  readonly daily: readonly DayFigures[];
}

export interface RuleFigures {
  readonly live: ModeFigures;
  readonly shadow: ModeFigures;
}

const DAY_MS = 86_400_000;
export const RULE_STATS_FLUSH_MS = 10_000;
const DAILY_DAYS = 14;
const LONG_DAYS = 30;
const SHORT_DAYS = 7;

export const dayString = (dayNumber: number): string => new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);

/** Counts of one (rule, day, mode) not yet flushed. */
class Cell {
  hits = 0;
  alerts = 0;
  constructor(readonly day: number) {}
}

class ModeCells {
  /** The cell last written: nearly every finding is of the same day as the one before. */
  current: Cell | undefined;
  readonly byDay = new Map<number, Cell>();

  cell(day: number): Cell {
    let c = this.byDay.get(day);
    if (c === undefined) {
      c = new Cell(day);
      this.byDay.set(day, c);
    }
    this.current = c;
    return c;
  }
}

class RuleCells {
  readonly live = new ModeCells();
  readonly shadow = new ModeCells();
}

/**
 * Findings and alerts per rule, UTC day (of the event's time) and mode. `record` touches memory only:
 * a map lookup by rule, then the day's cell (kept at hand), two increments; a new object only for a
 * rule, day or mode not seen since the last flush. Every 10 s (and at close) the counts are added
 * to the store and taken off the cells. Reads add what is not flushed yet to what the store holds;
 * flushes and reads take turns, so a count is never seen twice nor missed.
 */
export class RuleStats implements RuleHitCounter {
  private readonly byRule = new Map<string, RuleCells>();
  private turn: Promise<unknown> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  constructor(
    private readonly store: RuleStatsStore,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** Keys the rules up front, so that their first findings do not allocate. */
  track(ruleIds: Iterable<string>): void {
    for (const id of ruleIds) if (!this.byRule.has(id)) this.byRule.set(id, new RuleCells());
  }

  record(ruleId: string, at: number, mode: RuleMode, opensAlert: boolean): void {
    let rule = this.byRule.get(ruleId);
    if (rule === undefined) {
      rule = new RuleCells();
      this.byRule.set(ruleId, rule);
    }
    const cells = mode === 'shadow' ? rule.shadow : rule.live;
    const day = Math.floor((Number.isFinite(at) ? at : this.clock.now()) / DAY_MS);
    const current = cells.current;
    const cell = current !== undefined && current.day === day ? current : cells.cell(day);
    cell.hits++;
    if (opensAlert) cell.alerts++;
  }

  /** Flushes every `everyMs` in the background; the timer never keeps the process alive. */
  start(everyMs: number = RULE_STATS_FLUSH_MS): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setInterval(() => void this.flush(), everyMs);
    this.timer.unref();
  }

  /** Adds the counts recorded so far to the store. A failed flush keeps them for the next one. */
  flush(): Promise<void> {
    return this.inTurn(async () => {
      try {
        await this.flushNow();
      } catch (error) {
        this.onError(error);
      }
    });
  }

  /** Stops the timer and flushes what is left: before the database closes. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Figures of every rule that has any in the last 30 days (days by the clock), flushed or not. */
  async figures(): Promise<ReadonlyMap<string, RuleFigures>> {
    const today = Math.floor(this.clock.now() / DAY_MS);
    const first = today - LONG_DAYS + 1;
    const counts = new Map<string, { live: Map<number, [number, number]>; shadow: Map<number, [number, number]> }>();
    const add = (ruleId: string, mode: RuleMode, day: number, hits: number, alerts: number) => {
      if (day < first || day > today || (hits === 0 && alerts === 0)) return;
      let rule = counts.get(ruleId);
      if (!rule) {
        rule = { live: new Map(), shadow: new Map() };
        counts.set(ruleId, rule);
      }
      const byDay = rule[mode];
      const sum = byDay.get(day) ?? [0, 0];
      byDay.set(day, [sum[0] + hits, sum[1] + alerts]);
    };
    await this.inTurn(async () => {
      for (const r of await this.store.read(dayString(first), dayString(today)))
        add(r.ruleId, r.mode, Math.round(Date.parse(`${r.day}T00:00:00Z`) / DAY_MS), r.hits, r.alerts);
      for (const [ruleId, rule] of this.byRule)
        for (const mode of RULE_MODES) for (const c of rule[mode].byDay.values()) add(ruleId, mode, c.day, c.hits, c.alerts);
    });
    const out = new Map<string, RuleFigures>();
    for (const [ruleId, rule] of counts) out.set(ruleId, { live: modeFigures(rule.live, today), shadow: modeFigures(rule.shadow, today) });
    return out;
  }

  /** A rule's figures (zeros when it has none). */
  async figuresOf(ruleId: string): Promise<RuleFigures> {
    return (await this.figures()).get(ruleId) ?? emptyFigures(this.clock.now());
  }

  private async flushNow(): Promise<void> {
    const taken: Array<[Cell, number, number]> = [];
    const rows: RuleDayCount[] = [];
    for (const [ruleId, rule] of this.byRule) {
      for (const mode of RULE_MODES) {
        for (const c of rule[mode].byDay.values()) {
          if (c.hits === 0 && c.alerts === 0) continue;
          taken.push([c, c.hits, c.alerts]);
          rows.push({ ruleId, day: dayString(c.day), mode, hits: c.hits, alerts: c.alerts });
        }
      }
    }
    if (rows.length > 0) await this.store.add(rows);
    // Taken off, not zeroed: findings recorded while the store was writing stay for the next flush.
    for (const [c, hits, alerts] of taken) {
      c.hits -= hits;
      c.alerts -= alerts;
    }
    // Days that are over are forgotten once flushed; today and yesterday stay keyed (late events).
    const keep = Math.floor(this.clock.now() / DAY_MS) - 1;
    for (const rule of this.byRule.values()) {
      for (const mode of RULE_MODES) {
        const cells = rule[mode];
        for (const [day, c] of cells.byDay) {
          if (day >= keep || c.hits !== 0 || c.alerts !== 0) continue;
          cells.byDay.delete(day);
          if (cells.current === c) cells.current = undefined;
        }
      }
    }
  }

  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn, fn);
    this.turn = run.catch(() => {});
    return run;
  }
}

function modeFigures(byDay: ReadonlyMap<number, readonly [number, number]>, today: number): ModeFigures {
  const total = (days: number) => {
    let hits = 0;
    let alerts = 0;
    for (const [day, [h, a]] of byDay) {
      if (day > today - days) {
        hits += h;
        alerts += a;
      }
    }
    return { hits, alerts };
  };
  const daily: DayFigures[] = [];
  for (let day = today - DAILY_DAYS + 1; day <= today; day++) {
    const [hits, alerts] = byDay.get(day) ?? [0, 0];
    daily.push({ day: dayString(day), hits, alerts });
  }
  return { last7Days: total(SHORT_DAYS), last30Days: total(LONG_DAYS), daily };
}

export function emptyFigures(now: number): RuleFigures {
  const today = Math.floor(now / DAY_MS);
  const none = modeFigures(new Map(), today);
  return { live: none, shadow: none };
}
