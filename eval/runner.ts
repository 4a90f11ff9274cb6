import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import type { Clock } from '../src/core/clock.js';
import type { EventResult } from '../src/domain/event-schema.js';
import type { Severity } from '../src/domain/severity.js';
import type { GeoIp } from '../src/enrich/geoip.js';
import { createSystem } from '../src/system.js';
import type { Corpus } from './corpus.js';

export const BATCH_SIZE = 500;
const IN_FLIGHT = 2;

export interface RunOutput {
  /** One result per corpus event, in corpus order. */
  readonly results: readonly EventResult[];
  /** Each alert's final severity and rules, by id, for every alert an event was answered with. */
  readonly alerts: ReadonlyMap<string, { readonly severity: Severity; readonly ruleIds: readonly string[] }>;
  readonly seconds: number;
}

/**
 * Sends the corpus through a real Vigil (every built-in rule at its defaults, the real store on a
 * fresh SQLite file, real enrichment) in process, in time order, in batches; the clock is moved to
 * each batch's latest event so that nothing is "in the future" and alerts carry corpus time.
 */
export async function runCorpus(corpus: Corpus, geoIp: GeoIp, onProgress?: (done: number) => void): Promise<RunOutput> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-eval-'));
  const started = performance.now();
  let now = Date.parse(corpus.params.start);
  const clock: Clock = { now: () => now };
  try {
    const config = loadConfig({
      VIGIL_DATABASE_URL: `sqlite:${path.join(dir, 'eval.db')}`,
      VIGIL_SECRET_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
      VIGIL_DEMO: 'false',
      VIGIL_LOG_LEVEL: 'warn',
    });
    const system = await createSystem(config, {
      clock,
      geoIp,
      logger: { info() {}, warn() {}, error: (m, e) => console.error(m, e) },
    });
    const results: EventResult[] = new Array(corpus.events.length);
    try {
      // A few batches in flight, as a busy client would send them: the ingest service still scores
      // them one at a time in order, and the next is scored while the last one commits.
      const inFlight: Promise<void>[] = [];
      for (let first = 0; first < corpus.events.length; first += BATCH_SIZE) {
        const batch = corpus.events.slice(first, first + BATCH_SIZE);
        now = Math.max(now, (batch[batch.length - 1] as (typeof batch)[number]).at + 1000);
        const sent = system.ingest.ingest(batch.map((e) => e.event)).then((report) => {
          report.outcomes.forEach((o, i) => {
            if (o.status === 'rejected')
              throw new Error(`event ${first + i} rejected: ${o.problem.message} ${JSON.stringify(batch[i]?.event)}`);
            if (o.status === 'not_stored' || o.status === 'unanswered') throw new Error(`event ${first + i} not stored`);
            results[first + i] = o.result;
          });
          onProgress?.(first + batch.length);
        });
        inFlight.push(sent);
        if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
      }
      await Promise.all(inFlight);
      const alerts = new Map<string, { severity: Severity; ruleIds: readonly string[] }>();
      for (const r of results) {
        if (r.alertId === undefined || alerts.has(r.alertId)) continue;
        const alert = await system.alerts.get(r.alertId);
        if (alert) alerts.set(r.alertId, { severity: alert.severity, ruleIds: alert.ruleIds });
      }
      return { results, alerts, seconds: (performance.now() - started) / 1000 };
    } finally {
      await system.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
