import type { Problem } from '../core/errors.js';
import type { EventResult } from '../domain/event-schema.js';
import type { IngestOutcome, IngestReport } from '../ingest/ingest-service.js';

type BatchAnswer = { readonly results?: ReadonlyArray<{ readonly error?: Problem } & Record<string, unknown>>; readonly error?: Problem };

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
  ) {}

  ingest(raws: readonly unknown[]): Promise<IngestReport> {
    const next = this.queue.then(() => this.send(raws));
    this.queue = next.catch(() => {});
    return next;
  }

  private async send(raws: readonly unknown[]): Promise<IngestReport> {
    const res = await fetch(`${this.baseUrl.replace(/\/+$/, '')}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: raws }),
    });
    const answer = (await res.json().catch(() => ({}))) as BatchAnswer;
    if (!answer.results || answer.results.length !== raws.length) {
      throw new Error(`${this.baseUrl} answered ${res.status}${answer.error ? ` ${answer.error.code}: ${answer.error.message}` : ''}`);
    }
    const outcomes: IngestOutcome[] = answer.results.map((r) =>
      r.error ? { status: 'rejected', problem: r.error } : { status: 'stored', result: r as unknown as EventResult },
    );
    const rejected = outcomes.filter((o) => o.status === 'rejected').length;
    return { outcomes, accepted: outcomes.length - rejected, rejected };
  }
}
