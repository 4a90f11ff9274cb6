import { Type } from '@sinclair/typebox';
import { AlertTypeSchema } from './alerts.js';
import { type Body, IsoTime, JsonObject, literals, Nullable, Obj } from './common.js';

export const RuleModeSchema = literals(['live', 'shadow']);
export type RuleMode = Body<typeof RuleModeSchema>;

export const RuleDaySchema = Obj({ day: Type.String({ description: 'YYYY-MM-DD, UTC.' }), hits: Type.Integer(), alerts: Type.Integer() });
export type RuleDay = Body<typeof RuleDaySchema>;

const liveTotals = Obj({ hits: Type.Integer(), alerts: Type.Integer() });
const shadowTotals = Obj({ hits: Type.Integer(), wouldHaveAlerted: Type.Integer() });
export const RuleStatsSchema = Obj({
  live: Obj({ last7Days: liveTotals, last30Days: liveTotals, daily: Type.Array(RuleDaySchema) }),
  shadow: Obj({ last7Days: shadowTotals, last30Days: shadowTotals, daily: Type.Array(RuleDaySchema) }),
});
export type RuleStats = Body<typeof RuleStatsSchema>;

const outcomeTotals = Obj({
  alerts: Type.Integer({ description: 'Alerts of this rule (its strongest finding) raised in the period.' }),
  closed: Type.Integer({ description: 'Of those, resolved or closed as false positives since.' }),
  falsePositives: Type.Integer(),
  falsePositiveShare: Nullable(Type.Number({ description: 'falsePositives / closed, 0 to 1; null when none is closed.' })),
});
export const RuleOutcomesSchema = Obj({ last7Days: outcomeTotals, last30Days: outcomeTotals });
export type RuleOutcomes = Body<typeof RuleOutcomesSchema>;

const ruleProperties = {
  id: Type.String(),
  kind: literals(['builtin', 'custom']),
  title: Type.String(),
  description: Type.String(),
  alertType: AlertTypeSchema,
  enabled: Type.Boolean(),
  mode: RuleModeSchema,
  stats: Type.Optional(RuleStatsSchema),
  outcomes: Type.Optional(RuleOutcomesSchema),
  version: Type.Integer(),
  config: JsonObject,
  defaults: Type.Optional(JsonObject),
  configSchema: Type.Optional(Type.Unknown({ description: 'The JSON schema of `config` (built-in rules).' })),
  updatedAt: Nullable(IsoTime),
  updatedBy: Nullable(Type.String()),
};

export const RuleSchema = Obj(ruleProperties, { title: 'Rule' });
export type Rule = Body<typeof RuleSchema>;
export const RulesSchema = Obj({ rules: Type.Array(RuleSchema) }, { title: 'Rules' });

export const RuleVersionSchema = Obj({
  version: Type.Integer(),
  config: Type.Unknown(),
  changedBy: Type.String(),
  changedAt: IsoTime,
  note: Nullable(Type.String()),
  mode: RuleModeSchema,
});
export const RuleDetailSchema = Obj({ ...ruleProperties, versions: Type.Array(RuleVersionSchema) }, { title: 'RuleDetail' });

export const BacktestResultSchema = Obj(
  {
    ruleId: Type.String(),
    from: IsoTime,
    to: IsoTime,
    eventsReplayed: Type.Integer(),
    hits: Type.Integer(),
    alerts: Type.Integer(),
    bySeverity: Type.Record(Type.String(), Type.Integer()),
    users: Type.Array(Obj({ user: Type.String(), hits: Type.Integer() })),
    examples: Type.Array(
      Obj({ eventId: Type.String(), user: Type.String(), at: IsoTime, severity: Type.String(), message: Type.String() }),
    ),
  },
  { title: 'BacktestResult' },
);
export type BacktestResult = Body<typeof BacktestResultSchema>;
