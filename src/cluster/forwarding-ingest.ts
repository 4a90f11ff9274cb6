import type { NatsConnection } from 'nats';
import type { Clock } from '../core/clock.js';
import { ProblemError } from '../core/errors.js';
import { EVENT_ID_PREFIX, newId } from '../core/ids.js';
import type { EventIngest, IngestOptions, IngestOutcome, IngestReport } from '../ingest/ingest-service.js';
import { validateEvent } from '../ingest/validate-event.js';
import type { VigilMetrics } from '../metrics/metrics.js';
import { ConnectionWatch } from './connection-watch.js';
import { type ClusterNames, partitionOf } from './partitions.js';
import type { ShareMarks } from './source-share.js';

export interface ForwardSettings {
  readonly partitions: number;
  /** How long one owner may take to answer before the api asks again (the owner may have died). */
  readonly attemptTimeoutMs?: number;
  /**
   * How long the api keeps trying before it answers 503 with `retry-after`: enough for a dead
   * worker's partitions to be taken over (leases expire in 6 s and are looked for every second).
   */
  readonly deadlineMs?: number;
}

/** What an api process sends a partition's owner, and what the owner answers. */
export interface ForwardRequest {
  readonly events: readonly unknown[];
  readonly atomic: boolean;
  /**
   * Ids this api gave to events that came without one, on the first try only: nobody can have stored
   * them before, so the owner need not look them up (a retry may follow a try that was stored).
   */
  readonly minted?: readonly string[];
  /**
   * The highest share number this api has had in an answer from each worker (source-share.ts): the
   * owner scores these events once it has had those shares, so across a NATS cluster too an event is
   * scored after the events of other workers this api was answered for before sending it.
   */
  readonly after?: ShareMarks;
}
/**
 * `notOwner`: the worker that answered may not serve the partition at this moment (its lease may have
 * run out: NATS was away, its event loop held up); the api asks again in a moment, as when nobody owns it.
 * `shared`: the answering worker and the number of the last share it sent, all of this report's included.
 */
export type ForwardReply =
  | { readonly report: IngestReport; readonly shared?: { readonly origin: string; readonly seq: number } }
  | { readonly failed: string }
  | { readonly notOwner: number };

/** How long an api names a worker's last share number after that worker's last answer to it. */
const SHARE_MARK_MS = 10 * 60_000;

/** A worker pause between tries while a partition has no owner (a failover under way). */
const NO_OWNER_PAUSE_MS = 250;

/**
 * The api role's ingest: validates each event here (a client mistake is answered without a hop),
 * gives an id to each event that has none, so that a retry on another owner after a failover is the
 * same event (stored once, alerted once: the pipeline's de-duplication and the store's unique ids),
 * then sends each partition's events to its owner over NATS request/reply and answers with the
 * owner's outcomes. No answer within the deadline for any part: 503 `busy` with `retry-after`; for
 * some parts only, those parts' events are answered `unanswered` (a 207 with `busy` and each event's
 * id) and the others as stored. Never an answer of stored for an event that was not committed.
 */
export class ForwardingIngest implements EventIngest {
  private readonly attemptTimeoutMs: number;
  private readonly deadlineMs: number;
  private readonly link: ConnectionWatch;
  /**
   * The highest share number had in an answer from each worker (`ForwardRequest.after`), and when.
   * A worker not heard from for SHARE_MARK_MS is left out: its shares have long been delivered, and
   * each worker start would otherwise add a name to every request for good.
   */
  private readonly shareMarks = new Map<string, { readonly seq: number; readonly at: number }>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly names: ClusterNames,
    private readonly settings: ForwardSettings,
    private readonly clock: Clock,
    private readonly metrics: VigilMetrics,
  ) {
    this.attemptTimeoutMs = settings.attemptTimeoutMs ?? 5000;
    this.deadlineMs = settings.deadlineMs ?? 12_000;
    this.link = new ConnectionWatch(nc);
  }

  async ingest(raws: readonly unknown[], options: IngestOptions = {}): Promise<IngestReport> {
    const now = this.clock.now();
    const outcomes: IngestOutcome[] = new Array(raws.length);
    const groups = new Map<number, { indexes: number[]; events: unknown[] }>();
    /** The valid events in the batch's order, for when they must be sent in that order (below). */
    const routed: Routed[] = [];
    const minted = new Set<string>();
    let rejected = 0;
    raws.forEach((raw, index) => {
      const checked = validateEvent(raw, now);
      if (!checked.ok) {
        outcomes[index] = { status: 'rejected', problem: checked.error };
        rejected++;
        return;
      }
      const partition = partitionOf(checked.value.user, this.settings.partitions);
      let group = groups.get(partition);
      if (!group) {
        group = { indexes: [], events: [] };
        groups.set(partition, group);
      }
      const id = checked.value.id ?? newId(EVENT_ID_PREFIX, now);
      if (checked.value.id === undefined) minted.add(id);
      const event = { ...(raw as object), id };
      group.indexes.push(index);
      group.events.push(event);
      routed.push({ index, partition, event, ip: checked.value.ip, device: checked.value.device });
    });
    const accepted = raws.length - rejected;
    if (options.atomic && rejected > 0) {
      for (const group of groups.values()) for (const index of group.indexes) outcomes[index] = { status: 'not_stored' };
      return { outcomes, accepted: 0, rejected };
    }
    let busy: ProblemError | undefined;
    /** A part no owner answered in time: its events are answered `unanswered`, each with its id. */
    const unanswered = (parts: ReadonlyArray<{ index: number; event: unknown }>, error: unknown) => {
      if (!(error instanceof ProblemError) || error.problem.code !== 'busy') throw error;
      busy = error;
      for (const { index, event } of parts) {
        const id = (event as { id: string }).id;
        outcomes[index] = {
          status: 'unanswered',
          id,
          problem: {
            code: 'busy',
            message: `No worker answered for this event's partition in time (a failover may be under way); send it again with id ${id}.`,
          },
        };
      }
    };
    try {
      if (!options.atomic && groups.size > 1 && sharesSourceAcrossPartitions(routed))
        await this.sendInOrder(routed, outcomes, minted, unanswered);
      else
        await Promise.all(
          [...groups].map(async ([partition, group]) => {
            try {
              const report = await this.send(partition, { events: group.events, atomic: options.atomic ?? false }, minted);
              report.outcomes.forEach((outcome, i) => {
                outcomes[group.indexes[i] as number] = outcome;
              });
            } catch (error) {
              unanswered(
                group.indexes.map((index, i) => ({ index, event: group.events[i] })),
                error,
              );
            }
          }),
        );
    } finally {
      if (groups.size > 0) this.announceAnswered();
    }
    const notAnswered = outcomes.filter((o) => o.status === 'unanswered').length;
    // Nothing was answered: nothing of it is known stored, and the client sends it all again, as before
    // (a stream's chunk excepted: the chunks before it are stored, and its summary names these events).
    if (busy && notAnswered === accepted && !options.partOfStream) throw busy;
    // Some parts were stored and some not: answering 503 would have the client send the stored parts
    // again, under new ids where it gave none, so they would be stored twice. Each event gets its own
    // answer instead (a 207), the unanswered ones with the id to send them again with.
    return { outcomes, accepted: accepted - notAnswered, rejected: rejected + notAnswered };
  }

  /**
   * Every part of a batch is answered, so every worker that stored some of it has shared it
   * (source-share.ts): the worker counting for the volume monitor judges the minutes now, over all
   * of the batch, as one process does once a batch is stored. Sent on the connection that carried
   * the batch, after the answers, so it reaches that worker after every part.
   */
  private announceAnswered(): void {
    try {
      this.nc.publish(this.names.answeredSubject);
    } catch {
      // NATS is away: the next batch's announcement judges these minutes too.
    }
  }

  /**
   * Rules that read across accounts (credential stuffing, card testing) judge an event against the
   * earlier events of its IP and device, whoever's they are, and each worker learns another's events
   * only once that one has stored them (source-share.ts). So when an IP or device of this batch has
   * events of users in different partitions, the batch goes in its own order: each run of consecutive
   * events of one partition to its owner, the next once that one has answered. One process scores a
   * batch in its order; so does this.
   */
  private async sendInOrder(
    routed: readonly Routed[],
    outcomes: IngestOutcome[],
    minted: ReadonlySet<string>,
    unanswered: (parts: readonly Routed[], error: unknown) => void,
  ): Promise<void> {
    for (let start = 0; start < routed.length; ) {
      const partition = (routed[start] as Routed).partition;
      let end = start + 1;
      while (end < routed.length && (routed[end] as Routed).partition === partition) end++;
      const run = routed.slice(start, end);
      try {
        const report = await this.send(partition, { events: run.map((r) => r.event), atomic: false }, minted);
        report.outcomes.forEach((outcome, i) => {
          outcomes[(run[i] as Routed).index] = outcome;
        });
      } catch (error) {
        // The runs after it are not sent: they would be judged without the events before them.
        unanswered(routed.slice(start), error);
        return;
      }
      start = end;
    }
  }

  private async send(partition: number, request: ForwardRequest, minted: ReadonlySet<string>): Promise<IngestReport> {
    const deadline = Date.now() + this.deadlineMs;
    const ids = request.events.map((e) => (e as { id: string }).id).filter((id) => minted.has(id));
    const after = this.currentShareMarks();
    const encode = (withMinted: boolean) =>
      new TextEncoder().encode(JSON.stringify({ ...request, ...(withMinted && { minted: ids }), after }));
    let payload = encode(ids.length > 0);
    let firstTry = ids.length > 0;
    // After a try that may have been stored (by an owner that answered too late, or by the next owner
    // beside one that said it is not the owner), the next ones are looked up like any other.
    const lookUpFromNowOn = () => {
      if (!firstTry) return;
      payload = encode(false);
      firstTry = false;
    };
    const subject = this.names.ingestSubject(partition);
    for (;;) {
      // While NATS is away, a try would only wait out its timeout after NATS is back (connection-watch.ts).
      if (!(await this.link.connected(deadline))) break;
      const left = deadline - Date.now();
      if (left <= 0) break;
      try {
        const reply = await this.nc.request(subject, payload, { timeout: Math.min(this.attemptTimeoutMs, left) });
        const answer = JSON.parse(new TextDecoder().decode(reply.data)) as ForwardReply;
        if ('notOwner' in answer) {
          lookUpFromNowOn();
          this.metrics.forwarded.inc({ outcome: 'no_owner' });
          await this.pause(deadline);
          continue;
        }
        if ('failed' in answer) {
          this.metrics.forwarded.inc({ outcome: 'failed' });
          throw new Error(`the owner of partition ${partition} failed: ${answer.failed}`);
        }
        this.metrics.forwarded.inc({ outcome: 'answered' });
        const shared = answer.shared;
        if (shared !== undefined && shared.seq >= (this.shareMarks.get(shared.origin)?.seq ?? 0)) {
          this.shareMarks.set(shared.origin, { seq: shared.seq, at: performance.now() });
        }
        return answer.report;
      } catch (error) {
        lookUpFromNowOn();
        const code = (error as { code?: string }).code;
        // 503: nobody owns the partition right now; TIMEOUT: the owner may have died mid-request.
        // Both are asked again, with the same ids, until the deadline.
        if (code === '503') {
          this.metrics.forwarded.inc({ outcome: 'no_owner' });
          await this.pause(deadline);
        } else if (code === 'TIMEOUT') {
          this.metrics.forwarded.inc({ outcome: 'timeout' });
        } else if (code !== undefined && /^(CONNECTION_|DISCONNECT|CLOSED)/.test(code)) {
          // NATS itself is down or reconnecting: keep trying until the deadline.
          this.metrics.forwarded.inc({ outcome: 'disconnected' });
          await this.pause(deadline);
        } else throw error;
      }
    }
    throw new ProblemError({
      code: 'busy',
      message: `No worker answered for partition ${partition} in time (a failover may be under way); send the same events again.`,
    });
  }

  /** The marks to send with a request, without those of workers not heard from for a while. */
  private currentShareMarks(): ShareMarks {
    const marks: Record<string, number> = {};
    const oldest = performance.now() - SHARE_MARK_MS;
    for (const [origin, mark] of this.shareMarks) {
      if (mark.at < oldest) this.shareMarks.delete(origin);
      else marks[origin] = mark.seq;
    }
    return marks;
  }

  /** Waits a moment before the next try, never past the deadline. */
  private async pause(deadline: number): Promise<void> {
    await new Promise((r) => setTimeout(r, Math.min(NO_OWNER_PAUSE_MS, Math.max(0, deadline - Date.now()))));
  }
}

/** A valid event of a batch, with where it goes and the sources other accounts may share. */
interface Routed {
  readonly index: number;
  readonly partition: number;
  readonly event: unknown;
  readonly ip: string | undefined;
  readonly device: string | undefined;
}

/** Whether some IP or device of the batch has events of users in different partitions. */
function sharesSourceAcrossPartitions(routed: readonly Routed[]): boolean {
  const partitionOfSource = new Map<string, number>();
  const seen = (key: string, partition: number): boolean => {
    const first = partitionOfSource.get(key);
    if (first === undefined) partitionOfSource.set(key, partition);
    return first !== undefined && first !== partition;
  };
  for (const r of routed) {
    if (r.ip !== undefined && seen(`ip\u0000${r.ip}`, r.partition)) return true;
    if (r.device !== undefined && seen(`device\u0000${r.device}`, r.partition)) return true;
  }
  return false;
}
