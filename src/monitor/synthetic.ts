import { seededRandom } from '../anomaly/random.js';
import { MINUTE_MS, type MinuteCount } from './minute-counts.js';

/**
 * Synthetic per-minute counts with a daily rhythm and planted incidents: what `vigil monitor
 * simulate` sends and what the detection tests measure against. Seeded, so a test's numbers are the
 * same on every run and every machine.
 */

export interface SyntheticStatus {
  readonly status: string;
  /** Mean per minute at the busiest time of day. */
  readonly peak: number;
}

/** A payment app's mix: mostly approved, some denied, a few failed, rare reversals and refunds. */
export const SYNTHETIC_STATUSES: readonly SyntheticStatus[] = [
  { status: 'approved', peak: 120 },
  { status: 'denied', peak: 10 },
  { status: 'failed', peak: 3 },
  { status: 'reversed', peak: 1.5 },
  { status: 'backend_reversed', peak: 0.2 },
  { status: 'refunded', peak: 0.6 },
];

export const DAY_MS = 24 * 60 * MINUTE_MS;

/** Share of the peak at a time of day: 15% at 04:00 UTC, rising smoothly to 100% at 16:00. */
export function dayShape(minute: number): number {
  const hour = (minute % DAY_MS) / 3_600_000;
  return 0.15 + 0.85 * (0.5 - 0.5 * Math.cos((2 * Math.PI * (hour - 4)) / 24));
}

export interface Incident {
  readonly label: string;
  readonly status: string;
  /** First minute (epoch ms, a minute start). */
  readonly start: number;
  readonly minutes: number;
  /** The count becomes `count × factor + extra` during the incident. */
  readonly factor: number;
  readonly extra: number;
}

export interface SyntheticOptions {
  /** First minute (a minute start). */
  readonly from: number;
  readonly minutes: number;
  readonly seed: number;
  readonly statuses?: readonly SyntheticStatus[];
  readonly incidents?: readonly Incident[];
  /** Day-to-day variation of the whole level (log-normal sigma): 0.05 makes one day 5% busier than another. */
  readonly dayNoise?: number;
  /** Minute-to-minute variation beyond Poisson (log-normal sigma): real counts are over-dispersed. */
  readonly minuteNoise?: number;
}

function normal(random: () => number): number {
  // Box–Muller; 1 - u keeps log away from 0.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function poisson(lambda: number, random: () => number): number {
  if (lambda <= 0) return 0;
  if (lambda > 50) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(random)));
  // Knuth: exact for small means.
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

/** Every status in every minute, zeros included, oldest first. */
export function syntheticMinutes(options: SyntheticOptions): MinuteCount[] {
  const random = seededRandom(options.seed);
  const statuses = options.statuses ?? SYNTHETIC_STATUSES;
  const dayNoise = options.dayNoise ?? 0.05;
  const minuteNoise = options.minuteNoise ?? 0.08;
  const dayLevels = new Map<number, number>();
  const rows: MinuteCount[] = [];
  for (let i = 0; i < options.minutes; i++) {
    const minute = options.from + i * MINUTE_MS;
    const day = Math.floor(minute / DAY_MS);
    let dayLevel = dayLevels.get(day);
    if (dayLevel === undefined) {
      dayLevel = Math.exp(dayNoise * normal(random));
      dayLevels.set(day, dayLevel);
    }
    const shape = dayShape(minute) * dayLevel;
    for (const { status, peak } of statuses) {
      let count = poisson(peak * shape * Math.exp(minuteNoise * normal(random)), random);
      for (const incident of options.incidents ?? []) {
        if (incident.status === status && minute >= incident.start && minute < incident.start + incident.minutes * MINUTE_MS) {
          count = Math.round(count * incident.factor + incident.extra);
        }
      }
      rows.push({ minute, status, count });
    }
  }
  return rows;
}

/**
 * The four incidents the issue names, planted in the day that starts at `day` (UTC midnight):
 * a failed spike in the morning, a denied spike after lunch, an approved drop at the evening peak
 * and a reversed burst at night, when volumes are lowest and a burst is easiest to miss.
 */
export function plantedIncidents(day: number): Incident[] {
  const at = (hh: number, mm: number) => day + (hh * 60 + mm) * MINUTE_MS;
  return [
    { label: 'failed spike (a payment provider failing)', status: 'failed', start: at(9, 7), minutes: 4, factor: 5, extra: 20 },
    { label: 'denied spike (card testing)', status: 'denied', start: at(13, 42), minutes: 6, factor: 3, extra: 25 },
    { label: 'approved drop (checkout broken)', status: 'approved', start: at(17, 15), minutes: 10, factor: 0.3, extra: 0 },
    { label: 'reversed burst (at night)', status: 'reversed', start: at(2, 33), minutes: 3, factor: 1, extra: 12 },
  ];
}
