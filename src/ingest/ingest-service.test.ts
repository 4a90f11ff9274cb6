import { describe, expect, it } from 'vitest';
import type { Bus } from '../bus/bus.js';
import type { Detector, Verdict } from '../detect/detector.js';
import type { ActivityEvent, Enrichment } from '../domain/activity-event.js';
import type { Alert } from '../domain/alert.js';
import type { OwedEffects } from '../domain/owed-effects.js';
import type { Enricher } from '../enrich/enricher.js';
import type { Responder } from '../respond/responder.js';
import type { GroupCommitWriter } from './group-commit.js';
import { IngestService } from './ingest-service.js';
import type { PendingEffects } from './pending-effects.js';
import type { EventStore } from './ports.js';

const NOW = Date.parse('2026-12-06T12:00:00Z');

/**
 * The pipeline around fakes that record what each step was given: which events each enrichment and
 * each write held, what was published, which rows were owed and carried out.
 */
function pipeline(options: { failWrites?: number; slowEnrich?: () => Promise<void>; clock?: () => number } = {}) {
  const enriched: string[][] = [];
  const written: string[][] = [];
  const receivedAt: number[][] = [];
  const lockedAt: Array<{ user: string; at: number }> = [];
  const published: string[][] = [];
  const owed: Array<{ user: string; raised: string[] }> = [];
  const carried: Array<{ user: string; raised: string[] }> = [];
  const forgotten: string[][] = [];
  const reverted: number[] = [];
  const cancelled: string[] = [];
  let failWrites = options.failWrites ?? 0;
  // An event whose path is /raise raises an alert of its own; /grow grows the last one raised.
  let lastAlert: Alert | undefined;
  const detector: Detector = {
    score: (event): Verdict => {
      const path = (event as ActivityEvent & { path?: string }).path;
      if (path === '/boom') throw new Error('a rule failed');
      if (path === '/raise') lastAlert = { id: `alrt_${event.user}`, occurrences: 1 } as Alert;
      else if (path === '/grow' && lastAlert) lastAlert = { ...lastAlert, occurrences: lastAlert.occurrences + 1 };
      else return { decision: 'allow', risk: 0, severity: 'none', reasons: [] };
      return { decision: 'challenge', risk: 60, severity: 'medium', reasons: [], alertId: lastAlert.id, alert: lastAlert };
    },
  };
  const service = new IngestService({
    store: { findResults: async () => new Map() } as unknown as EventStore,
    enricher: {
      enrich: async (events: readonly ActivityEvent[]) => {
        enriched.push(events.map((e) => e.user));
        await options.slowEnrich?.();
        return { enrichments: events.map(() => ({ novelty: {} }) as unknown as Enrichment), learnt: [] };
      },
      forget: (users: Iterable<string>) => forgotten.push([...users]),
    } as unknown as Enricher,
    detector,
    responder: {
      // An event whose path is /lock locks its account.
      respond: (event: ActivityEvent & { path?: string }, verdict: Verdict) => ({
        verdict,
        steps: event.path === '/lock' ? [{ kind: 'lock', user: event.user, lock: { reason: 'test' }, before: undefined }] : [],
      }),
      revert: (steps: readonly unknown[]) => reverted.push(steps.length),
    } as unknown as Responder,
    writer: {
      write: async (
        events: ReadonlyArray<ActivityEvent & { receivedAt: number }>,
        _learnt: unknown,
        _alerts: unknown,
        locks: ReadonlyArray<{ user: string; at: number }>,
      ) => {
        if (failWrites > 0) {
          failWrites--;
          throw new Error('disk full');
        }
        written.push(events.map((e) => e.user));
        receivedAt.push(events.map((e) => e.receivedAt));
        lockedAt.push(...locks.map(({ user, at }) => ({ user, at })));
        return { duplicates: new Set<string>(), alertOccurrences: new Map<string, number>() };
      },
    } as unknown as GroupCommitWriter,
    bus: {
      publish: async (topic: string, message: ReadonlyArray<{ user: string }>) => {
        if (topic === 'events.stored') published.push(message.map((e) => e.user));
      },
    } as unknown as Bus,
    effects: {
      owe: (user: string, raised: readonly Alert[], responses: readonly unknown[]) => {
        if (raised.length === 0 && responses.length === 0) return undefined;
        owed.push({ user, raised: raised.map((a) => a.id) });
        return { id: `fx_${owed.length}`, user, createdAt: NOW, raised: raised.map((a) => a.id), responses: [] } as OwedEffects;
      },
      carryOut: (row: OwedEffects, raised: readonly Alert[]) => carried.push({ user: row.user, raised: raised.map((a) => a.id) }),
      cancel: (row: OwedEffects) => cancelled.push(row.id),
    } as unknown as PendingEffects,
    clock: { now: options.clock ?? (() => NOW) },
  });
  return { service, enriched, written, receivedAt, lockedAt, published, owed, carried, forgotten, reverted, cancelled };
}

const view = (user: string, path = '/') => ({ type: 'page.viewed', user, path });

describe('IngestService: calls that arrive together are scored as one batch', () => {
  it('scores, writes and publishes calls sent in the same turn once, in the order they came, and answers each with its own events', async () => {
    const p = pipeline();
    const reports = await Promise.all([
      p.service.ingest([view('ann')]),
      p.service.ingest([view('bob'), view('bob', '/cart')]),
      p.service.ingest([view('cat')]),
    ]);
    expect(p.enriched).toEqual([['ann', 'bob', 'bob', 'cat']]);
    expect(p.written).toEqual([['ann', 'bob', 'bob', 'cat']]);
    expect(p.published).toEqual([['ann', 'bob', 'bob', 'cat']]);
    expect(reports.map((r) => r.outcomes.map((o) => o.status))).toEqual([['stored'], ['stored', 'stored'], ['stored']]);
    // Each answer is its own event's: ids differ, and a call of two gets two.
    const ids = reports.flatMap((r) => r.outcomes.map((o) => (o.status === 'stored' ? o.result.id : '')));
    expect(new Set(ids).size).toBe(4);
  });

  it('gathers calls that arrive one callback after another in the same turn of the event loop, as requests read from several sockets at once do', async () => {
    const p = pipeline();
    // Node runs the callbacks of one phase one after the other, each with its promises settled in
    // between: the first call's batch must still be open when the next callback brings its call.
    const calls = await new Promise<Promise<unknown>[]>((resolve) => {
      const started: Promise<unknown>[] = [];
      for (const user of ['ann', 'bob', 'cat']) setImmediate(() => started.push(p.service.ingest([view(user)])));
      setImmediate(() => resolve(started));
    });
    await Promise.all(calls);
    expect(p.enriched).toEqual([['ann', 'bob', 'cat']]);
  });

  it('gathers the calls that arrive while a batch is being scored and scores them next, together', async () => {
    let release: () => void = () => {};
    let first = true;
    const p = pipeline({
      slowEnrich: () => {
        if (!first) return Promise.resolve();
        first = false;
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    });
    const a = p.service.ingest([view('ann')]);
    // Let ann's batch start scoring (it waits in enrichment), then send three more, one turn each.
    while (p.enriched.length === 0) await new Promise((r) => setImmediate(r));
    const later = [];
    for (const user of ['bob', 'cat', 'dan']) {
      later.push(p.service.ingest([view(user)]));
      await new Promise((r) => setImmediate(r));
    }
    release();
    await Promise.all([a, ...later]);
    expect(p.enriched).toEqual([['ann'], ['bob', 'cat', 'dan']]);
    expect(p.written).toEqual([['ann'], ['bob', 'cat', 'dan']]);
  });

  it('keeps one row of what is owed per call, naming the call first user and only the alerts it raised', async () => {
    const p = pipeline();
    await Promise.all([
      p.service.ingest([view('ann', '/raise')]),
      p.service.ingest([view('bob')]),
      // Grows ann's alert, raised in this same batch: announced once, raised by ann's call.
      p.service.ingest([view('cat', '/grow'), view('cat', '/raise')]),
    ]);
    expect(p.written).toHaveLength(1);
    expect(p.owed).toEqual([
      { user: 'ann', raised: ['alrt_ann'] },
      { user: 'cat', raised: ['alrt_cat'] },
    ]);
    expect(p.carried).toEqual([
      { user: 'ann', raised: ['alrt_ann'] },
      { user: 'cat', raised: ['alrt_cat'] },
    ]);
  });

  it('fails every call of a batch whose write fails, puts memory back once, and goes on with the next', async () => {
    const p = pipeline({ failWrites: 1 });
    const failed = await Promise.allSettled([p.service.ingest([view('ann', '/raise')]), p.service.ingest([view('bob')])]);
    expect(failed.map((f) => f.status)).toEqual(['rejected', 'rejected']);
    expect(p.forgotten).toEqual([['ann', 'bob']]);
    expect(p.reverted).toEqual([0]);
    expect(p.cancelled).toEqual(['fx_1']);
    expect(p.carried).toEqual([]);

    const next = await p.service.ingest([view('cat')]);
    expect(next.outcomes[0]?.status).toBe('stored');
    expect(p.written).toEqual([['cat']]);
  });

  it('keeps each call its own receipt time, for its events and its locks', async () => {
    let clock = NOW;
    const p = pipeline({ clock: () => (clock += 1000) });
    await Promise.all([p.service.ingest([view('ann', '/lock')]), p.service.ingest([view('bob'), view('bob', '/lock')])]);
    expect(p.written).toEqual([['ann', 'bob', 'bob']]);
    expect(p.receivedAt).toEqual([[NOW + 1000, NOW + 2000, NOW + 2000]]);
    expect(p.lockedAt).toEqual([
      { user: 'ann', at: NOW + 1000 },
      { user: 'bob', at: NOW + 2000 },
    ]);
  });

  it('fails every call of a batch whose scoring fails, owes nothing for it, and puts memory back', async () => {
    const p = pipeline();
    const failed = await Promise.allSettled([
      p.service.ingest([view('ann', '/raise'), view('ann', '/lock')]),
      p.service.ingest([view('bob', '/boom')]),
    ]);
    expect(failed.map((f) => f.status)).toEqual(['rejected', 'rejected']);
    // ann's call raised an alert and locked before bob's event failed: no row owed, the lock undone.
    expect(p.owed).toEqual([]);
    expect(p.reverted).toEqual([1]);
    expect(p.forgotten).toEqual([['ann', 'ann', 'bob']]);
    expect(p.written).toEqual([]);

    const next = await p.service.ingest([view('cat')]);
    expect(next.outcomes[0]?.status).toBe('stored');
  });

  it('never splits a call: one that would pass the gathering bound is scored as a batch of its own', async () => {
    const p = pipeline();
    const big = Array.from({ length: 500 }, () => view('big'));
    await Promise.all([
      p.service.ingest([view('ann')]),
      p.service.ingest(big),
      p.service.ingest([view('bob')]),
      p.service.ingest([view('cat')]),
    ]);
    // 500 events at most a batch: ann's call and the big one do not fit together; bob's and cat's do.
    expect(p.enriched.map((users) => users.length)).toEqual([1, 500, 2]);
    expect(p.enriched[2]).toEqual(['bob', 'cat']);
  });
});
