import { TypeCompiler } from '@sinclair/typebox/compiler';
import { beforeAll, describe, expect, it } from 'vitest';
import { IsolationForest } from '../../anomaly/isolation-forest.js';
import { FEATURES, type ModelKind } from '../../anomaly/model-kinds.js';
import type { ActiveModel, ActiveModels } from '../../anomaly/model-registry.js';
import { CHROME, type Enrich, IPHONE, memorySource, ordinaryMonth, RIO, type Shopper } from '../../anomaly/test-kit.js';
import type { DetectionEvent } from '../../domain/activity-event.js';
import { trainModel } from '../model-trainer.js';
import type { RuleHit } from '../rule.js';
import { type BehaviourAnomalyConfig, behaviourAnomalyRule } from './behaviour-anomaly.js';
import { BUILTIN_RULES, builtinRules } from './index.js';
import { judge, problemsOf } from './test-kit.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const END = Date.parse('2026-11-24T12:00:00Z');
/** The month ends the day before yesterday: yesterday and this morning are free for the cases. */
const TODAY = Math.floor(END / DAY) * DAY;
const month = ordinaryMonth({ accounts: 60, days: 30, end: END - DAY });
const past: readonly DetectionEvent[] = month.events;
const enrich: Enrich = month.enrich;
const alice = month.shoppers[0] as Shopper;

/** The models in force, as the registry would hold them after training and activation. */
const models = new Map<ModelKind, ActiveModel>();
const registry: ActiveModels = { active: (kind) => models.get(kind) };
const rule = behaviourAnomalyRule(registry);

beforeAll(async () => {
  for (const kind of ['login', 'transaction'] as const) {
    const trained = await trainModel(memorySource(month.events), { kind, trainedBy: 'test' }, { now: () => END });
    if (!trained.ok) throw new Error(trained.error.message);
    const { forest, ...rest } = trained.value;
    models.set(kind, {
      record: { ...rest, id: `mdl_${kind}`, version: 1, active: true, activatedAt: END, activatedBy: 'test' },
      forest: IsolationForest.fromJSON(forest),
      threshold: rest.metrics.threshold,
      population: rest.parameters.population,
    });
  }
});

/** Built once, on first use: enriching an event teaches its device and place, as ingestion does. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

const nightLogin = once(() =>
  enrich.event('login.succeeded', alice.user, TODAY - DAY + ((alice.usualHour + 12) % 24) * HOUR, RIO, {
    device: 'tablet-x',
    userAgent: IPHONE,
  }),
);
const usualLogin = once(() =>
  enrich.event('login.succeeded', alice.user, TODAY + alice.usualHour * HOUR, alice.home, {
    device: `${alice.user}-laptop`,
    userAgent: CHROME,
  }),
);
const usualPurchase = once(() =>
  enrich.event('transaction', alice.user, TODAY + alice.usualHour * HOUR, alice.home, {
    device: `${alice.user}-laptop`,
    amount: alice.basket,
    currency: 'EUR',
    merchant: 'fav-1',
  }),
);
const oddPurchase = once(() => {
  const lastPurchase = Math.max(...past.filter((e) => e.user === alice.user && e.type === 'transaction').map((e) => e.occurredAt));
  return enrich.event('transaction', alice.user, lastPurchase + 2 * 60_000, alice.home, {
    device: 'unknown-android',
    amount: alice.basket * 40,
    currency: 'EUR',
    merchant: 'gift-cards',
  });
});

interface AnomalyCase {
  readonly name: string;
  /** The event scored, built on first use (see `once`). */
  readonly build: () => DetectionEvent;
  readonly config?: Partial<BehaviourAnomalyConfig>;
  readonly hit: Partial<RuleHit> | undefined;
}

const cases: AnomalyCase[] = [
  { name: 'an ordinary login of a known account', build: usualLogin, hit: undefined },
  { name: 'an ordinary purchase', build: usualPurchase, hit: undefined },
  {
    name: 'a login at night, from a new country, on a new device, with a new browser',
    build: nightLogin,
    hit: { severity: 'medium', suggestedActions: ['confirm_with_user_by_otp'] },
  },
  {
    name: 'the same login with a lower high mark: high',
    build: nightLogin,
    config: { highScore: 0.5 },
    hit: { severity: 'high' },
  },
  { name: 'the same login when the admin asks for scores of 1 only', build: nightLogin, config: { minScore: 1 }, hit: undefined },
  {
    name: 'forty times the usual basket, at a new merchant, from a new device, two minutes after the last purchase',
    build: oddPurchase,
    hit: { message: expect.stringMatching(/^Unusual transaction: /) },
  },
  {
    name: 'a failed login: no model scores it',
    build: () => enrich.event('login.failed', alice.user, TODAY, RIO, { device: 'x' }),
    hit: undefined,
  },
];

describe('behaviour-anomaly', () => {
  it.each(cases)('$name', (c) => {
    const hit = judge(rule, { past, event: c.build(), ...(c.config && { config: c.config }) });
    if (c.hit === undefined) {
      expect(hit).toBeUndefined();
      return;
    }
    expect(hit).toMatchObject(c.hit);
    expect(problemsOf(hit as NonNullable<typeof hit>)).toEqual([]);
  });

  it('explains the score: every feature with its value and share, the top ones named in the message', () => {
    const hit = judge(rule, { past, event: nightLogin() });
    const evidence = hit?.evidence as {
      score: number;
      threshold: number;
      model: { id: string; version: number };
      basis: string;
      contributions: Array<{ feature: string; value: number; share: number }>;
    };
    expect(evidence.score).toBeGreaterThanOrEqual(evidence.threshold);
    expect(evidence).toMatchObject({ model: { id: 'mdl_login', version: 1 }, basis: 'account' });
    expect(evidence.contributions.map((c) => c.feature).sort()).toEqual([...FEATURES.login].sort());
    const shares = evidence.contributions.map((c) => c.share);
    expect(shares).toEqual([...shares].sort((a, b) => b - a));
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
    const byFeature = Object.fromEntries(evidence.contributions.map((c) => [c.feature, c.value]));
    expect(byFeature).toMatchObject({ newDevice: 1, newCountry: 1, newNetwork: 1, userAgentChanged: 1 });
    expect(byFeature.hoursFromUsual).toBeGreaterThanOrEqual(9);
    expect(hit?.message).toMatch(/^Unusual login: /);
    const named = (hit?.message ?? '').replace('Unusual login: ', '').split('; ');
    expect(named.length).toBeGreaterThanOrEqual(2);
    expect(named.length).toBeLessThanOrEqual(3);
    for (const phrase of named) expect(phrase).toMatch(/UTC is .* outside this account's usual|new (device|country|network)|km|browser/);
  });

  it('does nothing while no model of the kind is active', () => {
    const none = behaviourAnomalyRule({ active: () => undefined });
    expect(judge(none, { past, event: nightLogin() })).toBeUndefined();
    expect(judge(none, { past, event: oddPurchase() })).toBeUndefined();
  });

  it('is a built-in rule of every running system, after the ones that need nothing, with a schema like theirs', () => {
    expect(builtinRules({ models: registry }).map((r) => r.id)).toEqual([...BUILTIN_RULES.map((r) => r.id), 'behaviour-anomaly']);
    const check = TypeCompiler.Compile(rule.configSchema);
    expect([...check.Errors(rule.defaults)]).toEqual([]);
    expect(check.Check({ ...rule.defaults, minScore: 0.4 })).toBe(false);
    expect(check.Check({ ...rule.defaults, highScore: 1.1 })).toBe(false);
    expect(check.Check({ ...rule.defaults, extra: 1 })).toBe(false);
    expect(rule.windowMs({ ...rule.defaults, windowMinutes: 7 })).toBe(7 * 60_000);
  });
});
