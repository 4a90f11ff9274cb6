/** Helpers for the volume monitor's tests (not used at run time). */
import type { MinuteCount } from './minute-counts.js';
import { byMinute } from './monitor-answer.js';
import type { Anomaly, MinuteVerdict, VolumeModel } from './volume-model.js';

/** Feeds rows minute by minute, in time order, as the monitor does; returns every verdict. */
export const feed = (model: VolumeModel, rows: readonly MinuteCount[]): MinuteVerdict[] =>
  byMinute(rows).flatMap(({ minute, counts }) => model.observe(minute, counts));

export const anomaliesOf = (verdicts: readonly MinuteVerdict[]): Anomaly[] => verdicts.flatMap((v) => (v.anomaly ? [v.anomaly] : []));
