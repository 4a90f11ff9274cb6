import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../domain/activity-event.js';
import type { Decision, EventType } from '../domain/event-schema.js';
import { MinuteCounter, statusOfEvent } from './event-counter.js';
import { MINUTE_MS } from './minute-counts.js';

const T0 = Date.UTC(2025, 6, 15, 12, 0);
const at = (minute: number, second = 0) => T0 + minute * MINUTE_MS + second * 1000;

function event(type: EventType, decision: Decision = 'allow', attributes?: Record<string, unknown>): StoredEvent {
  return {
    id: 'e1',
    type,
    user: 'ann',
    occurredAt: T0,
    receivedAt: T0,
    ...(attributes && { attributes }),
    enrichment: { novelty: { hasHistory: true, newDevice: null, newCountry: null, newNetwork: null } },
    result: { id: 'e1', decision, risk: 0, severity: 'none', reasons: [] },
  };
}

describe('statusOfEvent', () => {
  it.each([
    [event('transaction'), 'approved'],
    [event('transaction', 'challenge'), 'approved'],
    [event('transaction', 'block'), 'denied'],
    [event('payment.failed'), 'failed'],
    [event('payment.failed', 'block'), 'failed'],
    [event('transaction', 'allow', { status: 'Reversed' }), 'reversed'],
    [event('transaction', 'allow', { status: 'backend-reversed' }), 'backend_reversed'],
    [event('transaction', 'allow', { status: 42 }), 'approved'],
    [event('payment.failed', 'allow', { status: 'denied' }), 'denied'],
    // "total" is the sum of every status, not one of them: the event counts as if it named none.
    [event('transaction', 'block', { status: 'Total' }), 'denied'],
    [event('login.succeeded'), undefined],
    [event('page.viewed'), undefined],
  ])('%#: counts as %s', (e, status) => expect(statusOfEvent(e)).toBe(status));
});

describe('MinuteCounter', () => {
  it('closes a minute once an event a minute past its end arrives, never by the clock alone', () => {
    const counter = new MinuteCounter(undefined);
    counter.add(at(0, 5), 'approved');
    counter.add(at(0, 50), 'approved');
    counter.add(at(0, 59), 'failed');
    counter.add(at(1, 30), 'approved');
    expect(counter.close(at(10))).toEqual([]);
    counter.add(at(2, 0), 'approved');
    expect(counter.close(at(10))).toEqual([
      {
        minute: at(0),
        counts: new Map([
          ['approved', 2],
          ['failed', 1],
        ]),
      },
    ]);
    expect(counter.closed).toBe(at(0));
  });

  it('never closes a minute ahead of the clock, whatever the events claim', () => {
    const counter = new MinuteCounter(undefined);
    counter.add(at(0), 'approved');
    counter.add(at(4), 'approved');
    expect(counter.close(at(1)).map((m) => m.minute)).toEqual([]);
    expect(counter.close(at(2)).map((m) => m.minute)).toEqual([at(0)]);
  });

  it('judges quiet minutes as zeros for an hour after the last busy one, then skips them', () => {
    const counter = new MinuteCounter(undefined);
    counter.add(at(0), 'approved');
    counter.add(at(5), 'approved');
    const first = counter.close(at(500));
    expect(first.map((m) => (m.minute - T0) / MINUTE_MS)).toEqual([0, 1, 2, 3]);
    expect(first.map((m) => m.counts.size)).toEqual([1, 0, 0, 0]);

    counter.add(at(200), 'approved');
    const second = counter.close(at(500));
    // Minute 4 is quiet, 5 busy, then quiet minutes up to an hour after it (65); 66…198 are skipped.
    expect(second.map((m) => (m.minute - T0) / MINUTE_MS)).toEqual(Array.from({ length: 62 }, (_, i) => i + 4));
    expect(second.filter((m) => m.counts.size > 0).map((m) => (m.minute - T0) / MINUTE_MS)).toEqual([5]);
    expect(counter.closed).toBe(at(198));
    expect(counter.add(at(150), 'approved')).toBe('late');
  });

  it('reports events of minutes already judged as late, and resumes after a restart from the last judged minute', () => {
    const counter = new MinuteCounter(at(9));
    expect(counter.add(at(9, 30), 'approved')).toBe('late');
    expect(counter.add(at(10, 1), 'approved')).toBe('open');
    counter.add(at(12), 'approved');
    expect(counter.close(at(20)).map((m) => (m.minute - T0) / MINUTE_MS)).toEqual([10]);
  });
});
