import { connect, type NatsConnection } from 'nats';
import { afterEach, describe, expect, it } from 'vitest';
import { freshNatsPrefix, NATS_URL } from '../../test/support/cluster.js';
import { Acknowledgements, acknowledge } from './acknowledgements.js';

const open: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

async function natsConnection(): Promise<NatsConnection> {
  const nc = await connect({ servers: NATS_URL });
  open.push(() => nc.close());
  return nc;
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A sender's acknowledgements (a 1 s wait) and a peer `p` that says it has number N when told to. */
async function senderAndPeer() {
  const nc = await natsConnection();
  const outcomes: Array<'acked' | 'late'> = [];
  const acks = new Acknowledgements({
    nc,
    inboxPrefix: freshNatsPrefix(),
    waitMs: 1000,
    aliveMs: 60_000,
    onError: (message, error) => {
      throw new Error(`${message}: ${String(error)}`);
    },
    onDelivered: (outcome) => outcomes.push(outcome),
  });
  open.push(() => acks.close());
  await nc.flush();
  const peer = await natsConnection();
  const ack = async (seq: number) => {
    acknowledge(peer, acks.inbox, 'p', seq);
    await peer.flush();
  };
  return { acks, outcomes, ack };
}

describe('acknowledgements: an answer waits for the processes alive to say they have a message', () => {
  it('waits only for processes heard from before the message was sent', async () => {
    const { acks } = await senderAndPeer();
    const sentAt = performance.now();
    await settle(5);
    // First heard after the message went: it never had it (it read the store as it started).
    acks.heard('p');
    expect(acks.delivered(1, sentAt)).toBeUndefined();
    expect(acks.delivered(2, performance.now())).toBeDefined();
  });

  it('gives up on one always late, and waits for it again only once it answers in time', async () => {
    const { acks, outcomes, ack } = await senderAndPeer();
    acks.heard('p');
    // Number 1: its answer comes after the wait. Given up.
    await acks.delivered(1, performance.now());
    expect(outcomes).toEqual(['late']);
    await ack(1);
    await settle(50);
    // Still late for number 2 (sent 1.2 s before its answer): a late answer does not bring it back.
    const sentTwo = performance.now();
    expect(acks.delivered(2, sentTwo)).toBeUndefined();
    await settle(1200);
    await ack(2);
    await settle(50);
    expect(acks.delivered(3, performance.now())).toBeUndefined();
    // In time for number 3: waited for again from number 4, and its answer ends the wait.
    await ack(3);
    await settle(50);
    const waiting = acks.delivered(4, performance.now());
    expect(waiting).toBeDefined();
    await ack(4);
    await waiting;
    expect(outcomes).toEqual(['late', 'acked']);
  });

  it('waits for no one after it is closed', async () => {
    const { acks } = await senderAndPeer();
    acks.heard('p');
    acks.close();
    expect(acks.delivered(1, performance.now())).toBeUndefined();
  });
});
