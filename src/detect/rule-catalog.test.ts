import { describe, expect, it } from 'vitest';
import { RuleCatalog, type RuleSetting, type RuleSettingsStore, type RuleVersion } from './rule-catalog.js';
import { RuleSet } from './rule-set.js';
import { largeTransactionRule } from './rules/large-transaction.js';

class MemorySettingsStore implements RuleSettingsStore {
  settings = new Map<string, RuleSetting>();
  history = new Map<string, RuleVersion[]>();

  async loadAll(): Promise<readonly RuleSetting[]> {
    return [...this.settings.values()];
  }
  async save(s: RuleSetting, note: string | null): Promise<void> {
    this.settings.set(s.ruleId, s);
    const versions = this.history.get(s.ruleId) ?? [];
    versions.unshift({ version: s.version, config: s.config, changedBy: s.updatedBy, changedAt: s.updatedAt, note, mode: s.mode });
    this.history.set(s.ruleId, versions);
  }
  async versions(ruleId: string): Promise<readonly RuleVersion[]> {
    return this.history.get(ruleId) ?? [];
  }
}

const clock = { now: () => Date.parse('2026-11-24T12:00:00Z') };
/** What the catalog recorded in the audit trail: every change, whichever way it came in. */
const audited: Array<{ actor: string; action: string; subject: string; details: Record<string, unknown> }> = [];
const audit = {
  record: async (actor: string, action: string, subject: string, details: Record<string, unknown>) =>
    audited.push({ actor, action, subject, details }),
};
const catalogOn = (store: RuleSettingsStore) => new RuleCatalog(store, new RuleSet(), [largeTransactionRule], clock, audit);
const definition = {
  name: 'Big spender',
  type: 'transaction',
  eventTypes: ['transaction'],
  conditions: [{ field: 'amount', op: 'gt', value: 1000 }],
  severity: 'high',
};
const noInvalid = () => {
  throw new Error('unexpected invalid setting');
};

describe('rule modes in the catalog', () => {
  it('starts every rule live', () => {
    const catalog = catalogOn(new MemorySettingsStore());
    expect(catalog.ruleSet.get('large-transaction')?.mode).toBe('live');
  });

  it('puts a rule in shadow and back as new versions, keeping its configuration and whether it is on', async () => {
    const store = new MemorySettingsStore();
    const catalog = catalogOn(store);
    await catalog.updateBuiltin('large-transaction', { enabled: false, multiplier: 7 }, 'admin', null);
    const shadowed = await catalog.setMode('large-transaction', 'shadow', 'admin:ann', 'try it quietly');
    expect(shadowed.ok && shadowed.value).toMatchObject({ mode: 'shadow', version: 2, updatedBy: 'admin:ann' });
    expect(catalog.ruleSet.get('large-transaction')).toMatchObject({ mode: 'shadow', config: { enabled: false, multiplier: 7 } });
    // Disabled stays disabled whatever the mode: the rule is not among those that run.
    expect(catalog.ruleSet.active()).toEqual([]);

    const again = await catalog.setMode('large-transaction', 'shadow', 'admin:ann', null);
    expect(!again.ok && again.error.code).toBe('invalid_transition');

    const promoted = await catalog.setMode('large-transaction', 'live', 'admin:bob', null);
    expect(promoted.ok && promoted.value).toMatchObject({ mode: 'live', version: 3 });
    expect((await catalog.versions('large-transaction')).map((v) => [v.version, v.mode, v.note])).toEqual([
      [3, 'live', null],
      [2, 'shadow', 'try it quietly'],
      [1, 'live', null],
    ]);
    const missing = await catalog.setMode('nope', 'live', 'admin', null);
    expect(!missing.ok && missing.error.code).toBe('not_found');
  });

  it('takes mode in an update beside the configuration, and refuses an unknown mode', async () => {
    const catalog = catalogOn(new MemorySettingsStore());
    const updated = await catalog.updateBuiltin('large-transaction', { mode: 'shadow', multiplier: 9 }, 'admin', null);
    expect(updated.ok && updated.value).toMatchObject({ mode: 'shadow', config: { multiplier: 9 } });
    expect(updated.ok && 'mode' in updated.value.config).toBe(false);
    // Leaving mode out keeps it.
    const next = await catalog.updateBuiltin('large-transaction', { multiplier: 10 }, 'admin', null);
    expect(next.ok && next.value.mode).toBe('shadow');
    const bad = await catalog.updateBuiltin('large-transaction', { mode: 'loud' }, 'admin', null);
    expect(!bad.ok && bad.error).toMatchObject({ code: 'invalid_rule', path: '/mode' });
  });

  it('creates a custom rule in shadow, and changes its mode like a built-in one', async () => {
    const catalog = catalogOn(new MemorySettingsStore());
    const created = await catalog.createCustom(definition, 'admin', 'shadow');
    if (!created.ok) throw new Error(created.error.message);
    expect(created.value.mode).toBe('shadow');
    const id = created.value.rule.id;
    const edited = await catalog.updateBuiltin(id, { severity: 'medium' }, 'admin', null);
    expect(edited.ok && edited.value).toMatchObject({ mode: 'shadow', kind: 'custom' });
    const promoted = await catalog.setMode(id, 'live', 'admin', null);
    expect(promoted.ok && promoted.value).toMatchObject({ mode: 'live', config: { definition: { severity: 'medium' } } });
  });

  it('loads the stored mode at start; settings stored before modes read as live', async () => {
    const store = new MemorySettingsStore();
    const first = catalogOn(store);
    await first.setMode('large-transaction', 'shadow', 'admin', null);
    const custom = await first.createCustom(definition, 'admin', 'shadow');
    if (!custom.ok) throw new Error(custom.error.message);

    const second = catalogOn(store);
    await second.load(noInvalid);
    expect(second.ruleSet.get('large-transaction')?.mode).toBe('shadow');
    expect(second.ruleSet.get(custom.value.rule.id)?.mode).toBe('shadow');
  });

  it('audits every change itself, with who made it: routes and any other caller get the same entries', async () => {
    audited.length = 0;
    const catalog = catalogOn(new MemorySettingsStore());
    const created = await catalog.createCustom(definition, 'admin:ann', 'shadow');
    if (!created.ok) throw new Error(created.error.message);
    const id = created.value.rule.id;
    await catalog.updateBuiltin(id, { severity: 'medium' }, 'admin:ann', 'calmer');
    await catalog.setMode(id, 'live', 'admin:bob', null);
    await catalog.setMode(id, 'live', 'admin:bob', null);
    await catalog.updateBuiltin('large-transaction', { mode: 'loud' }, 'admin', null);
    expect(audited).toEqual([
      {
        actor: 'admin:ann',
        action: 'rule.created',
        subject: `rule:${id}`,
        details: { version: 1, kind: 'custom', note: null, mode: 'shadow' },
      },
      { actor: 'admin:ann', action: 'rule.updated', subject: `rule:${id}`, details: { version: 2, kind: 'custom', note: 'calmer' } },
      { actor: 'admin:bob', action: 'rule.promoted', subject: `rule:${id}`, details: { version: 3, kind: 'custom', note: null } },
    ]);
  });

  it('drafts for a backtest are live', async () => {
    const catalog = catalogOn(new MemorySettingsStore());
    await catalog.setMode('large-transaction', 'shadow', 'admin', null);
    const draft = catalog.draft({ ruleId: 'large-transaction', config: {} });
    expect(draft.ok && draft.value.mode).toBe('live');
  });
});
