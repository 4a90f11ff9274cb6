/**
 * Synthetic per-minute counts for the volume monitor's eval: a payments mix like the dataset Vigil
 * is checked on (per minute on average: about 117 approved, 7 denied, 1 reversed, 1 refunded, 0.19
 * backend_reversed, 0.06 failed), with a daily rhythm, quieter weekends, busier and quieter days,
 * minutes busier for every status at once (traffic bursts), status-specific over-dispersion and
 * rare statuses that sometimes come in small clumps. Incidents of every shape the issue names are
 * planted at seeded times. Everything is seeded (eval/rng.ts): one seed, one dataset.
 */
import { MINUTE_MS, type MinuteCount } from '../../src/monitor/minute-counts.js';
import { Rng } from '../rng.js';

export const DAY_MS = 1440 * MINUTE_MS;

/** Daily means per minute (the dataset's mix). */
export const MIX: ReadonlyArray<readonly [string, number]> = [
  ['approved', 117],
  ['denied', 7],
  ['reversed', 1],
  ['refunded', 1],
  ['backend_reversed', 0.19],
  ['failed', 0.06],
];

/** Share of the day's mean at a time of day: 35% of peak at 04:00 UTC, the peak at 16:00. */
function shape(minute: number): number {
  const hour = (minute % DAY_MS) / 3_600_000;
  return 0.35 + 0.65 * (0.5 - 0.5 * Math.cos((2 * Math.PI * (hour - 4)) / 24));
}
const SHAPE_MEAN = 0.35 + 0.65 * 0.5;

export type PlantKind =
  | 'spike'
  | 'step'
  | 'step_sparse'
  | 'ramp'
  | 'moderate'
  | 'approved_drop'
  | 'traffic_drop'
  | 'quiet_hour'
  | 'ramp_common'
  | 'weak';

export interface Planted {
  readonly kind: PlantKind;
  readonly label: string;
  /** The status an incident must name to count as found: `total` for a fall of all traffic. */
  readonly status: string;
  readonly direction: 'rise' | 'drop';
  readonly start: number;
  readonly minutes: number;
  /**
   * Whether the targets (found within 10 minutes) apply. Two harder shapes are planted and reported
   * beside them, to show where the model's limits are: a slow ramp of a status that is not rare
   * (refunded, 1 a minute) and a weak rise of denied (×1.3).
   */
  readonly target: boolean;
}

export interface Dataset {
  readonly from: number;
  readonly days: number;
  readonly rows: MinuteCount[];
  readonly planted: Planted[];
}

function poisson(lambda: number, rng: Rng): number {
  if (lambda <= 0) return 0;
  if (lambda > 40) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * rng.normal()));
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

/**
 * The incidents, one of each shape, at seeded times on the days given (each day gets half, at
 * least three hours apart). The quiet-hour rise is placed between 02:00 and 05:00 UTC.
 */
export function plantIncidents(days: readonly number[], from: number, rng: Rng): Planted[] {
  const specs: Array<Omit<Planted, 'start'> & { quiet?: boolean }> = [
    { kind: 'spike', label: 'single-minute spike of failed', status: 'failed', direction: 'rise', minutes: 1, target: true },
    {
      kind: 'step',
      label: 'step rise of backend_reversed (0.19 → 2–5/min)',
      status: 'backend_reversed',
      direction: 'rise',
      minutes: 50,
      target: true,
    },
    { kind: 'step_sparse', label: 'failed 0–5/min with zeros between', status: 'failed', direction: 'rise', minutes: 30, target: true },
    {
      kind: 'ramp',
      label: 'slow ramp of failed (0.06 → 4/min over 40 min)',
      status: 'failed',
      direction: 'rise',
      minutes: 50,
      target: true,
    },
    { kind: 'moderate', label: 'sustained moderate rise of denied (×2)', status: 'denied', direction: 'rise', minutes: 30, target: true },
    { kind: 'approved_drop', label: 'drop of approved (×0.4)', status: 'approved', direction: 'drop', minutes: 15, target: true },
    { kind: 'traffic_drop', label: 'drop of all traffic (×0.5)', status: 'total', direction: 'drop', minutes: 15, target: true },
    {
      kind: 'ramp_common',
      label: 'slow ramp of refunded (1 → 5/min over 40 min)',
      status: 'refunded',
      direction: 'rise',
      minutes: 50,
      target: false,
    },
    { kind: 'weak', label: 'weak rise of denied (×1.3)', status: 'denied', direction: 'rise', minutes: 60, target: false },
    {
      kind: 'quiet_hour',
      label: 'rise of reversed at a quiet hour (+2/min)',
      status: 'reversed',
      direction: 'rise',
      minutes: 25,
      target: true,
      quiet: true,
    },
  ];
  const planted: Planted[] = [];
  const busy = specs.filter((s) => !s.quiet);
  const perDay = Math.ceil(busy.length / days.length);
  days.forEach((day, d) => {
    const dayStart = from + day * DAY_MS;
    const mine = busy.slice(d * perDay, (d + 1) * perDay);
    // Daytime slots 06:00–23:00, three hours apart, jittered.
    mine.forEach((spec, i) => {
      const at = dayStart + (6 * 60 + i * 180 + rng.int(0, 90)) * MINUTE_MS;
      const { quiet: _q, ...rest } = spec;
      planted.push({ ...rest, start: at });
    });
  });
  const quiet = specs.find((s) => s.quiet);
  if (quiet) {
    const { quiet: _q, ...rest } = quiet;
    planted.push({ ...rest, start: from + (days[0] as number) * DAY_MS + (2 * 60 + rng.int(0, 150)) * MINUTE_MS });
  }
  return planted.sort((a, b) => a.start - b.start);
}

/** Counts of every status in every minute, with the planted incidents applied. */
export function generate(options: { seed: number; from: number; days: number; incidentDays: readonly number[] }): Dataset {
  const rng = new Rng(options.seed);
  const planted = plantIncidents(options.incidentDays, options.from, rng.fork('plants'));
  const noise = rng.fork('counts');
  const rows: MinuteCount[] = [];
  const minutes = options.days * 1440;
  let dayLevel = 1;
  for (let i = 0; i < minutes; i++) {
    const minute = options.from + i * MINUTE_MS;
    if (i % 1440 === 0) {
      const weekday = new Date(minute).getUTCDay();
      dayLevel = Math.exp(0.06 * noise.normal()) * (weekday === 0 || weekday === 6 ? 0.85 : 1);
    }
    // A burst or lull for every status at once, then each status's own extra variation.
    const traffic = dayLevel * (shape(minute) / SHAPE_MEAN) * Math.exp(0.08 * noise.normal());
    const active = planted.filter((p) => minute >= p.start && minute < p.start + p.minutes * MINUTE_MS);
    for (const [status, mean] of MIX) {
      // The approval rate is steady within a few percent from minute to minute; the other statuses vary more.
      let lambda = mean * traffic * Math.exp((status === 'approved' ? 0.03 : 0.1) * noise.normal());
      let extra = 0;
      for (const p of active) {
        const into = (minute - p.start) / MINUTE_MS;
        if (p.kind === 'traffic_drop') lambda *= 0.5;
        if (p.status !== status) continue;
        if (p.kind === 'approved_drop') lambda *= 0.4;
        if (p.kind === 'moderate') lambda *= 2;
        if (p.kind === 'weak') lambda *= 1.3;
        if (p.kind === 'spike') extra += poisson(12, noise);
        if (p.kind === 'step') lambda = noise.float(2, 5);
        if (p.kind === 'ramp' || p.kind === 'ramp_common') extra += poisson((4 * Math.min(into, 40)) / 40, noise);
        if (p.kind === 'quiet_hour') extra += poisson(2, noise);
      }
      let count = poisson(lambda, noise) + extra;
      if (active.some((p) => p.kind === 'step_sparse' && p.status === status)) count = noise.int(0, 5);
      // Reversals and refunds sometimes arrive as a small batch.
      if ((status === 'reversed' || status === 'refunded') && noise.chance(0.004)) count += noise.int(2, 4);
      rows.push({ minute, status, count });
    }
  }
  return { from: options.from, days: options.days, rows, planted };
}
