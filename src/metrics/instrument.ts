import type { Detector } from '../detect/detector.js';
import type { EventIngest } from '../ingest/ingest-service.js';
import type { EventStore } from '../ingest/ports.js';
import type { VigilMetrics } from './metrics.js';

/**
 * Decorators that count and time the pipeline from outside, so that the pipeline's own code (and its
 * hot loop) is unchanged whether metrics are read or not.
 */
export function measuredDetector(detector: Detector, metrics: VigilMetrics): Detector {
  const seconds = metrics.scoringSeconds;
  return {
    // Two clock readings and one observation: prom-client's startTimer would add two closures, an
    // hrtime pair and a label object per event, on the path every event takes.
    score(event, enrichment) {
      const start = performance.now();
      try {
        return detector.score(event, enrichment);
      } finally {
        seconds.observe((performance.now() - start) / 1000);
      }
    },
  };
}

/**
 * Counts every event by outcome, and the decisions of those stored (a duplicate was counted the first
 * time): tallied per call, then one increment per outcome and decision, not a label lookup per event.
 */
export function measuredIngest(inner: EventIngest, metrics: VigilMetrics): EventIngest {
  return {
    async ingest(raws, options) {
      const report = await inner.ingest(raws, options);
      const outcomes = new Map<string, number>();
      const decisions = new Map<string, number>();
      for (const outcome of report.outcomes) {
        outcomes.set(outcome.status, (outcomes.get(outcome.status) ?? 0) + 1);
        if (outcome.status === 'stored') decisions.set(outcome.result.decision, (decisions.get(outcome.result.decision) ?? 0) + 1);
      }
      for (const [outcome, n] of outcomes) metrics.eventsIn.inc({ outcome }, n);
      for (const [decision, n] of decisions) metrics.decisions.inc({ decision }, n);
      return report;
    },
  };
}

/**
 * The event store as the group commit sees it, with each group's size and commit time measured. A
 * proxy rather than a class restating the port: only `insert` is measured, every other member is
 * the store's own.
 */
export function measuredInserts(store: EventStore, metrics: VigilMetrics): EventStore {
  const insert: EventStore['insert'] = async (events, learnt, alerts, locks, owed) => {
    metrics.groupCommitEvents.observe(events.length);
    const end = metrics.databaseSeconds.startTimer({ operation: 'group_commit' });
    try {
      return await store.insert(events, learnt, alerts, locks, owed);
    } finally {
      end();
    }
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'insert') return insert;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
