import type { ActivityEvent } from '../domain/activity-event.js';
import type { EventResult } from '../domain/event-schema.js';
import type { EventStore } from './ports.js';

/** A valid event and its place in the request. */
export interface Pending {
  readonly index: number;
  readonly event: ActivityEvent;
}

/** What de-duplication made of a request's valid events. */
export interface Claim {
  /** Events to process: without an id, or with an id seen nowhere, in request order. */
  readonly fresh: readonly Pending[];
  /** Events whose id was stored before, with the first answer. */
  readonly storedBefore: ReadonlyArray<{ readonly pending: Pending; readonly result: EventResult }>;
  /** Releases the ids this request claimed, with the answers it got for them (none if it failed). */
  settle(results: ReadonlyMap<string, EventResult>): void;
  /**
   * Repeats of an id earlier in the same request or being processed by another request, answered
   * once those are: undefined when the first copy failed.
   */
  repeats(results: ReadonlyMap<string, EventResult>): Promise<Array<{ index: number; id: string; result: EventResult | undefined }>>;
}

const settleNothing = (): void => {};
const noRepeats = async (): Promise<[]> => [];

/**
 * The de-duplication step: a client's event id is stored once. A repeat is answered with the first
 * answer whether the first copy is already stored, earlier in the same request, or being processed
 * by another request right now. Ids are claimed synchronously, before any await, so that a
 * concurrent request sees the claim.
 */
export class Deduplicator {
  /** Client ids being processed right now, with the answer they will get. */
  private readonly inFlight = new Map<string, Promise<EventResult | undefined>>();

  constructor(private readonly store: Pick<EventStore, 'findResults'>) {}

  /** `newIds`: ids nobody can have stored before (made by Vigil for this first try): not looked up. */
  async claim(valid: readonly Pending[], newIds?: ReadonlySet<string>): Promise<Claim> {
    // Most events come without an id (Vigil makes one): nothing to claim, look up or wait for.
    if (valid.every((p) => p.event.id === undefined)) return { fresh: valid, storedBefore: [], settle: settleNothing, repeats: noRepeats };
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
        if (running) {
          otherRequest.set(id, running);
          laterInBatch.push({ index: p.index, id });
        } else {
          this.inFlight.set(id, new Promise((resolve) => claims.set(id, resolve)));
          claimed.push(p);
        }
      }
    }

    const settle = (results: ReadonlyMap<string, EventResult>) => {
      for (const [id, resolve] of claims) {
        this.inFlight.delete(id);
        resolve(results.get(id));
      }
    };
    const storedBefore: Array<{ pending: Pending; result: EventResult }> = [];
    try {
      const lookUp = newIds === undefined ? [...claims.keys()] : [...claims.keys()].filter((id) => !newIds.has(id));
      const before = lookUp.length > 0 ? await this.store.findResults(lookUp) : new Map<string, EventResult>();
      for (const p of claimed) {
        const earlier = before.get(p.event.id as string);
        if (earlier) storedBefore.push({ pending: p, result: earlier });
        else fresh.push(p);
      }
    } catch (error) {
      settle(new Map());
      throw error;
    }
    fresh.sort((a, b) => a.index - b.index);
    return {
      fresh,
      storedBefore,
      settle,
      repeats: async (results) =>
        Promise.all(laterInBatch.map(async ({ index, id }) => ({ index, id, result: results.get(id) ?? (await otherRequest.get(id)) }))),
    };
  }
}
