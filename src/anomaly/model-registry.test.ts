import { sql } from 'kysely';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../test/support/database.js';
import type { Problem } from '../core/errors.js';
import { trainModel } from '../detect/model-trainer.js';
import { type DatabaseHandle, openDatabase } from '../store/database.js';
import { SqlModelStore } from '../store/model-store.js';
import type { TrainedModel } from './model-record.js';
import { ModelRegistry, type ModelStore } from './model-registry.js';
import { memorySource, ordinaryMonth } from './test-kit.js';

// The real store on the suite's database (SQLite, or PostgreSQL when VIGIL_TEST_DATABASE_URL is set).
const END = Date.parse('2026-11-24T12:00:00Z');
let now = END;
const clock = { now: () => now };
/** Audited in the registry; what it records is checked through the API (test/models-api). */
const audit = { record: async () => undefined };
let db: TestDatabase;
let handle: DatabaseHandle;
let store: SqlModelStore;
let registry: ModelRegistry;
const unusable: Array<[string, Problem]> = [];
const report = (id: string, problem: Problem) => void unusable.push([id, problem]);

let login: TrainedModel;
let transaction: TrainedModel;
beforeAll(async () => {
  const month = memorySource(ordinaryMonth({ accounts: 30, days: 30, end: END - 86_400_000 }).events);
  const l = await trainModel(month, { kind: 'login', trainedBy: 'test', trees: 10 }, clock);
  const t = await trainModel(month, { kind: 'transaction', trainedBy: 'test', trees: 10 }, clock);
  if (!l.ok || !t.ok) throw new Error('training failed');
  login = l.value;
  transaction = t.value;
});

beforeEach(async () => {
  db = await freshDatabase();
  handle = await openDatabase(db.target, { migrate: true });
  store = new SqlModelStore(handle);
  registry = new ModelRegistry(store, clock, audit);
  unusable.length = 0;
});
afterEach(async () => {
  await handle.close();
  await db.drop();
});

describe('ModelRegistry on the store', () => {
  it('stores trained models inactive, with mdl_ ids and versions counted per kind', async () => {
    const a = await registry.save({ ...login, trainedAt: END });
    const b = await registry.save({ ...transaction, trainedAt: END + 1000 });
    const c = await registry.save({ ...login, trainedAt: END + 2000 });
    expect([a, b, c].map((m) => [m.kind, m.version, m.active])).toEqual([
      ['login', 1, false],
      ['transaction', 1, false],
      ['login', 2, false],
    ]);
    expect(a.id).toMatch(/^mdl_[0-9A-Z]{26}$/);
    const listed = await registry.list();
    expect(listed.map((m) => m.id)).toEqual([c.id, b.id, a.id]);
    // What was stored is what comes back, metrics and parameters included.
    expect(listed[2]).toEqual(a);
    expect(registry.active('login')).toBeUndefined();
  });

  it('activates a model: in memory at once, in the store with who did it, replacing the previous one of its kind', async () => {
    const v1 = await registry.save(login);
    const v2 = await registry.save(login);
    const first = await registry.activate(v1.id, 'ops (key_1)');
    expect(first.ok && first.value.previous).toBeUndefined();
    expect(registry.active('login')?.record.id).toBe(v1.id);

    now += 5000;
    const second = await registry.activate(v2.id, 'ops (key_1)');
    expect(second.ok && [second.value.model.version, second.value.previous?.version]).toEqual([2, 1]);
    const active = registry.active('login');
    expect(active?.record).toMatchObject({ id: v2.id, active: true, activatedAt: now, activatedBy: 'ops (key_1)' });
    expect(active?.threshold).toBe(login.metrics.threshold);
    expect(active?.forest.features).toBe(8);
    const listed = await registry.list();
    expect(listed.filter((m) => m.active).map((m) => m.id)).toEqual([v2.id]);
    // Activating the active model again changes nothing and replaces nothing.
    const again = await registry.activate(v2.id, 'ops (key_1)');
    expect(again.ok && again.value.previous).toBeUndefined();
  });

  it('answers not_found for an unknown model, and model_incompatible for one trained on other features, keeping the active one', async () => {
    const good = await registry.save(login);
    await registry.activate(good.id, 'test');
    const missing = await registry.activate('mdl_nope', 'test');
    expect(missing.ok ? 'activated' : missing.error.code).toBe('not_found');
    const other = await registry.save({ ...login, features: ['hour', 'newDevice'] });
    const refused = await registry.activate(other.id, 'test');
    expect(refused.ok ? 'activated' : refused.error).toMatchObject({
      code: 'model_incompatible',
      message: expect.stringContaining('Train a new one'),
    });
    expect(registry.active('login')?.record.id).toBe(good.id);
    expect((await registry.list()).find((m) => m.id === other.id)?.active).toBe(false);
  });

  it('loads the active models at start, leaving out and reporting one it cannot use', async () => {
    const l = await registry.save(login);
    const t = await registry.save(transaction);
    await registry.activate(l.id, 'test');
    await registry.activate(t.id, 'test');
    // A stored forest damaged by hand.
    await sql`update anomaly_models set forest_json = ${'{"trees":"broken"}'} where id = ${t.id}`.execute(handle.db);

    const restarted = new ModelRegistry(new SqlModelStore(handle), clock, audit);
    await restarted.load(report);
    expect(restarted.active('login')?.record.id).toBe(l.id);
    expect(restarted.active('transaction')).toBeUndefined();
    expect(unusable.map(([id, p]) => [id, p.code])).toEqual([[t.id, 'model_incompatible']]);
    // Reported once, not at every refresh of the running server.
    await restarted.refresh(report);
    expect(unusable).toHaveLength(1);
  });

  it("picks up another process's activation on refresh", async () => {
    const v1 = await registry.save(login);
    const v2 = await registry.save(login);
    await registry.activate(v1.id, 'test');
    const cli = new ModelRegistry(new SqlModelStore(handle), clock, audit);
    await cli.activate(v2.id, 'cli');
    expect(registry.active('login')?.record.id).toBe(v1.id);
    await registry.refresh(report);
    expect(registry.active('login')?.record).toMatchObject({ id: v2.id, activatedBy: 'cli' });
  });

  it('never lets a slow refresh undo an activation made meanwhile', async () => {
    const v1 = await registry.save(login);
    const v2 = await registry.save(login);
    await registry.activate(v1.id, 'test');
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Reading v2 is slow: the refresh that wants it waits while this process activates v1 again.
    const slow: ModelStore = {
      ...bind(store),
      async get(id) {
        if (id === v2.id) await gate;
        return store.get(id);
      },
    };
    const local = new ModelRegistry(slow, clock, audit);
    await local.load(report);
    await new ModelRegistry(new SqlModelStore(handle), clock, audit).activate(v2.id, 'cli');
    const refreshing = local.refresh(report);
    const activated = await local.activate(v1.id, 'ops');
    expect(activated.ok).toBe(true);
    release();
    await refreshing;
    expect(local.active('login')?.record).toMatchObject({ id: v1.id, activatedBy: 'ops' });
  });

  it('keeps one active model per kind in the database itself', async () => {
    const v1 = await registry.save(login);
    const v2 = await registry.save(login);
    await registry.activate(v1.id, 'test');
    await expect(sql`update anomaly_models set active = 1 where id = ${v2.id}`.execute(handle.db)).rejects.toThrow();
  });
});

/** The store's methods bound to it, to wrap one of them. */
function bind(s: SqlModelStore): ModelStore {
  return {
    insert: s.insert.bind(s),
    list: s.list.bind(s),
    get: s.get.bind(s),
    listActive: s.listActive.bind(s),
    activeIds: s.activeIds.bind(s),
    activate: s.activate.bind(s),
  };
}
