import type { Selectable } from 'kysely';
import type { ModelKind } from '../anomaly/model-kinds.js';
import type { ModelRecord, ModelType, StoredModel, TrainedModel } from '../anomaly/model-record.js';
import type { Activation, ModelStore } from '../anomaly/model-registry.js';
import type { DatabaseHandle } from './database.js';
import type { AnomalyModelsTable } from './schema.js';

/** Every column but the forest, which only activation and loading need. */
const RECORD_COLUMNS = [
  'id',
  'kind',
  'type',
  'version',
  'parameters_json',
  'features_json',
  'metrics_json',
  'trained_at',
  'trained_by',
  'active',
  'activated_at',
  'activated_by',
] as const satisfies readonly (keyof AnomalyModelsTable)[];

type RecordRow = Pick<Selectable<AnomalyModelsTable>, (typeof RECORD_COLUMNS)[number]>;

/** Anomaly models, in one Kysely store for SQLite and PostgreSQL. */
export class SqlModelStore implements ModelStore {
  constructor(private readonly handle: DatabaseHandle) {}

  async insert(id: string, model: TrainedModel): Promise<ModelRecord> {
    return this.handle.db.transaction().execute(async (trx) => {
      // The next version of the kind, in the transaction that inserts it; the unique (kind, version)
      // constraint turns a race between two processes into a failed insert, never a duplicate.
      const last = await trx
        .selectFrom('anomaly_models')
        .select((eb) => eb.fn.max('version').as('version'))
        .where('kind', '=', model.kind)
        .executeTakeFirst();
      const version = Number(last?.version ?? 0) + 1;
      await trx
        .insertInto('anomaly_models')
        .values({
          id,
          kind: model.kind,
          type: model.type,
          version,
          parameters_json: JSON.stringify(model.parameters),
          features_json: JSON.stringify(model.features),
          metrics_json: JSON.stringify(model.metrics),
          forest_json: JSON.stringify(model.forest),
          trained_at: model.trainedAt,
          trained_by: model.trainedBy,
          active: 0,
          activated_at: null,
          activated_by: null,
        })
        .execute();
      const { forest: _forest, ...record } = model;
      return { ...record, id, version, active: false, activatedAt: null, activatedBy: null };
    });
  }

  async list(): Promise<readonly ModelRecord[]> {
    const rows = await this.handle.db
      .selectFrom('anomaly_models')
      .select(RECORD_COLUMNS)
      .orderBy('trained_at', 'desc')
      .orderBy('version', 'desc')
      .execute();
    return rows.map(toRecord);
  }

  async get(id: string): Promise<StoredModel | undefined> {
    const row = await this.handle.db.selectFrom('anomaly_models').selectAll().where('id', '=', id).executeTakeFirst();
    return row && { record: toRecord(row), forest: JSON.parse(row.forest_json) };
  }

  async listActive(): Promise<readonly StoredModel[]> {
    const rows = await this.handle.db.selectFrom('anomaly_models').selectAll().where('active', '=', 1).execute();
    return rows.map((row) => ({ record: toRecord(row), forest: JSON.parse(row.forest_json) }));
  }

  async activeIds(): Promise<ReadonlyMap<ModelKind, string>> {
    const rows = await this.handle.db.selectFrom('anomaly_models').select(['kind', 'id']).where('active', '=', 1).execute();
    return new Map(rows.map((r) => [r.kind as ModelKind, r.id]));
  }

  async activate(id: string, at: number, by: string): Promise<Activation | undefined> {
    return this.handle.db.transaction().execute(async (trx) => {
      const target = await trx.selectFrom('anomaly_models').select(['kind', 'active']).where('id', '=', id).executeTakeFirst();
      if (!target) return undefined;
      let previous: ModelRecord | undefined;
      if (target.active !== 1) {
        const before = await trx
          .selectFrom('anomaly_models')
          .select(RECORD_COLUMNS)
          .where('kind', '=', target.kind)
          .where('active', '=', 1)
          .executeTakeFirst();
        previous = before && { ...toRecord(before), active: false };
        // Off first, then on: the partial unique index allows one active model per kind at every step.
        await trx.updateTable('anomaly_models').set({ active: 0 }).where('kind', '=', target.kind).where('active', '=', 1).execute();
        await trx.updateTable('anomaly_models').set({ active: 1, activated_at: at, activated_by: by }).where('id', '=', id).execute();
      }
      const row = await trx.selectFrom('anomaly_models').select(RECORD_COLUMNS).where('id', '=', id).executeTakeFirstOrThrow();
      return { model: toRecord(row), previous };
    });
  }
}

function toRecord(r: RecordRow): ModelRecord {
  return {
    id: r.id,
    kind: r.kind as ModelKind,
    type: r.type as ModelType,
    version: r.version,
    parameters: JSON.parse(r.parameters_json),
    features: JSON.parse(r.features_json),
    metrics: JSON.parse(r.metrics_json),
    trainedAt: r.trained_at,
    trainedBy: r.trained_by,
    active: r.active === 1,
    activatedAt: r.activated_at,
    activatedBy: r.activated_by,
  };
}
