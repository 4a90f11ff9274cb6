import { connect, type NatsConnection } from 'nats';
import { afterEach, describe, expect, it } from 'vitest';
import { dropNatsPrefix, freshNatsPrefix, NATS_URL } from '../../test/support/cluster.js';
import type { SharedChange } from '../bus/bus.js';
import { BusRelay } from './bus-relay.js';
import { ClusterNames } from './partitions.js';

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

/** A process's relay on the machine's NATS; `refreshMs`: how long reading a change again takes it. */
async function relay(prefix: string, origin: string, options: { scores: boolean; acks: boolean; refreshMs?: number }) {
  const nc: NatsConnection = await connect({ servers: NATS_URL });
  const read: Array<{ change: SharedChange; at: number }> = [];
  const delivered: Array<'acked' | 'late'> = [];
  const bus = await BusRelay.open({
    nc,
    names: new ClusterNames(prefix),
    origin,
    show: () => {},
    refresh: async (change) => {
      await new Promise((r) => setTimeout(r, options.refreshMs ?? 0));
      read.push({ change, at: performance.now() });
    },
    onError: (message, error) => {
      throw new Error(`${message}: ${String(error)}`);
    },
    acks: options.acks,
    scores: options.scores,
    heartbeatMs: 400,
    onDelivered: (outcome) => delivered.push(outcome),
  });
  open.push(async () => {
    await bus.close();
    await nc.close();
  });
  return { bus, read, delivered };
}

describe('changes across a NATS cluster: a person is answered once the workers have the change', () => {
  it('with acks, an announcement waits until every worker alive has read the change again, and only workers are waited for', async () => {
    const prefix = freshNatsPrefix();
    open.push(() => dropNatsPrefix(prefix));
    const worker = await relay(prefix, 'worker-1', { scores: true, acks: true, refreshMs: 150 });
    const otherApi = await relay(prefix, 'api-2', { scores: false, acks: true });
    const api = await relay(prefix, 'api-1', { scores: false, acks: true });
    await api.bus.listening();
    // The api knows the worker is alive; another api is nobody to wait for.
    expect(api.bus.aliveWorkers()).toEqual(['worker-1']);

    const sent = performance.now();
    await api.bus.publish('settings.changed', { what: 'lists' });
    const answered = performance.now();
    // The worker read it (150 ms) before the person could be answered.
    expect(worker.read).toEqual([{ change: { what: 'lists' }, at: expect.any(Number) }]);
    expect(answered).toBeGreaterThanOrEqual(worker.read[0]?.at as number);
    expect(answered - sent).toBeGreaterThanOrEqual(140);
    expect(api.delivered).toEqual(['acked']);
    for (let i = 0; i < 50 && otherApi.read.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(otherApi.read.map((r) => r.change)).toEqual([{ what: 'lists' }]);
  });

  it('without acks (one NATS server), an announcement waits for NATS only', async () => {
    const prefix = freshNatsPrefix();
    open.push(() => dropNatsPrefix(prefix));
    const worker = await relay(prefix, 'worker-1', { scores: true, acks: false, refreshMs: 300 });
    const api = await relay(prefix, 'api-1', { scores: false, acks: false });
    expect(api.bus.aliveWorkers()).toEqual([]);
    await api.bus.publish('account.unlocked', { user: 'ann' } as never);
    expect(worker.read).toEqual([]);
    expect(api.delivered).toEqual([]);
    for (let i = 0; i < 50 && worker.read.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(worker.read.map((r) => r.change)).toEqual([{ what: 'lock', user: 'ann' }]);
  });
});
