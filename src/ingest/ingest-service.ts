import type { Alert } from '../alerts/alert.js';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Detector, Verdict } from '../detect/detector.js';
import type { Enricher } from '../enrich/enricher.js';
import type { LockWrite } from '../respond/lock.js';
import type { PlannedResponse } from '../respond/responder.js';
import type { ActivityEvent, StoredEvent } from './activity-event.js';
import type { EventResult } from './event-schema.js';
import type { GroupCommitWriter } from './group-commit.js';
import type { EventStore } from './ports.js';
import { validateEvent } from './validate-event.js';

/** What happened to one submitted event. */
export type IngestOutcome =
  | { readonly status: 'stored'; readonly result: EventResult }
  /** Its id was stored before: the first answer is returned and nothing is written. */
  | { readonly status: 'duplicate'; readonly result: EventResult }
  | { readonly status: 'rejected'; readonly problem: Problem }
  /** Valid, but not stored because an atomic batch had an invalid event. */
  | { readonly status: 'not_stored' };

export interface IngestReport {
  readonly outcomes: readonly IngestOutcome[];
  readonly accepted: number;
  readonly rejected: number;
}

export interface IngestDependencies {
  readonly store: EventStore;
  readonly writer: GroupCommitWriter;
  readonly enricher: Enricher;
  /** Detection, and with it the response (respond/responder.ts) when one is configured. */
  readonly detector: {
    score(...args: Parameters<Detector['score']>): Verdict & { readonly response?: PlannedResponse };
    revert?(responses: readonly PlannedResponse[]): void;
  };
  readonly bus: Bus;
  readonly clock: Clock;
}

type Pending = { index: number; event: ActivityEvent };

/**
 * The ingest pipeline: validate, de-duplicate, enrich, score, store durably, publish. The HTTP API,
 * the NDJSON stream and the CLI import all come through here, so they accept and refuse the same.
 */
export class IngestService {
  /** The batch being scored; the next waits for it, so that detection sees batches in arrival order. */
  private scoring: Promise<void> = Promise.resolve();
  /** Client ids being processed right now, so two concurrent sends of one id store it once. */
  private readonly inFlight = new Map<string, Promise<EventResult | undefined>>();

  constructor(private readonly deps: IngestDependencies) {}

  async ingest(raws: readonly unknown[], options: { readonly atomic?: boolean } = {}): Promise<IngestReport> {
    const now = this.deps.clock.now();
    const outcomes: IngestOutcome[] = new Array(raws.length);
    const valid: Pending[] = [];
    raws.forEach((raw, index) => {
      const checked = validateEvent(raw, now);
      if (checked.ok) valid.push({ index, event: checked.value });
      else outcomes[index] = { status: 'rejected', problem: checked.error };
    });
    const rejected = raws.length - valid.length;
    if (options.atomic && rejected > 0) {
      for (const { index } of valid) outcomes[index] = { status: 'not_stored' };
      return { outcomes, accepted: 0, rejected };
    }

    // Idempotency: an id is stored once. Repeats are answered with the first answer, whether the
    // first copy is already stored, earlier in this batch, or being processed by another request.
    const fresh: Pending[] = [];
    const claimed: Pending[] = [];
    const laterInBatch: Array<{ index: number; id: string }> = [];
    const otherRequest = new Map<string, Promise<EventResult | undefined>>();
    const claims = new Map<string, (result: EventResult | undefined) => void>();
    for (const p of valid) {
      const id = p.event.id;
      if (id === undefined) fresh.push(p);
      else if (claims.has(id) || otherRequest.has(id)) laterInBatch.push({ index: p.index, id });
      else {
        const running = this.inFlight.get(id);
        if (running) otherRequest.set(id, running);
        else {
          // Claimed synchronously, before any await, so that a concurrent request sees the claim.
          this.inFlight.set(id, new Promise((resolve) => claims.set(id, resolve)));
          claimed.push(p);
        }
        if (running) laterInBatch.push({ index: p.index, id });
      }
    }

    const results = new Map<string, EventResult>();
    try {
      const before = claimed.length > 0 ? await this.deps.store.findResults([...claims.keys()]) : new Map();
      for (const p of claimed) {
        const earlier = before.get(p.event.id as string);
        if (earlier) {
          results.set(p.event.id as string, earlier);
          outcomes[p.index] = { status: 'duplicate', result: earlier };
        } else fresh.push(p);
      }
      fresh.sort((a, b) => a.index - b.index);
      const processed = await this.process(fresh, now);
      processed.forEach((s, i) => {
        results.set(s.id, s.result);
        outcomes[(fresh[i] as Pending).index] = { status: s.duplicateOf ? 'duplicate' : 'stored', result: s.result };
      });
    } finally {
      for (const [id, resolve] of claims) {
        this.inFlight.delete(id);
        resolve(results.get(id));
      }
    }

    for (const { index, id } of laterInBatch) {
      const result = results.get(id) ?? (await otherRequest.get(id));
      outcomes[index] = result
        ? { status: 'duplicate', result }
        : {
            status: 'rejected',
            problem: { code: 'internal_error', message: `A concurrent request with id ${id} failed; send it again.` },
          };
    }
    return { outcomes, accepted: valid.length, rejected };
  }

  private async process(batch: readonly Pending[], now: number): Promise<Array<StoredEvent & { duplicateOf?: true }>> {
    if (batch.length === 0) return [];
    // Scoring is taken in arrival order, one batch at a time; the write is not: the next batch is
    // scored while this one is being committed (in the SQLite writer thread, on another core).
    const scored = this.scoring.then(() => this.score(batch, now));
    this.scoring = scored.then(
      () => {},
      () => {},
    );
    const { events, learnt, stored, alerts, raised, responses } = await scored;

    // Locks are written with the events that caused them: an acknowledged `block` is never lost.
    const locks: LockWrite[] = [];
    for (const r of responses) {
      if (r.locked) locks.push({ user: r.user, lock: r.locked, at: now });
      else if (r.unlocked) locks.push({ user: r.user, lock: null, at: now });
    }
    let raced: ReadonlySet<string>;
    try {
      raced = await this.deps.writer.write(stored, learnt, alerts, locks);
    } catch (error) {
      // What novelty learnt from these events never reached the store: forget it, read again later.
      this.deps.enricher.forget(events.map((e) => e.user));
      this.deps.detector.revert?.(responses);
      throw error;
    }
    const written = raced.size === 0 ? stored : stored.filter((s) => !raced.has(s.id));
    if (written.length > 0) await this.deps.bus.publish('events.stored', written);
    if (raised.size > 0) await this.deps.bus.publish('alert.raised', [...raised.values()]);
    const updated = latestUpdates(alerts, raised);
    if (updated.length > 0) await this.deps.bus.publish('alert.updated', updated);
    if (responses.length > 0) await this.deps.bus.publish('response.planned', responses);
    if (raced.size === 0) return stored;

    // Another process stored some of these ids between our lookup and our commit: answer with theirs.
    const theirs = await this.deps.store.findResults([...raced]);
    return stored.map((s) => {
      const result = raced.has(s.id) ? theirs.get(s.id) : undefined;
      return result ? { ...s, result, duplicateOf: true as const } : s;
    });
  }

  /** Enriches and scores a batch, in the order batches arrive (see process). */
  private async score(batch: readonly Pending[], now: number) {
    const events = batch.map((p) => p.event);
    const { enrichments, learnt } = await this.deps.enricher.enrich(events);
    const alerts: Alert[] = [];
    // Alerts created (not merely updated) by this batch, in their latest state, for `alert.raised`.
    const raised = new Map<string, Alert>();
    const responses: PlannedResponse[] = [];
    const stored = events.map((event, i): StoredEvent => {
      const withId = { ...event, id: event.id ?? newId('evt', now) };
      const enrichment = enrichments[i] as StoredEvent['enrichment'];
      const verdict = this.deps.detector.score(withId, enrichment);
      if (verdict.alert) {
        alerts.push(verdict.alert);
        if (verdict.alert.occurrences === 1 || raised.has(verdict.alert.id)) raised.set(verdict.alert.id, verdict.alert);
      }
      if (verdict.response) responses.push(verdict.response);
      const result: EventResult = {
        id: withId.id,
        decision: verdict.decision,
        risk: verdict.risk,
        severity: verdict.severity,
        reasons: [...verdict.reasons],
        ...(verdict.alertId !== undefined && { alertId: verdict.alertId }),
        ...(verdict.suppressed !== undefined && verdict.suppressed.length > 0 && { suppressed: [...verdict.suppressed] }),
      };
      return { ...withId, receivedAt: now, enrichment, result };
    });

    return { events, learnt, stored, alerts, raised, responses };
  }
}

/** Alerts this batch repeated without raising them, each once, in its latest state. */
function latestUpdates(alerts: readonly Alert[], raised: ReadonlyMap<string, Alert>): Alert[] {
  const latest = new Map<string, Alert>();
  for (const a of alerts) if (!raised.has(a.id)) latest.set(a.id, a);
  return [...latest.values()];
}
