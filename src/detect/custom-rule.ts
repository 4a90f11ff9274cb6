import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { RE2JS } from 're2js';
import { boundedCache } from '../core/bounded-cache.js';
import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { DetectionEvent } from '../domain/activity-event.js';
import { DECISIONS } from '../domain/event-schema.js';
import { EVENT_TYPES } from '../domain/vocabulary.js';
import type { Rule, RuleConfig, RuleHit } from './rule.js';

export const CONDITION_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'matches'] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];
const COMPARE_OPS = ['gt', 'gte', 'lt', 'lte', 'eq'] as const;
const lit = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

/** Dotted paths rules may read: event fields, `attributes.*` and `enrichment.*`. */
const FIELD = Type.String({
  pattern:
    '^(type|user|id|occurredAt|session|device|ip|userAgent|email|amount|currency|merchant|paymentMethod|path|attributes(\\.[A-Za-z0-9_-]+)+|enrichment(\\.[A-Za-z0-9_]+)+)$',
  description:
    'An event field (amount, ip, …), attributes.NAME, or enrichment.PATH (enrichment.geo.country, enrichment.novelty.newDevice).',
});

/** A custom rule as admins write it (the seed's AlertConfiguration, done as data). */
export const CustomRuleDefinitionSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    type: lit(['security', 'transaction', 'system'] as const),
    eventTypes: Type.Array(lit(EVENT_TYPES), { minItems: 1, uniqueItems: true }),
    conditions: Type.Array(Type.Object({ field: FIELD, op: lit(CONDITION_OPS), value: Type.Unknown() }, { additionalProperties: false }), {
      maxItems: 20,
      default: [],
    }),
    aggregate: Type.Optional(
      Type.Object(
        {
          fn: lit(['count', 'sum', 'distinct'] as const),
          field: Type.Optional(FIELD),
          groupBy: lit(['user', 'ip', 'device'] as const),
          windowSeconds: Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600 }),
          op: lit(COMPARE_OPS),
          value: Type.Number(),
        },
        { additionalProperties: false },
      ),
    ),
    severity: lit(['low', 'medium', 'high', 'critical'] as const),
    decision: Type.Optional(lit(DECISIONS)),
    channels: Type.Array(lit(['dashboard', 'email', 'sms', 'webhook'] as const), { uniqueItems: true, default: ['dashboard'] }),
    enabled: Type.Boolean({ default: true }),
  },
  { additionalProperties: false, title: 'CustomRuleDefinition' },
);
export type CustomRuleDefinition = Static<typeof CustomRuleDefinitionSchema>;
const checkDefinition = TypeCompiler.Compile(CustomRuleDefinitionSchema);

/**
 * Compiles a `matches` pattern with RE2 semantics (https://github.com/google/re2/wiki/Syntax) on
 * re2js, whose matching takes time linear in the input whatever the pattern: no pattern an admin
 * writes can stall the event loop by backtracking. Case-sensitive, `.` stops at a newline, `^` and
 * `$` anchor the whole value (as `new RegExp(pattern, 'u')` did); `(?i)`, `(?s)`, `(?m)` change that.
 * Throws on a pattern RE2 refuses.
 */
export function compilePattern(pattern: string): RE2JS {
  return RE2JS.compile(pattern);
}

/** Why a `matches` pattern is refused, or undefined when RE2 compiles it. */
function patternProblem(pattern: string): string | undefined {
  try {
    compilePattern(pattern);
    return undefined;
  } catch (error) {
    const detail = (error instanceof Error ? error.message : String(error)).replace(/^error parsing regexp: /, '');
    // Syntax that needs backtracking: RE2 has none of it, by design.
    if (/\\[1-9]|\\k</.test(pattern) && /escape sequence/.test(detail))
      return `value uses a backreference, which the linear-time regular-expression engine (RE2 syntax) does not support (${detail}).`;
    if (/\(\?<?[=!]/.test(pattern))
      return `value uses lookahead or lookbehind, which the linear-time regular-expression engine (RE2 syntax) does not support (${detail}).`;
    return `value is not a valid regular expression in RE2 syntax (${detail}).`;
  }
}

/** Checks a definition beyond its schema: values that fit their operator, RE2 patterns, aggregates with fields. */
export function validateDefinition(input: unknown): Result<CustomRuleDefinition, Problem> {
  // conditions, channels and enabled may be left out; their defaults are filled in on a copy.
  const raw = typeof input === 'object' && input !== null ? Value.Default(CustomRuleDefinitionSchema, structuredClone(input)) : input;
  if (!checkDefinition.Check(raw)) {
    const first = checkDefinition.Errors(raw).First();
    return err({
      code: 'invalid_rule',
      message: `${first?.path.slice(1) || 'rule'}: ${first?.message ?? 'invalid'}.`,
      path: first?.path ?? '',
    });
  }
  const def = raw as CustomRuleDefinition;
  for (const [i, c] of def.conditions.entries()) {
    const path = `/conditions/${i}/value`;
    const bad = (message: string) =>
      err({ code: 'invalid_rule' as const, message: `conditions[${i}] (${c.field} ${c.op}): ${message}`, path });
    switch (c.op) {
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        if (typeof c.value !== 'number' || !Number.isFinite(c.value)) return bad('value must be a number.');
        break;
      case 'in':
        if (!Array.isArray(c.value) || c.value.length === 0 || c.value.length > 1000)
          return bad('value must be a list of 1 to 1000 values.');
        break;
      case 'matches':
        if (typeof c.value !== 'string' || c.value.length > 200)
          return bad('value must be a regular expression of at most 200 characters.');
        {
          const refused = patternProblem(c.value);
          if (refused !== undefined) return bad(refused);
        }
        break;
      case 'contains':
        if (typeof c.value !== 'string' && typeof c.value !== 'number') return bad('value must be a string or a number.');
        break;
      case 'eq':
      case 'neq':
        if (c.value === undefined || (typeof c.value === 'object' && c.value !== null))
          return bad('value must be a string, number, boolean or null.');
        break;
    }
  }
  const a = def.aggregate;
  if (a && a.fn !== 'count' && a.field === undefined) {
    return err({ code: 'invalid_rule', message: `aggregate.fn ${a.fn} needs aggregate.field.`, path: '/aggregate/field' });
  }
  return ok(def);
}

/** Reads a dotted path from an event, its attributes or its enrichment. */
export function readField(event: DetectionEvent, path: string): unknown {
  const parts = path.split('.');
  let value: unknown = event;
  for (const part of parts) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function holds(op: ConditionOp, actual: unknown, expected: unknown, regex: RE2JS | undefined): boolean {
  switch (op) {
    case 'eq':
      return actual === expected;
    case 'neq':
      return actual !== expected;
    case 'gt':
      return typeof actual === 'number' && actual > (expected as number);
    case 'gte':
      return typeof actual === 'number' && actual >= (expected as number);
    case 'lt':
      return typeof actual === 'number' && actual < (expected as number);
    case 'lte':
      return typeof actual === 'number' && actual <= (expected as number);
    case 'in':
      return (expected as unknown[]).includes(actual);
    case 'contains':
      if (typeof actual === 'string') return actual.toLowerCase().includes(String(expected).toLowerCase());
      return Array.isArray(actual) && actual.includes(expected);
    case 'matches':
      return typeof actual === 'string' && (regex as RE2JS).test(actual);
  }
}

const compare = (op: (typeof COMPARE_OPS)[number], a: number, b: number) =>
  op === 'gt' ? a > b : op === 'gte' ? a >= b : op === 'lt' ? a < b : op === 'lte' ? a <= b : a === b;

interface WindowEntry {
  readonly at: number;
  readonly value: unknown;
  readonly id: string;
}

export type CustomRuleConfig = RuleConfig & { readonly definition: CustomRuleDefinition };

/**
 * Compiles a definition into a Rule. A rule with an aggregate keeps its own window of matching
 * events per group (user, IP or device), bounded in size, filled by `observe`.
 */
export function compileCustomRule(id: string, def: CustomRuleDefinition): Rule<CustomRuleConfig> {
  const regexes = def.conditions.map((c) => (c.op === 'matches' ? compilePattern(c.value as string) : undefined));
  const eventTypes = new Set<string>(def.eventTypes);
  const windows = boundedCache<string, WindowEntry[]>(100_000);
  const agg = def.aggregate;
  const windowMs = (agg?.windowSeconds ?? 600) * 1000;

  const matches = (event: DetectionEvent) =>
    eventTypes.has(event.type) && def.conditions.every((c, i) => holds(c.op, readField(event, c.field), c.value, regexes[i]));
  const groupOf = (event: DetectionEvent): string | undefined =>
    agg === undefined ? undefined : agg.groupBy === 'user' ? event.user : agg.groupBy === 'ip' ? event.ip : event.device;
  const describeConditions = () => def.conditions.map((c) => `${c.field} ${c.op} ${JSON.stringify(c.value)}`).join(', ');

  return {
    id,
    title: def.name,
    description: def.description ?? `Custom rule on ${def.eventTypes.join(', ')}`,
    alertType: def.type,
    configSchema: Type.Object({ enabled: Type.Boolean() }),
    defaults: { enabled: def.enabled, definition: def },
    windowMs: () => windowMs,
    evaluate(event): RuleHit | undefined {
      if (!matches(event)) return undefined;
      const base = { severity: def.severity, ...(def.decision !== undefined && { decision: def.decision }) };
      if (agg === undefined) {
        return {
          ...base,
          message: `${def.name}: ${describeConditions() || `any ${event.type}`}.`,
          evidence: { conditions: def.conditions },
        };
      }
      const group = groupOf(event);
      if (group === undefined) return undefined;
      const inWindow = (windows.get(group) ?? []).filter((w) => w.at >= event.occurredAt - windowMs && w.at <= event.occurredAt);
      const values = [...inWindow.map((w) => w.value), agg.field === undefined ? 1 : readField(event, agg.field)];
      const measured =
        agg.fn === 'count'
          ? values.length
          : agg.fn === 'sum'
            ? values.reduce<number>((s, v) => s + (typeof v === 'number' ? v : 0), 0)
            : new Set(values.filter((v) => v !== undefined)).size;
      if (!compare(agg.op, measured, agg.value)) return undefined;
      const what = agg.fn === 'count' ? 'matching events' : `${agg.fn} of ${agg.field}`;
      return {
        ...base,
        message: `${def.name}: ${what} = ${measured} in ${Math.round(windowMs / 60_000)} min for ${agg.groupBy} ${group} (${agg.op} ${agg.value}).`,
        evidence: {
          fn: agg.fn,
          field: agg.field,
          groupBy: agg.groupBy,
          group,
          value: measured,
          threshold: agg.value,
          windowSeconds: agg.windowSeconds,
        },
        relatedEventIds: inWindow.slice(-20).map((w) => w.id),
        ...(agg.groupBy !== 'user' && { subject: { kind: agg.groupBy, value: group } }),
      };
    },
    observe(event) {
      if (agg === undefined || !matches(event)) return;
      const group = groupOf(event);
      if (group === undefined) return;
      let list = windows.get(group);
      if (!list) {
        list = [];
        windows.set(group, list);
      }
      list.push({ at: event.occurredAt, value: agg.field === undefined ? 1 : readField(event, agg.field), id: event.id });
      list.sort((a, b) => a.at - b.at);
      const newest = (list[list.length - 1] as WindowEntry).at;
      while (list.length > 0 && ((list[0] as WindowEntry).at < newest - windowMs || list.length > 10_000)) list.shift();
    },
  };
}
