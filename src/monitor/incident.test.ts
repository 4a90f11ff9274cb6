import { describe, expect, it } from 'vitest';
import { closeAsNewNormal, type IncidentEvent, type IncidentObservation, type IncidentState, stepIncident } from './incident.js';

const T = Date.UTC(2025, 7, 4, 12, 0);
const M = 60_000;
const settings = { closeAfterMinutes: 15 };

function ids() {
  let n = 0;
  return () => `minc_${++n}`;
}

const obs = (minute: number, over: Partial<IncidentObservation> = {}): IncidentObservation => ({
  minute: T + minute * M,
  status: 'failed',
  direction: 'rise',
  anomalous: false,
  sustained: false,
  count: 0,
  expected: 0.06,
  score: -0.07,
  since: null,
  ...over,
});

/** Steps a script of observations; returns the events and the final state. */
function play(script: readonly IncidentObservation[], newId = ids()) {
  let state: IncidentState | null = null;
  const events: IncidentEvent[] = [];
  for (const o of script) {
    const step = stepIncident(state, o, settings, newId);
    state = step.state;
    if (step.event) events.push(step.event);
  }
  return { state, events };
}

const hit = (minute: number, count: number, score: number, extra: Partial<IncidentObservation> = {}) =>
  obs(minute, { anomalous: true, sustained: true, count, score, ...extra });

describe('the incident lifecycle', () => {
  it('does nothing while minutes are normal', () => {
    expect(play([obs(0), obs(1), obs(2, { sustained: true })])).toEqual({ state: null, events: [] });
  });

  it('opens on the first anomalous minute, starting where the evidence began, with the counts since then', () => {
    const { state, events } = play([obs(0), hit(4, 3, 3.9, { since: { start: T + 2 * M, count: 5, expected: 0.18 } })]);
    expect(events.map((e) => e.kind)).toEqual(['opened']);
    expect(state).toMatchObject({
      id: 'minc_1',
      start: T + 2 * M,
      detectedAt: T + 4 * M,
      lastAbnormal: T + 4 * M,
      anomalousMinutes: 1,
      count: 5,
      expected: 0.18,
      peak: { minute: T + 4 * M, count: 3, score: 3.9 },
    });
    expect(events[0]?.incident).toMatchObject({ state: 'open', end: null, note: null });
  });

  it('grows with each anomalous minute (peak by score, end, sums), and quiet minutes between count once it grows again', () => {
    const { state, events } = play([
      hit(0, 2, 2.9),
      obs(1, { count: 0 }),
      obs(2, { count: 1, expected: 0.06 }),
      hit(3, 5, 5.7),
      hit(4, 3, 3.9),
    ]);
    expect(events.map((e) => e.kind)).toEqual(['opened', 'updated', 'updated']);
    expect(state).toMatchObject({ anomalousMinutes: 3, lastAbnormal: T + 4 * M, count: 11, peak: { minute: T + 3 * M, count: 5 } });
    expect(state?.expected).toBeCloseTo(5 * 0.06, 12);
    expect(state?.quiet).toBe(0);
  });

  it('stays open through quiet minutes while the shift is sustained (0, 3, 0, 5… is one incident)', () => {
    const script = [hit(0, 3, 3.9), ...Array.from({ length: 30 }, (_, i) => obs(i + 1, { sustained: true }))];
    const { state, events } = play(script);
    expect(events.map((e) => e.kind)).toEqual(['opened']);
    expect(state?.quiet).toBe(0);
  });

  it('closes after exactly closeAfterMinutes normal minutes in a row, with a note, and not one minute before', () => {
    const before = play([hit(0, 5, 5.7), ...Array.from({ length: 14 }, (_, i) => obs(i + 1))]);
    expect(before.events.map((e) => e.kind)).toEqual(['opened']);
    expect(before.state?.quiet).toBe(14);

    const { state, events } = play([hit(0, 5, 5.7), ...Array.from({ length: 15 }, (_, i) => obs(i + 1))]);
    expect(state).toBeNull();
    const closed = events.at(-1);
    expect(closed?.kind).toBe('closed');
    expect(closed?.incident).toMatchObject({ state: 'closed', end: T, closedAt: T + 15 * M, anomalousMinutes: 1, count: 5 });
    expect(closed?.incident.note).toBe('Back to normal since 12:01 UTC (15 minutes in a row): closed automatically.');
  });

  it('an anomaly before it closes resets the count; after it closes, a new incident opens (reopens) with a new id', () => {
    const newId = ids();
    const quiet = (from: number, n: number) => Array.from({ length: n }, (_, i) => obs(from + i));
    const { events } = play([hit(0, 5, 5.7), ...quiet(1, 14), hit(15, 4, 4.8), ...quiet(16, 15), hit(40, 6, 6.1)], newId);
    expect(events.map((e) => `${e.kind} ${e.incident.id}`)).toEqual(['opened minc_1', 'updated minc_1', 'closed minc_1', 'opened minc_2']);
    expect(events[2]?.incident).toMatchObject({ end: T + 15 * M, anomalousMinutes: 2 });
  });

  it('closes as the new normal when accepted', () => {
    const { state } = play([hit(0, 5, 5.7)]);
    const event = closeAsNewNormal(state as IncidentState, T + 30 * M, 'Marked as the new normal level by ops.');
    expect(event.incident).toMatchObject({ state: 'closed', end: T, closedAt: T + 30 * M, note: 'Marked as the new normal level by ops.' });
  });
});
