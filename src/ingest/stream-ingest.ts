import type { Problem } from '../core/errors.js';
import type { EventIngest } from './ingest-service.js';
import { parseJson, TOO_DEEP } from './json-text.js';
import type { TextLine } from './ndjson.js';

/** One record of a stream or file: the parsed value, or why its line could not be parsed. */
export type LineRecord = { readonly line: number; readonly value: unknown } | { readonly line: number; readonly problem: Problem };

export interface LineProblem {
  readonly line: number;
  readonly code: Problem['code'];
  readonly message: string;
  readonly path?: string;
  /** With `busy` (several processes only): the event's id, to send it again with (see IngestOutcome). */
  readonly id?: string;
}

export interface StreamSummary {
  accepted: number;
  rejected: number;
  errors: LineProblem[];
  /** More lines were rejected than `errors` lists. */
  errorsTruncated: boolean;
  /**
   * Several processes only: a chunk had events no worker answered in time (`busy`, listed with their
   * ids), so the stream was not sent on from this line; the lines from it were read and not sent.
   */
  notSentFromLine?: number;
}

export interface StreamOptions {
  readonly chunkSize?: number;
  readonly maxErrors?: number;
  /** Called after each chunk is durable, e.g. to move a progress bar. */
  readonly onProgress?: (summary: Readonly<StreamSummary>) => void;
}

/** NDJSON lines to records: blank lines are skipped, an unparsable line becomes its problem. */
export async function* ndjsonRecords(lines: AsyncIterable<TextLine>, maxLineLength: number): AsyncGenerator<LineRecord> {
  for await (const { line, text, tooLong } of lines) {
    if (tooLong) {
      yield { line, problem: { code: 'line_too_long', message: `Line is longer than ${maxLineLength} characters.`, line } };
      continue;
    }
    if (text.trim().length === 0) continue;
    const parsed = parseJson(text, 'invalid_ndjson', line);
    if (parsed.ok) yield { line, value: parsed.value };
    else {
      const message = parsed.error.message === TOO_DEEP ? `Line ${line}: ${TOO_DEEP}` : `Line ${line}: malformed JSON.`;
      yield { line, problem: { ...parsed.error, message } };
    }
  }
}

/**
 * Feeds a stream of records through the ingest pipeline in chunks, reading and scoring the next
 * chunks while the previous one is being committed, and never more than two chunks ahead: memory
 * stays bounded whatever the stream's length, and events keep their order.
 */
export async function ingestRecords(
  service: EventIngest,
  records: AsyncIterable<LineRecord>,
  options: StreamOptions = {},
): Promise<StreamSummary> {
  const chunkSize = options.chunkSize ?? 1000;
  const maxErrors = options.maxErrors ?? 1000;
  const summary: StreamSummary = { accepted: 0, rejected: 0, errors: [], errorsTruncated: false };
  const reject = (p: LineProblem) => {
    summary.rejected++;
    if (summary.errors.length < maxErrors) summary.errors.push(p);
    else summary.errorsTruncated = true;
  };

  /**
   * Set once a chunk has events no worker answered (several processes only). The partition without
   * an owner would not answer the next chunks either, for seconds: the stream is not sent on. The
   * events to send again are then those not answered in this chunk and in the one under way, each
   * listed with its id (never left out of `errors`), and every line from the first not sent.
   */
  let unansweredSeen = false;
  const submit = async (chunk: Array<{ line: number; value: unknown }>) => {
    const report = await service.ingest(
      chunk.map((c) => c.value),
      { partOfStream: true },
    );
    report.outcomes.forEach((outcome, i) => {
      if (outcome.status === 'rejected') {
        const { code, message, path } = outcome.problem;
        reject({ line: (chunk[i] as { line: number }).line, code, message, ...(path !== undefined && { path }) });
      } else if (outcome.status === 'unanswered') {
        const { code, message } = outcome.problem;
        unansweredSeen = true;
        summary.rejected++;
        summary.errors.push({ line: (chunk[i] as { line: number }).line, code, message, id: outcome.id });
      } else summary.accepted++;
    });
    options.onProgress?.(summary);
  };

  let chunk: Array<{ line: number; value: unknown }> = [];
  /** The last line of the chunks sent, and the lines read after it (blank lines aside), unparsable ones among them. */
  let lastSentLine = 0;
  let readSince = 0;
  let unparsableSince = 0;
  /**
   * Nothing more is sent: every line after the last chunk sent is the client's to send again, so the
   * unparsable ones among them are not reported here (they will be when sent again).
   */
  const stop = () => {
    if (summary.notSentFromLine !== undefined || readSince === 0) return;
    const from = lastSentLine + 1;
    summary.notSentFromLine = from;
    summary.errors = summary.errors.filter((e) => e.line < from);
    summary.rejected -= unparsableSince;
  };
  const send = (lines: Array<{ line: number; value: unknown }>) => {
    lastSentLine = (lines.at(-1) as { line: number }).line;
    readSince = 0;
    unparsableSince = 0;
    return submit(lines);
  };
  // Two chunks under way: one being committed while the next is scored (IngestService scores in
  // order and commits in order), and the one after that read meanwhile.
  let older: Promise<void> = Promise.resolve();
  let previous: Promise<void> = Promise.resolve();
  for await (const record of records) {
    // Once stopped, read to the end, so that the client gets the answer rather than a connection cut while sending.
    if (summary.notSentFromLine !== undefined) continue;
    readSince++;
    if ('problem' in record) {
      const { code, message, path } = record.problem;
      reject({ line: record.line, code, message, ...(path !== undefined && { path }) });
      unparsableSince++;
      continue;
    }
    chunk.push(record);
    if (chunk.length >= chunkSize) {
      await older;
      if (unansweredSeen) {
        stop();
        continue;
      }
      older = previous;
      previous = send(chunk);
      // Awaited two chunks later; this only keeps a failure from being reported as unhandled.
      previous.catch(() => {});
      chunk = [];
    }
  }
  await older;
  await previous;
  if (unansweredSeen) stop();
  else if (chunk.length > 0) await send(chunk);
  return summary;
}
