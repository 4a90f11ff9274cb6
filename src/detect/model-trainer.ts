import { performance } from 'node:perf_hooks';
import { IsolationForest } from '../anomaly/isolation-forest.js';
import { FEATURES, type ModelKind, type PopulationBaseline } from '../anomaly/model-kinds.js';
import type { ModelMetrics, ModelRecord, ScoreQuantiles, TrainedModel } from '../anomaly/model-record.js';
import type { Activation, ModelRegistry } from '../anomaly/model-registry.js';
import { seededRandom } from '../anomaly/random.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { StoredEvent } from '../domain/activity-event.js';
import type { EventType } from '../domain/event-schema.js';
import { extractFeatures, HISTORY_TYPES, hourCounts, MIN_ACCOUNT_HISTORY, SCORED_TYPES } from './behaviour-features.js';
import { DetectionEventView } from './history.js';
import { MemoryHistory } from './memory-history.js';

/** Stored events in event-time order (the EventStore's `scan`). */
export interface TrainingSource {
  scan(from: number, to: number, options?: { readonly types?: readonly EventType[] }): AsyncIterable<readonly StoredEvent[]>;
}

export interface TrainingOptions {
  readonly kind: ModelKind;
  /** How many days of stored events, back from now, to learn from. */
  readonly days?: number;
  readonly seed?: number;
  readonly trees?: number;
  readonly sampleSize?: number;
  /** Rows kept for fitting and measuring: above it, a uniform sample of this many. */
  readonly maxRows?: number;
  readonly trainedBy: string;
}

export const DEFAULT_TRAINING_DAYS = 90;
/**
 * Fewer rows than this make trees too shallow for their path lengths to mean much, and a 99.5th
 * percentile that rests on one or two rows.
 */
export const MIN_TRAINING_ROWS = 200;
/**
 * The threshold is the anomaly score of the 99.5th percentile of training rows: one ordinary event in
 * two hundred is expected to be flagged (and challenged), which is the price of seeing unusual ones.
 */
export const THRESHOLD_QUANTILE = 0.995;
/**
 * Never below this: a score under 0.6 means a row took about as long to isolate as an ordinary one
 * (0.5 is the expected score of a row like the rest), however uniform the training data was.
 */
export const MIN_THRESHOLD = 0.6;
const DEFAULT_MAX_ROWS = 50_000;
const DAY = 86_400_000;
/** Amounts kept per currency for the population median, and currencies at most. */
const AMOUNT_SAMPLE = 2_001;
const MAX_CURRENCIES = 300;

/**
 * Trains a model of one kind from stored events: every event of the kind's types in the last `days`
 * replayed in event-time order through a fresh history, features taken from each scored event before
 * it joins the history (as the live path does), a seeded Isolation Forest fitted on them, and the
 * threshold set from the scores of the training rows. Events Vigil already judged high or critical
 * join the history but are not learnt from: attacks must not teach the model what ordinary is.
 */
export async function trainModel(source: TrainingSource, options: TrainingOptions, clock: Clock): Promise<Result<TrainedModel, Problem>> {
  const started = performance.now();
  const kind = options.kind;
  const seed = options.seed ?? 1;
  const to = clock.now() + 1;
  const from = to - (options.days ?? DEFAULT_TRAINING_DAYS) * DAY;
  const random = seededRandom(seed);

  // Pass 1: everyone's habits, the baseline of accounts with too little history of their own.
  const population = await populationBaseline(source, kind, from, to, random);

  // Pass 2: features of every scored event against the history before it.
  const history = new MemoryHistory();
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const sample: Float64Array[] = [];
  const accounts = new Set<string>();
  let replayed = 0;
  let available = 0;
  let onPopulation = 0;
  for await (const page of source.scan(from, to, { types: HISTORY_TYPES[kind] })) {
    for (const e of page) {
      replayed++;
      const judged = e.result.severity === 'high' || e.result.severity === 'critical';
      if (!judged && SCORED_TYPES[kind].includes(e.type)) {
        const row = extractFeatures(e, history, population);
        if (row) {
          available++;
          accounts.add(e.user);
          if (row.context.basis === 'population') onPopulation++;
          // Reservoir sampling: every row has the same chance to be kept, in one pass.
          if (sample.length < maxRows) sample.push(row.input);
          else {
            const j = Math.floor(random() * available);
            if (j < maxRows) sample[j] = row.input;
          }
        }
      }
      history.record(new DetectionEventView(e));
    }
  }
  if (sample.length < MIN_TRAINING_ROWS) {
    const what = kind === 'login' ? 'successful logins' : 'transactions';
    return err({
      code: 'not_enough_history',
      message: `A ${kind} model needs at least ${MIN_TRAINING_ROWS} ${what} to learn from in the last ${options.days ?? DEFAULT_TRAINING_DAYS} days; the store holds ${sample.length}.`,
    });
  }

  const cols = FEATURES[kind].length;
  const values = new Float64Array(sample.length * cols);
  for (let i = 0; i < sample.length; i++) values.set(sample[i] as Float64Array, i * cols);
  const trees = options.trees ?? 100;
  const sampleSize = Math.min(options.sampleSize ?? 256, sample.length);
  const forest = IsolationForest.fit({ rows: sample.length, cols, values }, { trees, sampleSize, seed });

  const scores = sample.map((row) => forest.anomalyScore(row)).sort((a, b) => a - b);
  const quantiles: ScoreQuantiles = {
    p50: round(quantile(scores, 0.5)),
    p90: round(quantile(scores, 0.9)),
    p99: round(quantile(scores, 0.99)),
    p995: round(quantile(scores, THRESHOLD_QUANTILE)),
    max: round(scores[scores.length - 1] as number),
  };
  const threshold = Math.max(thresholdFor(scores, THRESHOLD_QUANTILE), MIN_THRESHOLD);
  let flagged = 0;
  for (const s of scores) if (s >= threshold) flagged++;
  const metrics: ModelMetrics = {
    eventsReplayed: replayed,
    rowsAvailable: available,
    rows: sample.length,
    accounts: accounts.size,
    populationShare: round(onPopulation / available),
    scoreQuantiles: quantiles,
    threshold,
    thresholdRule: `the ${THRESHOLD_QUANTILE * 100}th percentile of training scores (above it when rows tie there), at least ${MIN_THRESHOLD}`,
    flaggedShare: round(flagged / scores.length, 5),
    trainingMs: Math.round(performance.now() - started),
  };
  return ok({
    kind,
    type: 'isolation_forest',
    parameters: { trees, sampleSize, seed, minAccountHistory: MIN_ACCOUNT_HISTORY, population, trainedFrom: from, trainedTo: to },
    features: FEATURES[kind],
    metrics,
    trainedAt: clock.now(),
    trainedBy: options.trainedBy,
    forest: forest.toJSON(),
  });
}

export interface TrainingOutcome {
  readonly model: ModelRecord;
  /** Present when the model was activated: the activation and the model it replaced. */
  readonly activation?: Activation;
}

/** Trains, stores, and activates if asked: what `POST /v1/models/train` and `vigil train` both do. */
export async function trainAndStore(
  registry: ModelRegistry,
  source: TrainingSource,
  options: TrainingOptions & { readonly activate: boolean },
  clock: Clock,
): Promise<Result<TrainingOutcome, Problem>> {
  const trained = await trainModel(source, options, clock);
  if (!trained.ok) return trained;
  const model = await registry.save(trained.value);
  if (!options.activate) return ok({ model });
  const activation = await registry.activate(model.id, options.trainedBy);
  if (!activation.ok) return activation;
  return ok({ model: activation.value.model, activation: activation.value });
}

async function populationBaseline(
  source: TrainingSource,
  kind: ModelKind,
  from: number,
  to: number,
  random: () => number,
): Promise<PopulationBaseline> {
  const minutes: number[] = [];
  const hours = new Array<number>(24).fill(0);
  const amounts = new Map<string, { seen: number; kept: number[] }>();
  for await (const page of source.scan(from, to, { types: SCORED_TYPES[kind] })) {
    for (const e of page) {
      if (kind === 'login') {
        minutes.push(Math.floor((e.occurredAt % DAY) / 60_000));
        if (minutes.length === 10_000) flushHours(minutes, hours);
      } else if (e.amount !== undefined && e.currency !== undefined) {
        let bucket = amounts.get(e.currency);
        if (!bucket) {
          if (amounts.size >= MAX_CURRENCIES) continue;
          bucket = { seen: 0, kept: [] };
          amounts.set(e.currency, bucket);
        }
        bucket.seen++;
        if (bucket.kept.length < AMOUNT_SAMPLE) bucket.kept.push(e.amount);
        else {
          const j = Math.floor(random() * bucket.seen);
          if (j < AMOUNT_SAMPLE) bucket.kept[j] = e.amount;
        }
      }
    }
  }
  flushHours(minutes, hours);
  const medianAmounts: Record<string, number> = {};
  for (const [currency, bucket] of amounts) {
    const sorted = bucket.kept.sort((a, b) => a - b);
    medianAmounts[currency] = round(quantile(sorted, 0.5), 2);
  }
  return { loginHours: hours, medianAmounts };
}

function flushHours(minutes: number[], hours: number[]): void {
  const counts = hourCounts(minutes);
  for (let h = 0; h < 24; h++) hours[h] = (hours[h] as number) + (counts[h] as number);
  minutes.length = 0;
}

/**
 * The threshold for a share 1 − q of flagged rows: the nearest-rank q-quantile of the ascending scores,
 * which the top ⌈(1 − q)·n⌉ rows reach. Identical rows score identically, though, and a block of ties
 * straddling the quantile would all be flagged, far more than the share: the threshold then moves up
 * to the next distinct score.
 */
export function thresholdFor(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  // The epsilon keeps (1 − 0.995) × 1000 = 5.000000000000004 at five rows.
  const flagged = Math.max(1, Math.ceil((1 - q) * n - 1e-9));
  const at = n - flagged;
  const candidate = sorted[at] as number;
  if (at === 0 || (sorted[at - 1] as number) < candidate) return candidate;
  for (let i = at + 1; i < n; i++) if ((sorted[i] as number) > candidate) return sorted[i] as number;
  // Every row from the quantile up is tied: flag none of them, just above the highest score.
  return candidate + 1e-9;
}

/** Nearest-rank quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

const round = (x: number, digits = 4): number => Math.round(x * 10 ** digits) / 10 ** digits;
