import type { SerializedForest } from './isolation-forest.js';
import type { ModelKind, PopulationBaseline } from './model-kinds.js';

/** Model types Vigil can score with. One for now; the field is there so a record says what it holds. */
export const MODEL_TYPES = ['isolation_forest'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/** How a model was trained: enough to train the same one again from the same events. */
export interface ModelParameters {
  readonly trees: number;
  readonly sampleSize: number;
  readonly seed: number;
  /** Accounts with fewer earlier events of the kind are scored on population-relative features. */
  readonly minAccountHistory: number;
  /** Everyone's habits at training time: the comparison for accounts with too little history. */
  readonly population: PopulationBaseline;
  /** The stored events it learnt from, by event time: [from, to), epoch ms. */
  readonly trainedFrom: number;
  readonly trainedTo: number;
}

/** Anomaly scores (0–1, about 0.5 ordinary, towards 1 isolated) of the training rows. */
export interface ScoreQuantiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p995: number;
  readonly max: number;
}

/** What training found: how much it learnt from, and where the line between ordinary and unusual lies. */
export interface ModelMetrics {
  /** Events of the kind's types replayed through history, in time order. */
  readonly eventsReplayed: number;
  /** Events the model could learn from (scored types, not already judged high or critical). */
  readonly rowsAvailable: number;
  /** Rows the forest was fitted and measured on: all of them, or a uniform sample above the cap. */
  readonly rows: number;
  readonly accounts: number;
  /** Share of rows compared with the population rather than the account's own habits. */
  readonly populationShare: number;
  readonly scoreQuantiles: ScoreQuantiles;
  /** A score at or above this raises a finding. */
  readonly threshold: number;
  /** How the threshold was chosen, in words. */
  readonly thresholdRule: string;
  /** Share of training rows at or above the threshold: the false-positive rate to expect on ordinary traffic. */
  readonly flaggedShare: number;
  readonly trainingMs: number;
}

/** The seed's AnomalyModel: one trained model, as stored and listed. The forest itself is kept apart. */
export interface ModelRecord {
  /** `mdl_…` */
  readonly id: string;
  readonly kind: ModelKind;
  readonly type: ModelType;
  /** 1, 2, 3… per kind, in training order. */
  readonly version: number;
  readonly parameters: ModelParameters;
  /** Input columns, in order (FEATURES[kind] when it was trained). */
  readonly features: readonly string[];
  readonly metrics: ModelMetrics;
  readonly trainedAt: number;
  readonly trainedBy: string;
  /** At most one model of each kind is active: the one the live path scores with. */
  readonly active: boolean;
  readonly activatedAt: number | null;
  readonly activatedBy: string | null;
}

/** A model fresh from training, before the store gives it an id and a version. */
export type TrainedModel = Omit<ModelRecord, 'id' | 'version' | 'active' | 'activatedAt' | 'activatedBy'> & {
  readonly forest: SerializedForest;
};

/** A stored model with its forest: what the registry loads. */
export interface StoredModel {
  readonly record: ModelRecord;
  readonly forest: SerializedForest;
}

/** A record as the API shows it: times as ISO 8601. */
export function presentModel(m: ModelRecord) {
  const iso = (t: number) => new Date(t).toISOString();
  return {
    id: m.id,
    kind: m.kind,
    type: m.type,
    version: m.version,
    active: m.active,
    features: m.features,
    parameters: { ...m.parameters, trainedFrom: iso(m.parameters.trainedFrom), trainedTo: iso(m.parameters.trainedTo) },
    metrics: m.metrics,
    trainedAt: iso(m.trainedAt),
    trainedBy: m.trainedBy,
    activatedAt: m.activatedAt === null ? null : iso(m.activatedAt),
    activatedBy: m.activatedBy,
  };
}
