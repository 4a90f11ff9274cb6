import type { DatabaseHandle } from './database.js';
import type { EventBatchWriter } from './event-batch-writer.js';
import { PostgresBatchWriter } from './postgres/batch-writer.js';
import { SqliteBatchWriter } from './sqlite/batch-writer.js';

export type { EventBatchWriter } from './event-batch-writer.js';

/** The dialect's batch writer, chosen once when the store is opened. */
export function openBatchWriter(handle: DatabaseHandle): EventBatchWriter {
  return handle.sqlite ? new SqliteBatchWriter(handle) : new PostgresBatchWriter(handle);
}
