import type { Clock } from '../../src/core/clock.js';

const DAY = 86_400_000;

/**
 * Test time. A test decides what "now" is: a Clock given to startTestApp / createSystem that stands
 * still until the test moves it, so what falls inside a window (the 25 h replay, a rate limit, a
 * snooze) never depends on the hour the suite runs.
 */
export interface TestClock extends Clock {
  set(at: number | string): void;
  advance(ms: number): void;
}

export function fixedClock(at: number | string): TestClock {
  let now = typeof at === 'string' ? Date.parse(at) : at;
  if (!Number.isFinite(now)) throw new Error(`not a time: ${at}`);
  return {
    now: () => now,
    set: (t) => {
      now = typeof t === 'string' ? Date.parse(t) : t;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

/**
 * Midnight UTC of the day this test file was loaded. Only for data a child process must also find
 * recent (a `vigil` command runs on the real clock, with no test clock to take): the test's own Vigil
 * then runs on a fixed clock at RUN_DAY + some hours, and its data lies whole days before RUN_DAY, so
 * the real hour moves no event across a window's edge.
 */
export const RUN_DAY = Math.floor(Date.now() / DAY) * DAY;

/** The instant most tests with a fixed clock call "now": any instant would do, as long as it is fixed. */
export const TEST_NOW = Date.parse('2026-03-10T12:00:00.000Z');

/**
 * A clock that starts at `at` and runs on with real time elapsed, for tests whose steps need distinct,
 * ordered times (an alert's transitions) but whose windows must not depend on the hour of the run.
 */
export function runningClock(at: number | string): Clock {
  const start = typeof at === 'string' ? Date.parse(at) : at;
  const origin = performance.now();
  return { now: () => start + Math.floor(performance.now() - origin) };
}
