import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { SingleBar } from 'cli-progress';
import type { Config } from '../config/config.js';
import { CsvHeaderError, csvRecords } from '../ingest/csv-events.js';
import { readLines } from '../ingest/ndjson.js';
import { ingestRecords, type LineRecord, ndjsonRecords } from '../ingest/stream-ingest.js';
import { createSystem } from '../system.js';
import { RemoteIngest } from './remote-ingest.js';

const MAX_LINE = 64 * 1024;

/** Exit codes: 0 all rows stored, 3 some rows rejected (listed), 2 the file cannot be read as asked. */
export interface ImportOptions {
  readonly format?: string;
  /** A running Vigil to send the events through (its API), rather than writing into the database. */
  readonly url?: string;
  /** The key for `url`: an ingest or admin key; default VIGIL_INGEST_KEY, then VIGIL_ADMIN_KEY. */
  readonly key?: string;
}

export async function importFile(config: Config, file: string, options: ImportOptions = {}): Promise<number> {
  const { format } = options;
  const kind = (format ?? (path.extname(file).toLowerCase() === '.csv' ? 'csv' : 'ndjson')).toLowerCase();
  if (kind !== 'csv' && kind !== 'ndjson') {
    process.stderr.write(`vigil import: --format must be ndjson or csv (got ${format}).\n`);
    return 2;
  }
  // The options are checked before the file is opened: a usage mistake is named as such.
  const key = options.key ?? config.ingestKey ?? config.adminKey;
  if (options.url !== undefined && key === undefined) {
    process.stderr.write('vigil import: --url needs --key (an ingest or admin key of that Vigil), or VIGIL_INGEST_KEY.\n');
    return 2;
  }
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    process.stderr.write(`vigil import: cannot read ${file}.\n`);
    return 2;
  }
  // Without --url the events go straight into the database: only for a server that is stopped (or
  // not yet started), as a running one would not see them in its detection until it restarts.
  const system = options.url === undefined ? await createSystem({ ...config, demo: false }) : undefined;
  const sink = system?.ingest ?? new RemoteIngest(options.url as string, key as string);
  const bar = new SingleBar({
    format: 'importing [{bar}] {percentage}% | {value}/{total} bytes | {accepted} accepted, {rejected} rejected',
    stream: process.stderr,
    noTTYOutput: false,
    hideCursor: true,
  });
  let read = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      read += chunk.length;
      done(null, chunk);
    },
  });
  bar.start(size, 0, { accepted: 0, rejected: 0 });
  try {
    const source = fs.createReadStream(file).pipe(counter);
    const records: AsyncIterable<LineRecord> = kind === 'csv' ? csvRecords(source) : ndjsonRecords(readLines(source, MAX_LINE), MAX_LINE);
    const summary = await ingestRecords(sink, records, {
      onProgress: (s) => bar.update(read, { accepted: s.accepted, rejected: s.rejected }),
    });
    bar.update(size, { accepted: summary.accepted, rejected: summary.rejected });
    bar.stop();
    process.stdout.write(`Imported ${file}: ${summary.accepted} accepted, ${summary.rejected} rejected.\n`);
    for (const e of summary.errors) process.stdout.write(`  line ${e.line}: ${e.code}: ${e.message}\n`);
    if (summary.errorsTruncated) process.stdout.write(`  … and ${summary.rejected - summary.errors.length} more rejected lines.\n`);
    if (summary.notSentFromLine !== undefined) {
      // Several processes: a partition stayed without an owner through every retry (remote-ingest.ts).
      process.stdout.write(
        `  not sent from line ${summary.notSentFromLine} on (no worker answered in time): import the lines from there again, and the busy lines above with their ids.\n`,
      );
      return 3;
    }
    return summary.rejected > 0 ? 3 : 0;
  } catch (error) {
    bar.stop();
    if (error instanceof CsvHeaderError) {
      process.stderr.write(`vigil import: line ${error.problem.line}: ${error.problem.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    await system?.close();
  }
}
