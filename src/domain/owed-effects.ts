import type { PlannedResponse } from './response.js';

/**
 * What a batch's commit still owes once its events are stored: the announcement of the alerts it
 * raised (webhooks, staff notifications, the live feed) and its planned responses (the lock's audit
 * entry and webhook, the unlock code, the notices). Stored in the events' own transaction and
 * deleted once carried out (ingest/pending-effects.ts).
 */
export interface OwedEffects {
  readonly id: string;
  /** The batch's first user: in the distributed mode, whose partition's owner carries it out. */
  readonly user: string;
  readonly createdAt: number;
  /** Ids of the alerts the batch raised. */
  readonly raised: readonly string[];
  readonly responses: readonly PlannedResponse[];
}
