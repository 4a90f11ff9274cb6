/** Which way a status moved: above its expected level, or below it. */
export type Direction = 'rise' | 'drop';

/**
 * Incidents, not minutes: one status going one way for a while is one incident, with a start, a
 * peak, an end, the minutes it affected and its counts against what was expected. Pure: the model
 * steps it minute by minute, the service stores it and keeps one alert per incident.
 *
 * Lifecycle:
 * - opened by the first anomalous minute (a single extreme minute, or the CUSUM crossing its
 *   threshold); its start is where the CUSUM began to climb, which is usually minutes earlier;
 * - grows with every further anomalous minute (peak, end, sums);
 * - stays open through quiet minutes while the CUSUM is still over its threshold (a failed status
 *   going 0, 3, 0, 5, 1… is one incident, not five);
 * - closes, with a note, once the status has been back to normal for `closeAfterMinutes` in a row;
 * - a later anomaly opens a new incident (a new id): a closed incident is history.
 */

export interface IncidentPeak {
  readonly minute: number;
  readonly count: number;
  readonly expected: number;
  /** Normal score of the peak minute (signed: negative for drops). */
  readonly score: number;
}

export interface IncidentState {
  readonly id: string;
  readonly status: string;
  readonly direction: Direction;
  /** Estimated first minute of the change (where the evidence began to accumulate). */
  readonly start: number;
  /** The minute whose judgement opened the incident. */
  readonly detectedAt: number;
  /** The latest anomalous minute: the end, once closed. */
  readonly lastAbnormal: number;
  /** Anomalous minutes. */
  readonly anomalousMinutes: number;
  /** Counts and expected counts from `start` to `lastAbnormal`. */
  readonly count: number;
  readonly expected: number;
  readonly peak: IncidentPeak;
  /** Normal minutes in a row since the latest anomalous one, and their sums (added back if it grows again). */
  readonly quiet: number;
  readonly quietCount: number;
  readonly quietExpected: number;
}

export interface IncidentRecord extends IncidentState {
  readonly state: 'open' | 'closed';
  /** The last anomalous minute, once closed. */
  readonly end: number | null;
  readonly closedAt: number | null;
  readonly note: string | null;
}

export interface IncidentSettings {
  /** Normal minutes in a row after which an incident is closed. */
  readonly closeAfterMinutes: number;
}

/** What the model saw of one status in one minute, in the watched direction. */
export interface IncidentObservation {
  readonly minute: number;
  readonly status: string;
  readonly direction: Direction;
  readonly anomalous: boolean;
  /** Whether the CUSUM is still over its threshold (the shift goes on, even in a quiet minute). */
  readonly sustained: boolean;
  readonly count: number;
  readonly expected: number;
  readonly score: number;
  /** Where the evidence began, and its sums up to and including this minute (from the CUSUM). */
  readonly since: { readonly start: number; readonly count: number; readonly expected: number } | null;
}

export type IncidentEvent = { readonly kind: 'opened' | 'updated' | 'closed'; readonly incident: IncidentRecord };

const record = (s: IncidentState, closed?: { at: number; note: string }): IncidentRecord => ({
  ...s,
  state: closed ? 'closed' : 'open',
  end: closed ? s.lastAbnormal : null,
  closedAt: closed?.at ?? null,
  note: closed?.note ?? null,
});

const hhmm = (minute: number) => new Date(minute).toISOString().slice(11, 16);

/** One minute's step of a status's incident. `newId` names an incident when it opens. */
export function stepIncident(
  current: IncidentState | null,
  o: IncidentObservation,
  settings: IncidentSettings,
  newId: () => string,
): { state: IncidentState | null; event?: IncidentEvent } {
  const peakOf = (): IncidentPeak => ({ minute: o.minute, count: o.count, expected: o.expected, score: o.score });
  if (!current) {
    if (!o.anomalous) return { state: null };
    const state: IncidentState = {
      id: newId(),
      status: o.status,
      direction: o.direction,
      start: Math.min(o.since?.start ?? o.minute, o.minute),
      detectedAt: o.minute,
      lastAbnormal: o.minute,
      anomalousMinutes: 1,
      count: o.since?.count ?? o.count,
      expected: o.since?.expected ?? o.expected,
      peak: peakOf(),
      quiet: 0,
      quietCount: 0,
      quietExpected: 0,
    };
    return { state, event: { kind: 'opened', incident: record(state) } };
  }
  if (o.anomalous) {
    const state: IncidentState = {
      ...current,
      lastAbnormal: o.minute,
      anomalousMinutes: current.anomalousMinutes + 1,
      count: current.count + current.quietCount + o.count,
      expected: current.expected + current.quietExpected + o.expected,
      peak: Math.abs(o.score) > Math.abs(current.peak.score) ? peakOf() : current.peak,
      quiet: 0,
      quietCount: 0,
      quietExpected: 0,
    };
    return { state, event: { kind: 'updated', incident: record(state) } };
  }
  // Not anomalous: still part of the shift while the CUSUM holds, otherwise a step towards closing.
  const quiet = o.sustained ? 0 : current.quiet + 1;
  const state: IncidentState = {
    ...current,
    quiet,
    quietCount: current.quietCount + o.count,
    quietExpected: current.quietExpected + o.expected,
  };
  if (quiet < settings.closeAfterMinutes) return { state };
  const note = `Back to normal since ${hhmm(current.lastAbnormal + 60_000)} UTC (${quiet} minutes in a row): closed automatically.`;
  return { state: null, event: { kind: 'closed', incident: record(current, { at: o.minute, note }) } };
}

/** Closes an open incident because its level was accepted as the new normal (by a person, or after long enough). */
export function closeAsNewNormal(current: IncidentState, at: number, why: string): IncidentEvent {
  return { kind: 'closed', incident: record(current, { at, note: why }) };
}
