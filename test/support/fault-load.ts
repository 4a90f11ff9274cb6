import pg from 'pg';
import { expect } from 'vitest';

/** Polls `probe` until it gives a value (a throw counts as not yet), or fails after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve()
      .then(probe)
      .catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What a client got for one event: its status (0: no answer at all, the process was gone). */
export interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
}

/**
 * Clients sending events one after another while a test breaks things, and what each got: the status
 * of each event id. Each event has an id of its own, `<idPrefix>_<client>_<n>` (n counts over all
 * clients), so that the test can look each one up in the database afterwards.
 */
export class Load {
  readonly answered = new Map<string, number>();
  missingRetryAfter = 0;
  private sent = 0;
  private running = true;
  private readonly clients: Promise<void>[];

  constructor(
    send: (id: string, n: number, client: number) => Promise<Answer>,
    options: { readonly clients?: number; readonly idPrefix?: string } = {},
  ) {
    const { clients = 3, idPrefix = 'evt_fault' } = options;
    this.clients = [...Array(clients).keys()].map(async (c) => {
      while (this.running) {
        const n = this.sent++;
        const id = `${idPrefix}_${c}_${n}`;
        const answer = await send(id, n, c).catch(() => ({ status: 0, retryAfter: null }));
        this.answered.set(id, answer.status);
        if (answer.status === 503 && answer.retryAfter === null) this.missingRetryAfter++;
        // A refused connection answers at once: do not spin while the process is down.
        if (answer.status === 0) await new Promise((r) => setTimeout(r, 20));
      }
    });
  }

  count(status: number): number {
    return [...this.answered.values()].filter((s) => s === status).length;
  }

  /** Waits for `n` more answers of `status` (0: failed requests). */
  async more(what: string, status: number, n: number, timeoutMs = 20_000): Promise<void> {
    const target = this.count(status) + n;
    await until(what, () => (this.count(status) >= target ? true : undefined), timeoutMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.clients);
  }
}

/** Every id answered 2xx is stored in PostgreSQL exactly once. */
export async function storedOnce(databaseUrl: string, ids: readonly string[]): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ id: string; n: string }>('select id, count(*) as n from events where id = any($1) group by id', [
      ids,
    ]);
    expect(rows.length).toBe(ids.length);
    expect(rows.every((r) => Number(r.n) === 1)).toBe(true);
  } finally {
    await db.end();
  }
}
