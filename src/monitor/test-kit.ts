/** Helpers for the volume monitor's tests (not used at run time). */
import type { MinuteCount } from './minute-counts.js';
import type { Anomaly, MinuteVerdict, VolumeModel } from './volume-model.js';

/** Feeds rows minute by minute, in time order, as the monitor does; returns every verdict. */
export function feed(model: VolumeModel, rows: readonly MinuteCount[]): MinuteVerdict[] {
  const minutes = new Map<number, Map<string, number>>();
  for (const r of rows) {
    let counts = minutes.get(r.minute);
    if (!counts) {
      counts = new Map();
      minutes.set(r.minute, counts);
    }
    counts.set(r.status, r.count);
  }
  return [...minutes.entries()].sort((a, b) => a[0] - b[0]).flatMap(([minute, counts]) => model.observe(minute, counts));
}

export const anomaliesOf = (verdicts: readonly MinuteVerdict[]): Anomaly[] => verdicts.flatMap((v) => (v.anomaly ? [v.anomaly] : []));
