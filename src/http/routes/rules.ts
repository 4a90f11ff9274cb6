import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { emptyOutcomes, type RuleOutcomes } from '../../alerts/triage-figures.js';
import { parseTimestamp } from '../../core/timestamp.js';
import { backtest } from '../../detect/backtest.js';
import { CustomRuleDefinitionSchema } from '../../detect/custom-rule.js';
import type { RuleEntry } from '../../detect/rule-set.js';
import { emptyFigures, type ModeFigures, type RuleFigures, type RuleMode } from '../../detect/rule-stats.js';
import type { System } from '../../system.js';
import { type ItemProblem, sendProblem } from '../errors.js';
import { actorOf } from '../request-helpers.js';
import { BacktestResultSchema, RuleDetailSchema, RuleSchema, RulesSchema } from '../schemas/index.js';
import type { VigilTypeProvider } from '../type-provider.js';

function presentRule(e: RuleEntry, figures?: RuleFigures, outcomes?: RuleOutcomes) {
  return {
    id: e.rule.id,
    kind: e.kind,
    title: e.rule.title,
    description: e.rule.description,
    alertType: e.rule.alertType,
    enabled: e.config.enabled,
    mode: e.mode,
    ...(figures && { stats: presentFigures(figures) }),
    ...(outcomes && { outcomes: presentOutcomes(outcomes) }),
    version: e.version,
    config: e.config,
    ...(e.kind === 'builtin' && { defaults: e.rule.defaults, configSchema: e.rule.configSchema }),
    updatedAt: e.updatedAt === null ? null : new Date(e.updatedAt).toISOString(),
    updatedBy: e.updatedBy,
  };
}

/**
 * Findings over the last 7 and 30 days (UTC days by the server's clock, today included) and per day
 * over the last 14, in each mode: a shadow rule's alerts are the ones it would have raised.
 */
function presentFigures(f: RuleFigures) {
  const live = (m: ModeFigures['last7Days']) => ({ hits: m.hits, alerts: m.alerts });
  const shadow = (m: ModeFigures['last7Days']) => ({ hits: m.hits, wouldHaveAlerted: m.alerts });
  const mode = <T>(m: ModeFigures, totals: (t: ModeFigures['last7Days']) => T) => ({
    last7Days: totals(m.last7Days),
    last30Days: totals(m.last30Days),
    daily: m.daily,
  });
  return { live: mode(f.live, live), shadow: mode(f.shadow, shadow) };
}

/** What became of a rule's alerts: closed, and the share of those closed as false positives. */
function presentOutcomes(o: RuleOutcomes) {
  const totals = (t: RuleOutcomes['last7Days']) => ({ ...t, falsePositiveShare: t.closed === 0 ? null : t.falsePositives / t.closed });
  return { last7Days: totals(o.last7Days), last30Days: totals(o.last30Days) };
}

const RuleModeSchema = Type.Union([Type.Literal('live'), Type.Literal('shadow')], {
  description:
    'live: findings count. shadow: the rule runs and its findings are stored and counted, but add nothing to risk, decision or alerts.',
});
/** The custom rule definition, and beside it the mode the new rule starts in. */
const CreateCustomRuleSchema = Type.Object(
  { ...CustomRuleDefinitionSchema.properties, mode: Type.Optional(RuleModeSchema) },
  { additionalProperties: false, title: 'CreateCustomRule' },
);

const BacktestRange = {
  from: Type.String({ description: 'ISO 8601 start of the replay.' }),
  to: Type.String({ description: 'ISO 8601 end of the replay.' }),
};
const MAX_BACKTEST_SPAN_MS = 90 * 24 * 3_600_000;

function parseRange(body: { from: string; to: string }): { from: number; to: number } | ItemProblem {
  const from = parseTimestamp(body.from);
  const to = parseTimestamp(body.to);
  if (from === undefined) return { code: 'invalid_body', message: 'from is not an ISO 8601 date-time with a time zone.', path: '/from' };
  if (to === undefined) return { code: 'invalid_body', message: 'to is not an ISO 8601 date-time with a time zone.', path: '/to' };
  if (to <= from) return { code: 'invalid_body', message: 'to must be after from.', path: '/to' };
  if (to - from > MAX_BACKTEST_SPAN_MS) return { code: 'invalid_body', message: 'A backtest covers at most 90 days.', path: '/to' };
  return { from, to };
}

export function ruleRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();
    const params = Type.Object({ id: Type.String({ maxLength: 100 }) });

    typed.get(
      '/v1/rules',
      { config: { role: 'viewer' }, schema: { summary: 'Rules and their configuration', tags: ['rules'], response: { 200: RulesSchema } } },
      async () => {
        const [figures, outcomes] = await Promise.all([system.ruleStats.figures(), system.triageFigures.ruleOutcomes()]);
        const none = emptyFigures(system.clock.now());
        return {
          rules: system.rules.ruleSet
            .all()
            .map((e) => presentRule(e, figures.get(e.rule.id) ?? none, outcomes.get(e.rule.id) ?? emptyOutcomes)),
        };
      },
    );

    typed.get(
      '/v1/rules/:id',
      {
        config: { role: 'viewer' },
        schema: { summary: 'One rule, with every version and who made it', tags: ['rules'], params, response: { 200: RuleDetailSchema } },
      },
      async (request, reply) => {
        const entry = system.rules.ruleSet.get(request.params.id);
        if (!entry) return sendProblem(reply, { code: 'not_found', message: `No rule ${request.params.id}.` });
        const [versions, figures, outcomes] = await Promise.all([
          system.rules.versions(entry.rule.id),
          system.ruleStats.figuresOf(entry.rule.id),
          system.triageFigures.ruleOutcomes(),
        ]);
        return {
          ...presentRule(entry, figures, outcomes.get(entry.rule.id) ?? emptyOutcomes),
          versions: versions.map((v) => ({ ...v, changedAt: new Date(v.changedAt).toISOString() })),
        };
      },
    );

    typed.post(
      '/v1/rules',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Create a custom rule',
          description: 'The definition, and optionally `mode`: a rule created in `shadow` is counted but changes nothing until promoted.',
          tags: ['rules'],
          body: CreateCustomRuleSchema,
          response: { 201: RuleSchema },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const { mode, ...definition } = request.body;
        const created = await system.rules.createCustom(definition, actor, mode);
        if (!created.ok) return sendProblem(reply, created.error);
        return reply.code(201).send(presentRule(created.value, emptyFigures(system.clock.now())));
      },
    );

    typed.put(
      '/v1/rules/:id',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Change a rule: built-in rules take configuration fields; custom rules take definition fields',
          description:
            "Takes effect at once, without a restart; saved as a new version with who made it. Either kind also takes `mode` ('live' or 'shadow').",
          tags: ['rules'],
          params,
          querystring: Type.Object({ note: Type.Optional(Type.String({ maxLength: 500 })) }),
          body: Type.Record(Type.String(), Type.Unknown()),
          response: { 200: RuleSchema },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const note = request.query.note ?? null;
        const updated = await system.rules.updateBuiltin(request.params.id, request.body, actor, note);
        if (!updated.ok) return sendProblem(reply, updated.error);
        return presentRule(updated.value, await system.ruleStats.figuresOf(updated.value.rule.id));
      },
    );

    const modeChange = (to: RuleMode, action: 'rule.promoted' | 'rule.shadowed', summary: string) =>
      typed.post(
        `/v1/rules/:id/${to === 'live' ? 'promote' : 'shadow'}`,
        {
          config: { role: 'admin' },
          schema: {
            summary,
            description: `Saved as a new version and audited as \`${action}\`; 409 \`invalid_transition\` when the rule is already ${to}. Whether the rule is enabled does not change.`,
            tags: ['rules'],
            params,
            querystring: Type.Object({ note: Type.Optional(Type.String({ maxLength: 500 })) }),
            response: { 200: RuleSchema },
          },
        },
        async (request, reply) => {
          const actor = actorOf(request);
          const note = request.query.note ?? null;
          const changed = await system.rules.setMode(request.params.id, to, actor, note);
          if (!changed.ok) return sendProblem(reply, changed.error);
          return presentRule(changed.value, await system.ruleStats.figuresOf(changed.value.rule.id));
        },
      );
    modeChange('live', 'rule.promoted', 'Promote a shadow rule to live: its findings count from now on');
    modeChange('shadow', 'rule.shadowed', 'Run a rule in shadow: its findings are stored and counted, but change nothing');

    typed.post(
      '/v1/rules/:id/backtest',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Replay stored events through a rule, optionally with changed configuration, without touching live state',
          tags: ['rules'],
          params,
          body: Type.Object(
            { ...BacktestRange, config: Type.Optional(Type.Record(Type.String(), Type.Unknown())) },
            { additionalProperties: false },
          ),
          response: { 200: BacktestResultSchema },
        },
      },
      async (request, reply) => {
        const range = parseRange(request.body);
        if ('code' in range) return sendProblem(reply, range);
        const draft = system.rules.draft({ ruleId: request.params.id, config: request.body.config ?? {} });
        if (!draft.ok) return sendProblem(reply, draft.error);
        return backtest(draft.value, (f, t) => system.events.scan(f, t), range, system.clock);
      },
    );

    typed.post(
      '/v1/rules/backtest',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Backtest a draft custom rule before saving it',
          tags: ['rules'],
          body: Type.Object({ ...BacktestRange, definition: Type.Unknown() }, { additionalProperties: false }),
          response: { 200: BacktestResultSchema },
        },
      },
      async (request, reply) => {
        const range = parseRange(request.body);
        if ('code' in range) return sendProblem(reply, range);
        const draft = system.rules.draft({ definition: request.body.definition });
        if (!draft.ok) return sendProblem(reply, draft.error);
        return backtest(draft.value, (f, t) => system.events.scan(f, t), range, system.clock);
      },
    );
  };
}
