import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { err, ok, type Result } from '../core/result.js';
import { IsolationForest } from './isolation-forest.js';
import { FEATURES, MODEL_KINDS, type ModelKind, type PopulationBaseline } from './model-kinds.js';
import type { ModelRecord, StoredModel, TrainedModel } from './model-record.js';

/** How often a server checks whether another process (`vigil train --activate`) activated a model. */
export const MODEL_REFRESH_MS = 30_000;

/** What the audit trail needs: `AuditTrail.record`. */
export interface ModelAudit {
  record(
    actor: string,
    action: 'model.trained' | 'model.activated',
    subject: string,
    details: Readonly<Record<string, unknown>>,
  ): Promise<unknown>;
}

/** Where models are kept (store/model-store.ts). */
export interface ModelStore {
  /** Stores a new model, inactive, with the next version of its kind; returns it as stored. */
  insert(id: string, model: TrainedModel): Promise<ModelRecord>;
  /** Every model, newest first, without forests. */
  list(): Promise<readonly ModelRecord[]>;
  get(id: string): Promise<StoredModel | undefined>;
  /** The active model of each kind, with its forest. */
  listActive(): Promise<readonly StoredModel[]>;
  /** Which model of each kind is active: a cheap read, for noticing another process's activation. */
  activeIds(): Promise<ReadonlyMap<ModelKind, string>>;
  /**
   * Makes this model its kind's active one, and the previous one inactive, in one transaction;
   * undefined when there is no such model. `previous` is the model it replaced, if any.
   */
  activate(id: string, at: number, by: string): Promise<Activation | undefined>;
}

/** A model ready to score: its record, its forest and what scoring needs of its parameters. */
export interface ActiveModel {
  readonly record: ModelRecord;
  readonly forest: IsolationForest;
  readonly threshold: number;
  readonly population: PopulationBaseline;
}

/** What the live path needs: the active model of a kind, from memory. */
export interface ActiveModels {
  active(kind: ModelKind): ActiveModel | undefined;
}

export interface Activation {
  readonly model: ModelRecord;
  /** The model of the same kind it replaced, if any. */
  readonly previous: ModelRecord | undefined;
}

/**
 * The anomaly models in force, one per kind, in memory: the behaviour-anomaly rule reads them for
 * every login and transaction, never the database. Activating a model loads and checks it first,
 * then records it in the store, then swaps it in with one assignment, so scoring sees the old model
 * or the new one and never a half-loaded one, and no restart is needed.
 */
export class ModelRegistry implements ActiveModels {
  private readonly models = new Map<ModelKind, ActiveModel>();
  /** Bumped by every activation in this process, so a slower refresh never undoes a newer one. */
  private generation = 0;
  /** Active models found unusable, reported once rather than at every refresh. */
  private readonly unusable = new Set<string>();
  /** Activations in this process, one at a time, so memory ends as the store does whatever commits first. */
  private activating: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ModelStore,
    private readonly clock: Clock,
    /** Trainings and activations are audited here, so the API and `vigil train` record the same entries. */
    private readonly audit: ModelAudit,
  ) {}

  active(kind: ModelKind): ActiveModel | undefined {
    return this.models.get(kind);
  }

  /** Loads the active models at start. One that cannot be used is reported and left out: detection runs without it. */
  async load(onUnusable: (id: string, problem: Problem) => void): Promise<void> {
    for (const stored of await this.store.listActive()) {
      const prepared = prepare(stored);
      if (prepared.ok) this.models.set(stored.record.kind, prepared.value);
      else this.report(stored.record.id, prepared.error, onUnusable);
    }
  }

  list(): Promise<readonly ModelRecord[]> {
    return this.store.list();
  }

  /** Stores a freshly trained model, inactive; audited as trained by whoever trained it. */
  async save(trained: TrainedModel): Promise<ModelRecord> {
    const m = await this.store.insert(newId('mdl', this.clock.now()), trained);
    await this.audit.record(trained.trainedBy, 'model.trained', `model:${m.id}`, {
      kind: m.kind,
      version: m.version,
      rows: m.metrics.rows,
      threshold: m.metrics.threshold,
    });
    return m;
  }

  activate(id: string, actor: string): Promise<Result<Activation, Problem>> {
    const next = this.activating.then(() => this.activateNow(id, actor));
    this.activating = next.catch(() => {});
    return next;
  }

  private async activateNow(id: string, actor: string): Promise<Result<Activation, Problem>> {
    const stored = await this.store.get(id);
    if (!stored) return err({ code: 'not_found', message: `No model ${id}.` });
    const prepared = prepare(stored);
    if (!prepared.ok) return prepared;
    // The store says what it replaced: another process (`vigil train`) may have activated it.
    const activation = await this.store.activate(id, this.clock.now(), actor);
    if (!activation) return err({ code: 'not_found', message: `No model ${id}.` });
    const record = activation.model;
    this.generation++;
    this.models.set(record.kind, { ...prepared.value, record });
    // Which model replaced which, and who did it.
    await this.audit.record(actor, 'model.activated', `model:${record.id}`, {
      kind: record.kind,
      version: record.version,
      previousId: activation.previous?.id ?? null,
      previousVersion: activation.previous?.version ?? null,
    });
    return ok(activation);
  }

  /**
   * Picks up activations made by another process (`vigil train --activate` beside a running server).
   * A model that cannot be used is reported and the current one kept.
   */
  async refresh(onUnusable: (id: string, problem: Problem) => void): Promise<void> {
    const generation = this.generation;
    const ids = await this.store.activeIds();
    for (const kind of MODEL_KINDS) {
      const id = ids.get(kind);
      if (id === undefined || id === this.models.get(kind)?.record.id || this.unusable.has(id)) continue;
      const stored = await this.store.get(id);
      // An activation in this process meanwhile is newer than what was read: keep it.
      if (!stored || generation !== this.generation) return;
      const prepared = prepare(stored);
      if (prepared.ok) this.models.set(kind, prepared.value);
      else this.report(id, prepared.error, onUnusable);
    }
  }

  /** Refreshes every `intervalMs` until stopped; the timer never keeps the process alive. */
  watch(intervalMs: number, onError: (error: unknown) => void, onUnusable: (id: string, problem: Problem) => void): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.refresh(onUnusable)
        .catch(onError)
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private report(id: string, problem: Problem, onUnusable: (id: string, problem: Problem) => void): void {
    this.unusable.add(id);
    onUnusable(id, problem);
  }
}

/**
 * Checks a stored model against this version of Vigil before it may score: a model trained on other
 * features (by an older or newer Vigil) would read the columns wrongly and must not be used.
 */
function prepare(stored: StoredModel): Result<ActiveModel, Problem> {
  const { record } = stored;
  const expected: readonly string[] = FEATURES[record.kind] ?? [];
  const same = record.features.length === expected.length && record.features.every((f, i) => f === expected[i]);
  if (record.type !== 'isolation_forest' || !same) {
    return err({
      code: 'model_incompatible',
      message: `Model ${record.id} was trained on features [${record.features.join(', ')}]; this Vigil scores ${record.kind} with [${expected.join(', ')}]. Train a new one.`,
    });
  }
  let forest: IsolationForest;
  try {
    forest = IsolationForest.fromJSON(stored.forest);
  } catch (error) {
    return err({
      code: 'model_incompatible',
      message: `Model ${record.id} could not be read: ${error instanceof Error ? error.message : String(error)}.`,
    });
  }
  if (forest.features !== expected.length) {
    return err({ code: 'model_incompatible', message: `Model ${record.id} has ${forest.features} inputs, not ${expected.length}.` });
  }
  return ok({ record, forest, threshold: record.metrics.threshold, population: record.parameters.population });
}
