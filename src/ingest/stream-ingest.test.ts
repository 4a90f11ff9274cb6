import { describe, expect, it } from 'vitest';
import type { EventIngest, IngestOutcome } from './ingest-service.js';
import { ingestRecords, type LineRecord } from './stream-ingest.js';

/**
 * A stream through a stand-in for the distributed mode's ingest: events whose user is `busy` are not
 * answered (as when their partition has no owner), `bad` ones are refused, the others stored.
 */
function standIn() {
  const sent: number[][] = [];
  const service: EventIngest = {
    async ingest(raws, options) {
      expect(options).toEqual({ partOfStream: true });
      sent.push(raws.map((r) => (r as { n: number }).n));
      // Not answered: known only after the api's deadline, a later turn of the event loop than the
      // stream's reading (in memory here), so that the next chunks are read and sent meanwhile.
      if (raws.some((r) => (r as { user: string }).user === 'busy')) await new Promise((resolve) => setTimeout(resolve, 5));
      const outcomes = raws.map((raw): IngestOutcome => {
        const { n, user } = raw as { n: number; user: string };
        if (user === 'busy') return { status: 'unanswered', id: `evt_${n}`, problem: { code: 'busy', message: 'No worker answered.' } };
        if (user === 'bad') return { status: 'rejected', problem: { code: 'invalid_event', message: 'user: bad.' } };
        return { status: 'stored', result: { id: `evt_${n}`, decision: 'allow', risk: 0, severity: 'none', reasons: [] } };
      });
      return { outcomes, accepted: outcomes.filter((o) => o.status === 'stored').length, rejected: 0 };
    },
  };
  return { service, sent };
}

/** Line by line: a user name is an event of that user, `?` an unparsable line. */
async function* records(users: readonly string[]): AsyncGenerator<LineRecord> {
  for (const [i, user] of users.entries()) {
    const line = i + 1;
    if (user === '?') yield { line, problem: { code: 'invalid_ndjson', message: `Line ${line}: malformed JSON.`, line } };
    else yield { line, value: { n: line, user } };
  }
}

describe('an NDJSON stream whose events are not all answered (several processes)', () => {
  it('is not sent on after the chunk: its busy lines come back with ids, and the line to send again from', async () => {
    const { service, sent } = standIn();
    const users = ['a', 'a', 'busy', 'busy', 'a', 'a', 'a', 'a', 'a', '?', 'a'];
    const summary = await ingestRecords(service, records(users), { chunkSize: 2 });
    // Chunks 1 and 3 stored, chunk 2 not answered; chunk 4 was full when that was known: not sent.
    expect(sent).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(summary).toEqual({
      accepted: 4,
      rejected: 2,
      errors: [
        { line: 3, code: 'busy', message: 'No worker answered.', id: 'evt_3' },
        { line: 4, code: 'busy', message: 'No worker answered.', id: 'evt_4' },
      ],
      errorsTruncated: false,
      notSentFromLine: 7,
    });
  });

  it('leaves out of its errors the unparsable lines that are among those to send again', async () => {
    const { service } = standIn();
    const summary = await ingestRecords(service, records(['?', 'a', 'busy', 'a', '?', 'a', 'a']), { chunkSize: 2 });
    // Sent: [2, 3] (not answered), then [4, 6] while it waited; line 7, the final chunk, is not sent.
    // Line 5 lies among the lines sent: reported.
    expect(summary.notSentFromLine).toBe(7);
    expect(summary.errors.map((e) => [e.line, e.code])).toEqual([
      [1, 'invalid_ndjson'],
      [5, 'invalid_ndjson'],
      [3, 'busy'],
    ]);
    const again = await ingestRecords(standIn().service, records(['busy', 'busy', 'a', 'a', '?', 'a', 'a']), { chunkSize: 2 });
    // Line 5 comes after the last chunk sent ([3, 4]): it is the client's to send again, not reported.
    expect(again).toMatchObject({ accepted: 2, rejected: 2, notSentFromLine: 5 });
    expect(again.errors.map((e) => e.line)).toEqual([1, 2]);
  });

  it('lists every busy line with its id beyond the usual limit of errors', async () => {
    const { service } = standIn();
    const summary = await ingestRecords(service, records(['bad', 'bad', 'busy', 'busy', 'busy']), { chunkSize: 5, maxErrors: 1 });
    expect(summary).toMatchObject({ accepted: 0, rejected: 5, errorsTruncated: true });
    expect(summary.errors.map((e) => e.id ?? e.code)).toEqual(['invalid_event', 'evt_3', 'evt_4', 'evt_5']);
    expect(summary.notSentFromLine).toBeUndefined();
  });

  it('sends everything, and says nothing of lines not sent, when every event is answered', async () => {
    const { service, sent } = standIn();
    const summary = await ingestRecords(service, records(['a', 'a', 'a', 'bad', 'a']), { chunkSize: 2 });
    expect(sent.flat()).toEqual([1, 2, 3, 4, 5]);
    expect(summary).toEqual({
      accepted: 4,
      rejected: 1,
      errors: [{ line: 4, code: 'invalid_event', message: 'user: bad.' }],
      errorsTruncated: false,
    });
  });
});
