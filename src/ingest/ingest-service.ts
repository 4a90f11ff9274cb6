import { setImmediate } from 'node:timers';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { EVENT_ID_PREFIX, newId } from '../core/ids.js';
import type { Detector } from '../detect/detector.js';
import type { ActivityEvent, StoredEvent } from '../domain/activity-event.js';
import type { Alert } from '../domain/alert.js';
import type { EventResult } from '../domain/event-schema.js';
import type { LockWrite } from '../domain/lock.js';
import type { OwedEffects } from '../domain/owed-effects.js';
import type { PlannedResponse, ResponseStep } from '../domain/response.js';
import type { Enricher } from '../enrich/enricher.js';
import type { SeenRecord } from '../enrich/novelty.js';
import { lockWrites, type Responder } from '../respond/responder.js';
import { Deduplicator, type Pending } from './deduplicator.js';
import type { GroupCommitWriter } from './group-commit.js';
import type { PendingEffects } from './pending-effects.js';
import type { CommitReceipt, EventStore } from './ports.js';
import { validateEvent } from './validate-event.js';

/** What happened to one submitted event. */
export type IngestOutcome =
  | { readonly status: 'stored'; readonly result: EventResult }
  /** Its id was stored before: the first answer is returned and nothing is written. */
  | { readonly status: 'duplicate'; readonly result: EventResult }
  | { readonly status: 'rejected'; readonly problem: Problem }
  /** Valid, but not stored because an atomic batch had an invalid event. */
  | { readonly status: 'not_stored' }
  /**
   * The distributed mode's api only: the owner of its partition did not answer in time, while other
   * parts of the batch were stored. It may have been stored too (an owner that answered too late):
   * sent again with `id`, the id the api gave it if it came without one, it is stored once.
   */
  | { readonly status: 'unanswered'; readonly id: string; readonly problem: Problem };

export interface IngestReport {
  readonly outcomes: readonly IngestOutcome[];
  readonly accepted: number;
  readonly rejected: number;
}

/** One dependency per step of the pipeline, in its order. */
export interface IngestDependencies {
  /** De-duplicate: the answers of ids stored before. */
  readonly store: EventStore;
  readonly enricher: Enricher;
  /**
   * Detect: before scoring, the open alerts these events may grow are read in full if a start left
   * them as heads (detect/alert-book.ts); undefined when there is nothing to read.
   */
  readonly openAlerts?: { loadFor(events: readonly ActivityEvent[]): Promise<void> | undefined };
  readonly detector: Detector;
  /** Plan the response (a pure planner) and apply it to the locks in memory. */
  readonly responder: Responder;
  /** Write: events, alerts and locks in one transaction. */
  readonly writer: GroupCommitWriter;
  /** Publish what was committed. */
  readonly bus: Bus;
  /** What a batch owes once committed (raised alerts' announcements, responses), stored with it. */
  readonly effects: PendingEffects;
  readonly clock: Clock;
}

/** One call's events in a gathering (see IngestService.gather), and when the call was received. */
interface GatheredCall {
  readonly batch: readonly Pending[];
  readonly now: number;
  /** Where its events start in the gathering's. */
  readonly first: number;
}

/**
 * The calls scored as one batch: those that arrived while the batch before them was being scored.
 * Closed (no call joins it any more) when its scoring starts.
 */
interface Gathering {
  readonly calls: GatheredCall[];
  events: number;
  /** Scored, written and published: what each call's answer is read from. */
  readonly done: Promise<Committed>;
}

/** A gathering after the write and the publication. */
interface Committed {
  readonly stored: readonly StoredEvent[];
  /** Ids another process stored first, with its answers. */
  readonly theirs: ReadonlyMap<string, EventResult> | undefined;
}

/**
 * Calls are gathered up to this many events: a call is never split, and a larger one is a gathering
 * of its own. Bounds what one turn of scoring holds up (about the cost of one batch of 500).
 */
const GATHER_MAX_EVENTS = 500;

/** A batch after detection and response, before the write. */
interface Scored {
  readonly events: readonly ActivityEvent[];
  readonly learnt: readonly SeenRecord[];
  readonly stored: readonly StoredEvent[];
  /** Alerts raised or updated, in the order the events touched them. */
  readonly alerts: readonly Alert[];
  /** Alerts created (not merely updated) by this batch, in their latest state, for `alert.raised`. */
  readonly raised: ReadonlyMap<string, Alert>;
  readonly steps: readonly ResponseStep[];
  readonly locks: readonly LockWrite[];
  /** What each call owes once committed (one row per call that raised an alert or planned a response), with the alerts it raised. */
  readonly owed: ReadonlyArray<{ readonly row: OwedEffects; readonly raised: readonly string[] }>;
}

/**
 * The ingest pipeline, in named steps:
 *
 *   validate → de-duplicate → enrich → detect → plan the response → write → publish, carry out
 *
 * The HTTP API, the NDJSON stream and the CLI import all come through `ingest`, so they accept and
 * refuse the same. Enrich, detect and respond run in arrival order, one batch at a time (detection
 * state is sequential); the write of one batch overlaps the scoring of the next. Calls that arrive
 * while a batch is being scored are gathered and scored as the next batch, in the order they came:
 * fifty clients sending one event each share each step's fixed cost (the look-ups before scoring,
 * the write's hand-over, the bus's deliveries) instead of paying it once per event. An idle pipeline
 * waits only for the end of the event loop's turn (see endOfTurn). Each step is its own unit behind a
 * port, so that a worker process can run the stateful middle (enrich, detect, respond) for the users
 * it owns and another the rest.
 */
export class IngestService {
  /** The batch being scored; the next waits for it, so that detection sees batches in arrival order. */
  private scoring: Promise<void> = Promise.resolve();
  /** Calls waiting for the batch being scored, to be scored together after it. */
  private gathering: Gathering | undefined;
  private readonly deduplicator: Deduplicator;
  /**
   * Receipt times of the calls under way (how many share each). A batch is scored in the order it
   * joins the scoring queue, which is not always the order of receipt (de-duplication awaits the
   * store first), so what a detection snapshot holds is known by the oldest receipt not yet done.
   */
  private readonly underWay = new Map<number, number>();

  constructor(private readonly deps: IngestDependencies) {
    this.deduplicator = new Deduplicator(deps.store);
  }

  /** The receipt time of the oldest call under way, if any: events received since may not be scored yet. */
  oldestUnscored(): number | undefined {
    let oldest: number | undefined;
    for (const at of this.underWay.keys()) if (oldest === undefined || at < oldest) oldest = at;
    return oldest;
  }

  async ingest(raws: readonly unknown[], options: IngestOptions = {}): Promise<IngestReport> {
    const now = this.deps.clock.now();
    this.underWay.set(now, (this.underWay.get(now) ?? 0) + 1);
    try {
      return await this.ingestReceived(raws, options, now);
    } finally {
      const left = (this.underWay.get(now) ?? 1) - 1;
      if (left === 0) this.underWay.delete(now);
      else this.underWay.set(now, left);
    }
  }

  private async ingestReceived(raws: readonly unknown[], options: IngestOptions, now: number): Promise<IngestReport> {
    // 1. Validate: every event on its own; an atomic batch with one invalid event stores none.
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

    // 2. De-duplicate: an id is stored once; repeats get the first answer.
    const claim = await this.deduplicator.claim(valid, options.newIds);
    const results = new Map<string, EventResult>();
    try {
      for (const { pending, result } of claim.storedBefore) {
        results.set(pending.event.id as string, result);
        outcomes[pending.index] = { status: 'duplicate', result };
      }
      // 3–7. Enrich, detect, respond, write, publish.
      const processed = await this.process(claim.fresh, now);
      processed.forEach((s, i) => {
        results.set(s.id, s.result);
        outcomes[(claim.fresh[i] as Pending).index] = { status: s.duplicateOf ? 'duplicate' : 'stored', result: s.result };
      });
    } finally {
      claim.settle(results);
    }
    for (const { index, id, result } of await claim.repeats(results)) {
      outcomes[index] = result ? { status: 'duplicate', result } : { status: 'rejected', problem: concurrentFailure(id) };
    }
    return { outcomes, accepted: valid.length, rejected };
  }

  private async process(batch: readonly Pending[], now: number): Promise<Array<StoredEvent & { duplicateOf?: true }>> {
    if (batch.length === 0) return [];
    const call = this.gather(batch, now);
    const { stored, theirs } = await call.gathering.done;
    const mine = stored.slice(call.first, call.first + batch.length);
    if (theirs === undefined) return mine;
    // Another process stored some of these ids between our lookup and our commit: answer with theirs.
    return mine.map((s) => {
      const result = theirs.get(s.id);
      return result ? { ...s, result, duplicateOf: true as const } : s;
    });
  }

  /**
   * Puts the call into the gathering that waits for the batch being scored, or opens one. Scoring is
   * taken in arrival order, one gathering at a time; the write is not: the next gathering is scored
   * while this one is being committed (in the SQLite writer thread, on another core).
   */
  private gather(batch: readonly Pending[], now: number): GatheredCall & { readonly gathering: Gathering } {
    let gathering = this.gathering;
    if (gathering === undefined || gathering.events + batch.length > GATHER_MAX_EVENTS) {
      const calls: GatheredCall[] = [];
      const scored = this.scoring.then(endOfTurn).then(() => {
        if (this.gathering?.calls === calls) this.gathering = undefined;
        return this.score(calls);
      });
      this.scoring = scored.then(
        () => {},
        () => {},
      );
      gathering = { calls, events: 0, done: scored.then((s) => this.commit(s)) };
      this.gathering = gathering;
    }
    const call = { batch, now, first: gathering.events };
    gathering.calls.push(call);
    gathering.events += batch.length;
    return { ...call, gathering };
  }

  /** Steps 3 to 5, in the order batches arrive (see gather): enrich, detect, plan the response. */
  private async score(calls: readonly GatheredCall[]): Promise<Scored> {
    const events: ActivityEvent[] = [];
    for (const call of calls) for (const p of call.batch) events.push(p.event);
    // Both read the store: awaited together, so that one failing never leaves the other's failure unhandled.
    const loading = this.deps.openAlerts?.loadFor(events);
    const [{ enrichments, learnt }] = await Promise.all([this.deps.enricher.enrich(events), loading]);
    const alerts: Alert[] = [];
    const raised = new Map<string, Alert>();
    const steps: ResponseStep[] = [];
    const locks: LockWrite[] = [];
    const stored: StoredEvent[] = [];
    /** Per call: the alerts it raised and the follow-ups it planned, for its row of what it owes. */
    const owing: Array<{ user: string; now: number; raised: string[]; followUps: PlannedResponse[] }> = [];
    try {
      for (const { batch, now, first } of calls) {
        const raisedHere: string[] = [];
        const followUps: PlannedResponse[] = [];
        const stepsFrom = steps.length;
        batch.forEach(({ event }, i) => {
          const withId = { ...event, id: event.id ?? newId(EVENT_ID_PREFIX, now) };
          const enrichment = enrichments[first + i] as StoredEvent['enrichment'];
          const detected = this.deps.detector.score(withId, enrichment);
          const { verdict, steps: responded } = this.deps.responder.respond(withId, detected);
          for (const step of responded) {
            steps.push(step);
            if (step.kind === 'follow_up') followUps.push(step.response);
          }
          const alert = verdict.alert;
          if (alert) {
            alerts.push(alert);
            if (alert.occurrences === 1 || raised.has(alert.id)) {
              if (!raised.has(alert.id)) raisedHere.push(alert.id);
              raised.set(alert.id, alert);
            }
          }
          const result: EventResult = {
            id: withId.id,
            decision: verdict.decision,
            risk: verdict.risk,
            severity: verdict.severity,
            reasons: [...verdict.reasons],
            ...(verdict.alertId !== undefined && { alertId: verdict.alertId }),
            ...(verdict.suppressed !== undefined && verdict.suppressed.length > 0 && { suppressed: [...verdict.suppressed] }),
          };
          stored.push({ ...withId, receivedAt: now, enrichment, result });
        });
        locks.push(...lockWrites(steps.slice(stepsFrom), now));
        owing.push({ user: batch[0]?.event.user ?? '', now, raised: raisedHere, followUps });
      }
    } catch (error) {
      // Nothing of the gathering will be stored: memory is put back as after a failed write.
      this.putBack(events, steps);
      throw error;
    }
    // What each call owes is a row of its own, as when it was scored alone: in the distributed mode a
    // row belongs to the partition of its first event's user. Made once nothing can fail before the
    // write, which cancels them if it fails.
    const owed: Array<{ row: OwedEffects; raised: string[] }> = [];
    for (const call of owing) {
      const row = this.deps.effects.owe(
        call.user,
        call.raised.map((id) => raised.get(id) as Alert),
        call.followUps,
        call.now,
      );
      if (row) owed.push({ row, raised: call.raised });
    }
    return { events, learnt, stored, alerts, raised, steps, locks, owed };
  }

  /** Steps 6 and 7: the write, then the publication; the answers of ids another process stored first. */
  private async commit(scored: Scored): Promise<Committed> {
    const { duplicates: raced, alertOccurrences } = await this.write(scored);
    await this.publish(scored, raced, alertOccurrences);
    return { stored: scored.stored, theirs: raced.size === 0 ? undefined : await this.deps.store.findResults([...raced]) };
  }

  /**
   * Step 6: events, what enrichment learnt, alerts, locks and what the batch owes once committed in
   * one transaction, so an acknowledged `block` is never lost, nor the lock's announcement. Returns the ids another process stored first. If the write fails, memory
   * is put back: novelty forgets what it learnt, locks return to what they were.
   */
  private async write(scored: Scored): Promise<CommitReceipt> {
    try {
      const owed = scored.owed.map((o) => o.row);
      return await this.deps.writer.write(scored.stored, scored.learnt, scored.alerts, scored.locks, owed);
    } catch (error) {
      this.putBack(scored.events, scored.steps);
      for (const { row } of scored.owed) this.deps.effects.cancel(row);
      throw error;
    }
  }

  /** Events that will not be stored: novelty forgets what it learnt of them, locks return to what they were. */
  private putBack(events: readonly ActivityEvent[], steps: readonly ResponseStep[]): void {
    this.deps.enricher.forget(events.map((e) => e.user));
    this.deps.responder.revert(steps);
  }

  /**
   * Step 7: what was committed, for the live feed, webhooks, the monitor; then what the batch owes
   * (raised alerts' announcements, the responses) is carried out in the background, and its row
   * deleted once done.
   */
  private async publish(scored: Scored, raced: ReadonlySet<string>, occurrences: ReadonlyMap<string, number>): Promise<void> {
    const written = raced.size === 0 ? scored.stored : scored.stored.filter((s) => !raced.has(s.id));
    if (written.length > 0) await this.deps.bus.publish('events.stored', written);
    for (const { row, raised } of scored.owed)
      this.deps.effects.carryOut(
        row,
        raised.map((id) => scored.raised.get(id) as Alert),
      );
    const updated = latestUpdates(scored.alerts, scored.raised, occurrences);
    if (updated.length > 0) await this.deps.bus.publish('alert.updated', updated);
  }
}

/**
 * Resolves once the event loop has read what its sockets hold: requests arrive one per socket read,
 * each carried to the pipeline in microtasks of its own, so a gathering left open until then holds
 * every request that came in together.
 */
const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function concurrentFailure(id: string): Problem {
  return { code: 'internal_error', message: `A concurrent request with id ${id} failed; send it again.` };
}

/**
 * Alerts this batch repeated without raising them, each once, in its latest state, with the count
 * stored where the commit stored another (other workers grew it too).
 */
function latestUpdates(alerts: readonly Alert[], raised: ReadonlyMap<string, Alert>, occurrences: ReadonlyMap<string, number>): Alert[] {
  const latest = new Map<string, Alert>();
  for (const a of alerts) if (!raised.has(a.id)) latest.set(a.id, a);
  return [...latest.values()].map((a) => {
    const stored = occurrences.get(a.id);
    return stored === undefined ? a : { ...a, occurrences: stored };
  });
}

/**
 * What the HTTP routes, the NDJSON stream and `vigil import` call: this pipeline in process, or, in
 * an api process of the distributed mode, the hop to the worker that owns each event's partition
 * (cluster/).
 */
export interface IngestOptions {
  /** All or nothing: one invalid event and none is stored. */
  readonly atomic?: boolean;
  /**
   * Ids nobody can have stored before (the distributed mode's api made them for this first try):
   * de-duplication does not look them up in the store.
   */
  readonly newIds?: ReadonlySet<string>;
  /**
   * One chunk of a stream whose earlier chunks are stored (several processes only): when no event of
   * it is answered in time, each is answered `unanswered` with its id, as in a batch answered in part,
   * instead of the call failing with `busy`; the stream must say which of its events to send again.
   */
  readonly partOfStream?: boolean;
}

export interface EventIngest {
  ingest(raws: readonly unknown[], options?: IngestOptions): Promise<IngestReport>;
}
