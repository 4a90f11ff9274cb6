import { MODEL_KINDS, type ModelKind } from '../anomaly/model-kinds.js';
import { ModelRegistry } from '../anomaly/model-registry.js';
import { AuditTrail } from '../audit/audit-trail.js';
import type { Config } from '../config/config.js';
import { systemClock } from '../core/clock.js';
import { trainAndStore } from '../detect/model-trainer.js';
import { SqlAuditStore } from '../store/audit-store.js';
import { openDatabase } from '../store/database.js';
import { SqlEventStore } from '../store/event-store.js';
import { SqlModelStore } from '../store/model-store.js';
import type { TrainKind } from './train-kinds.js';

export interface TrainCommandOptions {
  readonly kind: TrainKind;
  readonly activate: boolean;
  readonly days?: number;
}

/**
 * `vigil train`: trains models from the stored events, stores them, and activates them when asked.
 * A running server notices an activation made here within MODEL_REFRESH_MS (it polls which models
 * are active), so no restart is needed. Exit 0 when every kind asked for (or, with `all`, at least one)
 * was trained, 1 otherwise, with the reason on stderr.
 */
export async function trainModels(config: Config, options: TrainCommandOptions): Promise<number> {
  const handle = await openDatabase(config.database, { migrate: true });
  try {
    const clock = systemClock;
    const audit = new AuditTrail(new SqlAuditStore(handle), clock);
    const registry = new ModelRegistry(new SqlModelStore(handle), clock, audit);
    const events = new SqlEventStore(handle);
    const kinds: readonly ModelKind[] = options.kind === 'all' ? MODEL_KINDS : [options.kind];
    let trained = 0;
    for (const kind of kinds) {
      const outcome = await trainAndStore(
        registry,
        events,
        { kind, activate: options.activate, trainedBy: 'cli', ...(options.days !== undefined && { days: options.days }) },
        clock,
      );
      if (!outcome.ok) {
        process.stderr.write(`vigil: no ${kind} model: ${outcome.error.message}\n`);
        continue;
      }
      trained++;
      const m = outcome.value.model;
      const share = (m.metrics.flaggedShare * 100).toFixed(2);
      const state = m.active ? 'active' : `inactive (activate with: POST /v1/models/${m.id}/activate)`;
      process.stdout.write(
        `${m.kind} model ${m.id} version ${m.version}: ${m.metrics.rows} rows from ${m.metrics.accounts} accounts, ` +
          `threshold ${m.metrics.threshold} (${share}% of training rows above it), ${m.metrics.trainingMs} ms; ${state}\n`,
      );
    }
    return trained === kinds.length || (options.kind === 'all' && trained > 0) ? 0 : 1;
  } finally {
    await handle.close();
  }
}
