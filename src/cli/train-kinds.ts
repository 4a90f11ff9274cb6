import { MODEL_KINDS } from '../anomaly/model-kinds.js';

/** What `vigil train --kind` accepts: one model kind, or all of them. */
export const TRAIN_KINDS = [...MODEL_KINDS, 'all'] as const;
export type TrainKind = (typeof TRAIN_KINDS)[number];
