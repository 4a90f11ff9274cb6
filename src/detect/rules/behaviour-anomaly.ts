import { type Static, Type } from '@sinclair/typebox';
import { FEATURES, type FeatureName } from '../../anomaly/model-kinds.js';
import type { ActiveModels } from '../../anomaly/model-registry.js';
import { describeFeature, extractFeatures, kindOf } from '../behaviour-features.js';
import type { Rule, RuleHit } from '../rule.js';
import { minutesToMs } from './format.js';

export const BehaviourAnomalyConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    minScore: Type.Number({
      minimum: 0.5,
      maximum: 1,
      description:
        "Scores below this never raise a finding, whatever the active model's own threshold (the higher of the two applies): raise it to flag less without retraining.",
    }),
    highScore: Type.Number({
      minimum: 0.5,
      maximum: 1,
      description:
        'Scores at or above this are reported high rather than medium. 0.9 means most trees isolate the event within one or two cuts: ordinary training rows score about 0.3, the rarest 0.75 to 0.85.',
    }),
    windowMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      description: 'Findings on one account within this long update one alert instead of raising another.',
    }),
  },
  { additionalProperties: false },
);
export type BehaviourAnomalyConfig = Static<typeof BehaviourAnomalyConfigSchema>;

/** How many features the sentence names: enough to say why, few enough to read at a glance. */
const NAMED_FEATURES = 3;

/**
 * A login or a transaction unlike the account's habits, as the active anomaly model of its kind
 * scores it (anomaly/). The finding is medium, or high when extreme, and never asks for a stronger
 * decision: on its own it scores 35 or 65, which the default policy challenges and never blocks, so
 * unusual but legitimate activity (travel, an emergency purchase) meets a one-time code, not a wall.
 *
 * Built around the model registry, which the composition root passes in; with no active model of
 * the kind it does nothing. Scoring reads the model from memory and walks the forest once; the
 * per-feature explanation (a second walk) is only computed for the events it flags.
 */
export function behaviourAnomalyRule(models: ActiveModels): Rule<BehaviourAnomalyConfig> {
  return {
    id: 'behaviour-anomaly',
    title: 'Behaviour anomaly',
    description:
      "A login or transaction unlike the account's habits (hours, devices, places, amounts, merchants), scored by the active anomaly model; nothing until a model is trained and activated.",
    alertType: 'security',
    configSchema: BehaviourAnomalyConfigSchema,
    defaults: { enabled: true, minScore: 0.6, highScore: 0.9, windowMinutes: 60 },
    windowMs: (c) => minutesToMs(c.windowMinutes),

    evaluate(event, history, config): RuleHit | undefined {
      const kind = kindOf(event.type);
      if (kind === undefined) return undefined;
      const model = models.active(kind);
      if (!model) return undefined;
      const row = extractFeatures(event, history, model.population);
      if (!row) return undefined;
      const score = model.forest.anomalyScore(row.input);
      const threshold = Math.max(model.threshold, config.minScore);
      if (score < threshold) return undefined;

      const shares = model.forest.explain(row.input);
      const names: readonly FeatureName[] = FEATURES[kind];
      const ranked = names.map((feature, i) => ({ feature, i, share: shares[i] ?? 0 })).sort((a, b) => b.share - a.share || a.i - b.i);
      const phrases: string[] = [];
      for (const c of ranked) {
        if (phrases.length === NAMED_FEATURES) break;
        const phrase = describeFeature(c.feature, row.values[c.i] as number, row.context);
        if (phrase !== undefined) phrases.push(phrase);
      }
      const what = kind === 'login' ? 'login' : 'transaction';
      const message = `Unusual ${what}: ${phrases.length > 0 ? phrases.join('; ') : `a combination of habits rarely seen (score ${score.toFixed(2)})`}`;
      return {
        severity: score >= config.highScore ? 'high' : 'medium',
        message,
        evidence: {
          score: round(score),
          threshold: round(threshold),
          model: { id: model.record.id, version: model.record.version },
          basis: row.context.basis,
          contributions: ranked.map((c) => ({ feature: c.feature, value: round(row.values[c.i] as number), share: round(c.share) })),
        },
        suggestedActions: ['confirm_with_user_by_otp'],
      };
    },
  };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
