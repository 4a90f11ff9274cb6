import type { Rule, RuleConfig } from './rule.js';
import type { RuleMode } from './rule-stats.js';

export interface RuleEntry {
  readonly rule: Rule<any>;
  readonly kind: 'builtin' | 'custom';
  readonly config: RuleConfig & Record<string, unknown>;
  readonly version: number;
  readonly updatedAt: number | null;
  readonly updatedBy: string | null;
  /**
   * live: findings count towards risk, decision and alerts. shadow: the rule runs and its findings
   * are stored and counted, but change nothing. A disabled rule does not run, whatever its mode.
   */
  readonly mode: RuleMode;
}

/**
 * The rules in force and their effective configuration. Entries are replaced whole when an admin
 * edits a rule, so scoring never sees a half-applied change, and no restart is needed.
 */
export class RuleSet {
  private entries = new Map<string, RuleEntry>();
  private enabled: readonly RuleEntry[] = [];

  constructor(entries: Iterable<RuleEntry> = []) {
    for (const e of entries) this.entries.set(e.rule.id, e);
    this.refresh();
  }

  put(entry: RuleEntry): void {
    this.entries.set(entry.rule.id, entry);
    this.refresh();
  }

  get(id: string): RuleEntry | undefined {
    return this.entries.get(id);
  }

  all(): readonly RuleEntry[] {
    return [...this.entries.values()];
  }

  active(): readonly RuleEntry[] {
    return this.enabled;
  }

  /** The longest window of any rule: how much history detection must keep and rebuild. */
  longestWindowMs(): number {
    return Math.max(0, ...this.all().map((e) => e.rule.windowMs(e.config)));
  }

  private refresh(): void {
    this.enabled = [...this.entries.values()].filter((e) => e.config.enabled);
  }
}
