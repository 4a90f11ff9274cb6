/**
 * Builders for the rule tests (not used at run time): events at fixed times, a MemoryHistory holding
 * the earlier ones, and the rule's verdict on one case of a table.
 */

import { MINUTE } from '../../core/time.js';
import type { DetectionEvent, Familiarity, FamiliarityFacts, GeoInfo, Novelty, UserAgentInfo } from '../../domain/activity-event.js';
import { SUGGESTED_ACTIONS } from '../../domain/alert.js';
import type { EventType } from '../../domain/event-schema.js';
import { toPastEvent } from '../history.js';
import { DEFAULT_LIMITS, MemoryHistory } from '../memory-history.js';
import type { Rule, RuleConfig, RuleHit } from '../rule.js';
import { MAX_RELATED } from './format.js';

/** The fixed "now" of every rule test: the event being scored happens here unless a case says otherwise. */
export const T0 = Date.parse('2026-11-24T10:00:00Z');
/** T0 plus (negative: minus) this many minutes. */
export const min = (minutes: number): number => T0 + minutes * MINUTE;

export interface EventSpec extends Partial<Omit<DetectionEvent, 'type' | 'enrichment'>> {
  readonly novelty?: Partial<Novelty>;
  readonly geo?: GeoInfo;
  readonly network?: string;
  readonly ua?: UserAgentInfo;
  readonly familiarity?: Partial<FamiliarityFacts>;
}

let sequence = 0;

/**
 * One event of user u1 at T0 with an established, familiar context (history, known device, country
 * and network); the spec overrides any of it.
 */
export function ev(type: EventType, spec: EventSpec = {}): DetectionEvent {
  const { novelty, geo, network, ua, familiarity, ...fields } = spec;
  return {
    id: `e${++sequence}`,
    user: 'u1',
    occurredAt: T0,
    ...fields,
    type,
    enrichment: {
      novelty: { hasHistory: true, newDevice: false, newCountry: false, newNetwork: false, ...novelty },
      ...(geo !== undefined && { geo }),
      ...(network !== undefined && { network }),
      ...(ua !== undefined && { userAgent: ua }),
      ...(familiarity !== undefined && {
        familiarity: { device: null, network: null, country: null, paymentMethod: null, ...familiarity },
      }),
    },
  };
}

/** A device (or network, country, payment method) first seen `ageMinutes` before T0, used on `days` days. */
export function familiar(ageMinutes: number, options: { days?: number; proven?: boolean; trusted?: boolean } = {}): Familiarity {
  const days = options.days ?? 1;
  const proven = options.proven ?? false;
  return {
    firstSeenAt: T0 - ageMinutes * MINUTE,
    ageMs: ageMinutes * MINUTE,
    days,
    via: 'login',
    proven,
    trusted: options.trusted ?? (proven || (ageMinutes >= 7 * 24 * 60 && days >= 2)),
  };
}

/** `n` events built from their index: `times(3, (i) => ev('login.failed', { occurredAt: min(-i) }))`. */
export const times = (n: number, build: (i: number) => DetectionEvent): DetectionEvent[] => Array.from({ length: n }, (_, i) => build(i));

/** A MemoryHistory holding these events, recorded in the order given (late ones included). */
export function historyOf(events: readonly DetectionEvent[]): MemoryHistory {
  const history = new MemoryHistory({ ...DEFAULT_LIMITS, budgetBytes: 64 << 20 });
  for (const e of events) history.record(toPastEvent(e));
  return history;
}

/** One row of a rule's table: earlier events in, the event scored, the expected hit (or none) out. */
export interface Case<C extends RuleConfig> {
  readonly name: string;
  readonly past?: readonly DetectionEvent[];
  readonly event: DetectionEvent;
  /** Overrides of the rule's defaults. */
  readonly config?: Partial<C>;
  /** `undefined`: the rule must not fire. Otherwise the fields the hit must have (toMatchObject). */
  readonly hit: Partial<RuleHit> | undefined;
}

export function judge<C extends RuleConfig>(rule: Rule<C>, c: Omit<Case<C>, 'name' | 'hit'>): RuleHit | undefined {
  return rule.evaluate(c.event, historyOf(c.past ?? []), { ...rule.defaults, ...c.config });
}

/** What is wrong with a hit whatever the rule: an empty message, evidence JSON would alter, unknown actions, too many related ids. */
export function problemsOf(hit: RuleHit): string[] {
  const problems: string[] = [];
  if (hit.message.trim() === '') problems.push('empty message');
  if (/undefined|NaN|Infinity|\[object/.test(hit.message)) problems.push(`message shows a missing value: ${hit.message}`);
  if (!survivesJson(hit.evidence)) problems.push(`evidence does not survive JSON: ${JSON.stringify(hit.evidence)}`);
  for (const a of hit.suggestedActions ?? []) if (!SUGGESTED_ACTIONS.includes(a)) problems.push(`unknown action ${a}`);
  const related = hit.relatedEventIds ?? [];
  if (related.length > MAX_RELATED) problems.push(`${related.length} related events`);
  if (new Set(related).size !== related.length) problems.push('duplicate related events');
  return problems;
}

/** Whether JSON keeps the value as it is: no undefined, NaN or Infinity anywhere inside. */
function survivesJson(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(survivesJson);
  if (typeof value === 'object' && value !== null) return Object.values(value).every(survivesJson);
  return true;
}
