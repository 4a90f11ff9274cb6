import type { Problem } from '../core/errors.js';
import type { EventResult } from '../domain/event-schema.js';
import type { IngestOutcome, IngestReport } from '../ingest/ingest-service.js';

type BatchAnswer = {
  readonly results?: ReadonlyArray<{ readonly error?: Problem & { readonly id?: string } } & Record<string, unknown>>;
  readonly error?: Problem;
};

/**
 * `vigil import --url`: the import's events sent through a running Vigil's API (POST /v1/events,
 * batches of at most 1000), so that the server scores them live and its detection learns them at
 * once. Writing into its database directly would leave the running server's in-memory history
 * without them until it restarts. One batch at a time: events keep their order.
 */
export class RemoteIngest {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
    /** How many times events answered `busy` are sent again, a second apart, before they count as rejected. */
    private readonly busyRetries = 30,
    private readonly pause: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  ingest(raws: readonly unknown[]): Promise<IngestReport> {
    const next = this.queue.then(() => this.send(raws));
    this.queue = next.catch(() => {});
    return next;
  }

  private async send(raws: readonly unknown[]): Promise<IngestReport> {
    const first = await this.post(raws);
    // Nothing of it answered: nothing of it known stored, and its events may have no ids to send again with.
    if (first === 'busy')
      throw new Error(`${this.baseUrl} answered 503 busy: no worker answered in time; nothing of this batch is known stored`);
    const outcomes = first;
    // Several processes: events no worker answered in time come back `busy` with the id Vigil gave
    // them. Sent again with it, each is stored once, even if its first try was stored after all.
    for (let round = 1; round <= this.busyRetries; round++) {
      const busy = outcomes.flatMap((o, index) => (o.status === 'unanswered' ? [{ index, id: o.id }] : []));
      if (busy.length === 0) break;
      await this.pause(1000);
      // They are often all of one partition, still without an owner: then the whole answer is a 503.
      const again = await this.post(busy.map(({ index, id }) => ({ ...(raws[index] as object), id })));
      if (again === 'busy') continue;
      busy.forEach(({ index }, i) => {
        outcomes[index] = again[i] as IngestOutcome;
      });
    }
    const rejected = outcomes.filter((o) => o.status !== 'stored').length;
    return { outcomes, accepted: outcomes.length - rejected, rejected };
  }

  /** The batch's outcomes, or `busy` when no part of it was answered (a 503 `busy`). */
  private async post(raws: readonly unknown[]): Promise<IngestOutcome[] | 'busy'> {
    const res = await fetch(`${this.baseUrl.replace(/\/+$/, '')}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: raws }),
    });
    const answer = (await res.json().catch(() => ({}))) as BatchAnswer;
    if (res.status === 503 && answer.error?.code === 'busy') return 'busy';
    if (!answer.results || answer.results.length !== raws.length) {
      throw new Error(`${this.baseUrl} answered ${res.status}${answer.error ? ` ${answer.error.code}: ${answer.error.message}` : ''}`);
    }
    return answer.results.map((r): IngestOutcome => {
      if (!r.error) return { status: 'stored', result: r as unknown as EventResult };
      const { id, ...problem } = r.error;
      return problem.code === 'busy' && id !== undefined ? { status: 'unanswered', id, problem } : { status: 'rejected', problem };
    });
  }
}
