import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { err, ok, type Result } from '../core/result.js';
import { type CustomRuleDefinition, compileCustomRule, validateDefinition } from './custom-rule.js';
import type { Rule } from './rule.js';
import type { RuleEntry, RuleSet } from './rule-set.js';
import { isRuleMode, type RuleMode } from './rule-stats.js';

export interface RuleSetting {
  readonly ruleId: string;
  readonly kind: 'builtin' | 'custom';
  readonly version: number;
  /** Built-in: the full effective configuration. Custom: the definition. */
  readonly config: unknown;
  readonly updatedAt: number;
  readonly updatedBy: string;
  /** Stored since modes exist; settings saved before read as live. */
  readonly mode: RuleMode;
}

export interface RuleVersion {
  readonly version: number;
  readonly config: unknown;
  readonly changedBy: string;
  readonly changedAt: number;
  readonly note: string | null;
  readonly mode: RuleMode;
}

export interface RuleSettingsStore {
  loadAll(): Promise<readonly RuleSetting[]>;
  /** Saves the setting and appends it to the rule's versions, in one transaction. */
  save(setting: RuleSetting, note: string | null): Promise<void>;
  versions(ruleId: string): Promise<readonly RuleVersion[]>;
}

/** The audit trail, as the catalog records into it (audit/audit-trail.ts): a port, so detect/ does no IO of its own. */
export interface RuleAudit {
  record(
    actor: string,
    action: 'rule.created' | 'rule.updated' | 'rule.promoted' | 'rule.shadowed',
    subject: string,
    details: Record<string, unknown>,
  ): Promise<unknown>;
}

/**
 * Built-in rules with their defaults, overrides and custom rules from the database. Every change is
 * validated, saved as a new version with who made it, then swapped into the live RuleSet and audited
 * (here, not by the caller, so that every way in records it).
 */
export class RuleCatalog {
  private readonly checkers = new Map<string, ReturnType<typeof TypeCompiler.Compile>>();

  constructor(
    private readonly store: RuleSettingsStore,
    readonly ruleSet: RuleSet,
    private readonly builtins: readonly Rule<any>[],
    private readonly clock: Clock,
    private readonly audit: RuleAudit,
    /**
     * Called once a change is in the rule set, before it is answered: other processes that keep their
     * own rule set read it again (the distributed mode).
     */
    private readonly changed?: () => Promise<void>,
  ) {
    for (const rule of builtins) {
      this.checkers.set(rule.id, TypeCompiler.Compile(rule.configSchema));
      ruleSet.put({ rule, kind: 'builtin', config: rule.defaults, version: 0, updatedAt: null, updatedBy: null, mode: 'live' });
    }
  }

  /**
   * Applies what the database holds. A stored override that no longer validates keeps the defaults.
   * Loaded again when another process changed a rule: a version already in force is left as it is,
   * so a custom rule's aggregate window is not started afresh by someone else's change.
   */
  async load(onInvalid: (ruleId: string, problem: Problem) => void): Promise<void> {
    for (const s of await this.store.loadAll()) {
      if (this.ruleSet.get(s.ruleId)?.version === s.version) continue;
      const entry = s.kind === 'builtin' ? this.builtinEntry(s.ruleId, s.config) : this.customEntry(s.ruleId, s.config);
      if (!entry.ok) {
        onInvalid(s.ruleId, entry.error);
        continue;
      }
      this.ruleSet.put({ ...entry.value, version: s.version, updatedAt: s.updatedAt, updatedBy: s.updatedBy, mode: s.mode });
    }
  }

  /** A draft rule for a backtest: validated exactly as a save would be, but not saved. */
  draft(body: { ruleId?: string; config?: unknown; definition?: unknown }): Result<RuleEntry, Problem> {
    if (body.definition !== undefined) return this.customEntry(`draft_${newId('rule').slice(5)}`, body.definition);
    if (body.ruleId === undefined) return err({ code: 'invalid_rule', message: 'A draft needs a definition, or a ruleId and config.' });
    const current = this.ruleSet.get(body.ruleId);
    if (!current) return err({ code: 'not_found', message: `No rule ${body.ruleId}.` });
    if (current.kind === 'custom')
      return this.customEntry(body.ruleId, { ...(current.config.definition as object), ...(body.config as object) });
    return this.builtinEntry(body.ruleId, { ...current.config, ...(body.config as object) });
  }

  /**
   * Built-in rules take configuration fields, custom rules definition fields; either may also take
   * `mode` ('live' or 'shadow'), which is not part of the configuration but is saved with it.
   */
  async updateBuiltin(id: string, patch: Record<string, unknown>, actor: string, note: string | null): Promise<Result<RuleEntry, Problem>> {
    const current = this.ruleSet.get(id);
    if (!current) return err({ code: 'not_found', message: `No rule ${id}.` });
    const { mode: rawMode, ...fields } = patch;
    const mode = rawMode === undefined ? current.mode : rawMode;
    if (!isRuleMode(mode)) return err(badMode());
    const updated =
      current.kind === 'custom'
        ? await this.updateCustom(id, { ...(current.config.definition as object), ...fields }, actor, note, mode)
        : await this.updateBuiltinConfig(id, current, fields, actor, note, mode);
    if (!updated.ok) return updated;
    await this.record(actor, 'rule.updated', updated.value, { note, ...(rawMode !== undefined && { mode: updated.value.mode }) });
    return updated;
  }

  /** `mode` is 'live' when not given; the audit entry names it only when it was. */
  async createCustom(definition: unknown, actor: string, mode?: RuleMode): Promise<Result<RuleEntry, Problem>> {
    if (mode !== undefined && !isRuleMode(mode)) return err(badMode());
    const entry = this.customEntry(newId('rule', this.clock.now()), definition);
    if (!entry.ok) return entry;
    const created = await this.commit({ ...entry.value, mode: mode ?? 'live' }, 1, entry.value.config.definition, actor, 'created');
    await this.record(actor, 'rule.created', created, { note: null, ...(mode !== undefined && { mode }) });
    return ok(created);
  }

  /**
   * Puts a rule in shadow or back to live, keeping its configuration: a new version. `invalid_transition`
   * when the rule is already in that mode. Whether it is enabled is left as it is.
   */
  async setMode(id: string, mode: RuleMode, actor: string, note: string | null): Promise<Result<RuleEntry, Problem>> {
    if (!isRuleMode(mode)) return err(badMode());
    const current = this.ruleSet.get(id);
    if (!current) return err({ code: 'not_found', message: `No rule ${id}.` });
    if (current.mode === mode) return err({ code: 'invalid_transition', message: `Rule ${id} is already ${mode}.` });
    const stored = current.kind === 'custom' ? current.config.definition : current.config;
    const changed = await this.commit({ ...current, mode }, current.version + 1, stored, actor, note);
    await this.record(actor, mode === 'live' ? 'rule.promoted' : 'rule.shadowed', changed, { note });
    return ok(changed);
  }

  async versions(id: string): Promise<readonly RuleVersion[]> {
    return this.store.versions(id);
  }

  private async updateBuiltinConfig(
    id: string,
    current: RuleEntry,
    fields: Record<string, unknown>,
    actor: string,
    note: string | null,
    mode: RuleMode,
  ): Promise<Result<RuleEntry, Problem>> {
    const entry = this.builtinEntry(id, { ...current.config, ...fields });
    if (!entry.ok) return entry;
    return ok(await this.commit({ ...entry.value, mode }, current.version + 1, entry.value.config, actor, note));
  }

  private async record(
    actor: string,
    action: 'rule.created' | 'rule.updated' | 'rule.promoted' | 'rule.shadowed',
    entry: RuleEntry,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.audit.record(actor, action, `rule:${entry.rule.id}`, { version: entry.version, kind: entry.kind, ...details });
  }

  private async updateCustom(
    id: string,
    definition: unknown,
    actor: string,
    note: string | null,
    mode: RuleMode,
  ): Promise<Result<RuleEntry, Problem>> {
    const current = this.ruleSet.get(id);
    const entry = this.customEntry(id, definition);
    if (!entry.ok) return entry;
    return ok(await this.commit({ ...entry.value, mode }, (current?.version ?? 0) + 1, entry.value.config.definition, actor, note));
  }

  private async commit(entry: RuleEntry, version: number, stored: unknown, actor: string, note: string | null): Promise<RuleEntry> {
    const at = this.clock.now();
    await this.store.save(
      { ruleId: entry.rule.id, kind: entry.kind, version, config: stored, updatedAt: at, updatedBy: actor, mode: entry.mode },
      note,
    );
    const saved = { ...entry, version, updatedAt: at, updatedBy: actor };
    this.ruleSet.put(saved);
    await this.changed?.();
    return saved;
  }

  private builtinEntry(id: string, config: unknown): Result<RuleEntry, Problem> {
    const rule = this.builtins.find((r) => r.id === id);
    const check = this.checkers.get(id);
    if (!rule || !check) return err({ code: 'not_found', message: `No built-in rule ${id}.` });
    const merged = { ...rule.defaults, ...(config as object) };
    if (!check.Check(merged)) {
      const first = check.Errors(merged).First();
      const field = first?.path.slice(1) || 'config';
      return err({ code: 'invalid_rule', message: `${id}: ${field}: ${first?.message ?? 'invalid'}.`, path: first?.path ?? '' });
    }
    return ok({ rule, kind: 'builtin', config: merged as RuleEntry['config'], version: 0, updatedAt: null, updatedBy: null, mode: 'live' });
  }

  private customEntry(id: string, definition: unknown): Result<RuleEntry, Problem> {
    const checked = validateDefinition(definition);
    if (!checked.ok) return checked;
    const def: CustomRuleDefinition = checked.value;
    const rule = compileCustomRule(id, def);
    return ok({
      rule,
      kind: 'custom',
      config: { enabled: def.enabled, definition: def },
      version: 0,
      updatedAt: null,
      updatedBy: null,
      mode: 'live',
    });
  }
}

const badMode = (): Problem => ({ code: 'invalid_rule', message: "mode must be 'live' or 'shadow'.", path: '/mode' });
