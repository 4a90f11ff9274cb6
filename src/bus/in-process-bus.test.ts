import { describe, expect, it } from 'vitest';
import type { Alert } from '../domain/alert.js';
import { InProcessBus } from './in-process-bus.js';

const alerts = [] as unknown as readonly Alert[];

describe('InProcessBus', () => {
  it('delivers after the publisher’s turn, to each subscriber in order, and a failing one stops no other', async () => {
    const errors: unknown[] = [];
    const bus = new InProcessBus((error) => errors.push(error));
    const seen: string[] = [];
    bus.subscribe('alert.raised', () => {
      seen.push('first');
      throw new Error('at once');
    });
    bus.subscribe('alert.raised', async () => {
      seen.push('second');
      throw new Error('later');
    });
    bus.subscribe('alert.raised', () => {
      seen.push('third');
    });
    const published = bus.publish('alert.raised', alerts);
    expect(seen).toEqual([]);
    await published;
    await bus.close();
    expect(seen).toEqual(['first', 'second', 'third']);
    expect(errors.map((e) => (e as Error).message).sort()).toEqual(['at once', 'later']);
  });

  it('close() waits for the subscribers still at work', async () => {
    const bus = new InProcessBus(() => {});
    let done = false;
    bus.subscribe('alert.raised', async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      done = true;
    });
    await bus.publish('alert.raised', alerts);
    await bus.close();
    expect(done).toBe(true);
  });

  it('a subscriber that unsubscribes after a publish still gets that message, not the next', async () => {
    const bus = new InProcessBus(() => {});
    let calls = 0;
    const off = bus.subscribe('alert.raised', () => {
      calls++;
    });
    await bus.publish('alert.raised', alerts);
    off();
    await bus.publish('alert.raised', alerts);
    await bus.close();
    expect(calls).toBe(1);
  });

  it('deliver() resolves once every subscriber is done with the message, and rejects with a failure for its caller to keep owing', async () => {
    const errors: unknown[] = [];
    const bus = new InProcessBus((error) => errors.push(error));
    let stored = false;
    bus.subscribe('alert.raised', async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      stored = true;
    });
    await bus.deliver('alert.raised', alerts);
    expect(stored).toBe(true);

    bus.subscribe('alert.raised', () => {
      throw new Error('down');
    });
    await expect(bus.deliver('alert.raised', alerts)).rejects.toThrow('down');
    // Reported as any subscriber's failure is, too.
    expect(errors.map((e) => (e as Error).message)).toEqual(['down']);
    await bus.close();
  });
});
