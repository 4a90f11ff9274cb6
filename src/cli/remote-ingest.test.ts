import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteIngest } from './remote-ingest.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

/** A Vigil of several processes, as `vigil import --url` sees it: `answer` gives each request's answer. */
async function vigil(
  answer: (events: Array<Record<string, unknown>>) => { status: number; body: unknown },
): Promise<{ url: string; bodies: unknown[][] }> {
  const bodies: unknown[][] = [];
  const listening = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => {
      const { events } = JSON.parse(text) as { events: Array<Record<string, unknown>> };
      bodies.push(events);
      const { status, body } = answer(events);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  server = listening;
  await new Promise<void>((r) => listening.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}`, bodies };
}

const stored = (id: string) => ({ id, decision: 'allow', risk: 0, severity: 'none', reasons: [] });
const busy = (id: string) => ({ error: { code: 'busy', message: `send it again with id ${id}`, id } });

describe('vigil import --url against several processes', () => {
  it('sends the events answered busy again with the ids Vigil gave them, and only those', async () => {
    let round = 0;
    const { url, bodies } = await vigil((events) => {
      round++;
      // First: the second event's partition has no owner yet. Then it is served.
      if (round === 1) return { status: 207, body: { accepted: 1, rejected: 1, results: [stored('evt_a'), busy('evt_given')] } };
      return { status: 200, body: { accepted: events.length, rejected: 0, results: events.map((e) => stored(e.id as string)) } };
    });
    const pauses: number[] = [];
    const remote = new RemoteIngest(url, 'key', 30, async (ms) => {
      pauses.push(ms);
    });
    const report = await remote.ingest([
      { type: 'login.succeeded', user: 'a' },
      { type: 'login.succeeded', user: 'b', ip: '81.2.69.160' },
    ]);
    expect(report).toMatchObject({ accepted: 2, rejected: 0 });
    expect(report.outcomes.map((o) => o.status)).toEqual(['stored', 'stored']);
    expect(bodies).toEqual([
      [
        { type: 'login.succeeded', user: 'a' },
        { type: 'login.succeeded', user: 'b', ip: '81.2.69.160' },
      ],
      [{ type: 'login.succeeded', user: 'b', ip: '81.2.69.160', id: 'evt_given' }],
    ]);
    expect(pauses).toEqual([1000]);
  });

  it('counts an event still busy after its retries as rejected, with its id', async () => {
    let round = 0;
    // As a Vigil of several processes answers: a 207 for the batch, then, with only the busy events
    // sent again and their partition still without an owner, a 503 for the whole.
    const { url, bodies } = await vigil((events) =>
      ++round === 1
        ? { status: 207, body: { accepted: 1, rejected: 1, results: [stored('evt_a'), busy('evt_given')] } }
        : { status: 503, body: { error: { code: 'busy', message: `No worker answered for partition 3 in time (${events.length}).` } } },
    );
    const report = await new RemoteIngest(url, 'key', 2, async () => {}).ingest([
      { type: 'logout', user: 'a' },
      { type: 'logout', user: 'b' },
    ]);
    expect(report).toMatchObject({ accepted: 1, rejected: 1 });
    expect(report.outcomes[1]).toMatchObject({ status: 'unanswered', id: 'evt_given', problem: { code: 'busy' } });
    expect(bodies).toEqual([
      [
        { type: 'logout', user: 'a' },
        { type: 'logout', user: 'b' },
      ],
      [{ type: 'logout', user: 'b', id: 'evt_given' }],
      [{ type: 'logout', user: 'b', id: 'evt_given' }],
    ]);
  });
});
