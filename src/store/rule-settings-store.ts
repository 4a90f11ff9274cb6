import type { RuleSetting, RuleSettingsStore, RuleVersion } from '../detect/rule-catalog.js';
import type { DatabaseHandle } from './database.js';

export class SqlRuleSettingsStore implements RuleSettingsStore {
  constructor(private readonly handle: DatabaseHandle) {}

  async loadAll(): Promise<readonly RuleSetting[]> {
    const rows = await this.handle.db.selectFrom('rule_settings').selectAll().orderBy('updated_at').execute();
    return rows.map((r) => ({
      ruleId: r.rule_id,
      kind: r.kind as RuleSetting['kind'],
      version: r.version,
      config: JSON.parse(r.config_json),
      updatedAt: r.updated_at,
      updatedBy: r.updated_by,
      mode: r.mode === 'shadow' ? 'shadow' : 'live',
    }));
  }

  async save(s: RuleSetting, note: string | null): Promise<void> {
    const config_json = JSON.stringify(s.config);
    await this.handle.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('rule_settings')
        .values({
          rule_id: s.ruleId,
          kind: s.kind,
          version: s.version,
          config_json,
          updated_at: s.updatedAt,
          updated_by: s.updatedBy,
          mode: s.mode,
        })
        .onConflict((oc) =>
          oc
            .column('rule_id')
            .doUpdateSet({ version: s.version, config_json, updated_at: s.updatedAt, updated_by: s.updatedBy, mode: s.mode }),
        )
        .execute();
      await trx
        .insertInto('rule_versions')
        .values({
          rule_id: s.ruleId,
          version: s.version,
          kind: s.kind,
          config_json,
          changed_by: s.updatedBy,
          changed_at: s.updatedAt,
          note,
          mode: s.mode,
        })
        .execute();
    });
  }

  async versions(ruleId: string): Promise<readonly RuleVersion[]> {
    const rows = await this.handle.db
      .selectFrom('rule_versions')
      .selectAll()
      .where('rule_id', '=', ruleId)
      .orderBy('version', 'desc')
      .execute();
    return rows.map((r) => ({
      version: r.version,
      config: JSON.parse(r.config_json),
      changedBy: r.changed_by,
      changedAt: r.changed_at,
      note: r.note,
      mode: r.mode === 'shadow' ? 'shadow' : 'live',
    }));
  }
}
