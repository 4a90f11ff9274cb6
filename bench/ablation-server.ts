/**
 * The server of bench/ablation.ts: Vigil built as `vigil serve` builds it, from the compiled dist/
 * (what users run), whose parts can be switched off and on while it runs (POST /ablation), so that
 * the main thread's CPU per event with and without each part tells what the part costs.
 *
 * A part is switched off here, in this bench process only, by wrapping the method that does its work
 * on the classes' prototypes: nothing in Vigil has a flag for it, and a user has no reason to want
 * one. What is switched off still answers in the shape its callers expect, so the rest of the
 * pipeline runs as before; what each part's replacement skips is said beside it in PARTS.
 *
 * Run by bench/ablation.ts and bench/run.ts, compiled to plain JavaScript (bench/ablation-build.ts),
 * with VIGIL_* as for `vigil serve`, ABLATION_DIST, the build to run, and ABLATION_OFF, the parts off
 * from the start.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import promClient from 'prom-client';
import type * as AuditTrailModule from '../src/audit/audit-trail.js';
import type * as ApiKeysModule from '../src/auth/api-keys.js';
import type * as BusModule from '../src/bus/in-process-bus.js';
import type * as ConfigModule from '../src/config/config.js';
import type * as DetectorModule from '../src/detect/detector.js';
import type * as EngineModule from '../src/detect/engine.js';
import type * as EnricherModule from '../src/enrich/enricher.js';
import type * as UserAgentModule from '../src/enrich/user-agent.js';
import type * as LiveFeedModule from '../src/feed/live-feed.js';
import type * as AppModule from '../src/http/app.js';
import type * as LoggerModule from '../src/http/json-logger.js';
import type * as DeduplicatorModule from '../src/ingest/deduplicator.js';
import type * as IngestModule from '../src/ingest/ingest-service.js';
import type * as MonitorModule from '../src/monitor/monitor-service.js';
import type * as AccountContactsModule from '../src/respond/account-contacts.js';
import type * as ResponseWorkerModule from '../src/respond/response-worker.js';
import type * as HealthModule from '../src/respond/security-health.js';
import type * as RouterModule from '../src/staff-notify/alert-router.js';
import type * as SystemModule from '../src/system.js';
import type * as WebhookModule from '../src/webhooks/delivery.js';

/** The build to run (bench/ablation.ts sets it: this checkout's dist/, or another's for ABLATION_COMPARE). */
const DIST = path.resolve(process.env.ABLATION_DIST ?? path.join(import.meta.dirname, '../dist'));
const load = <T>(file: string): Promise<T> => import(pathToFileURL(path.join(DIST, file)).href) as Promise<T>;

const [
  { loadConfig },
  { createSystem },
  { buildApp },
  { createServerLogger, systemLoggerOver },
  { InProcessBus },
  { LiveFeed },
  { WebhookDelivery },
  { AlertRouter },
  { ResponseWorker },
  { SecurityHealth },
  { AccountContacts },
  { VolumeMonitor },
  { AuditTrail },
  { Enricher },
  { UserAgentParser },
  { Deduplicator },
  { ApiKeyAuthenticator },
  { noRulesDetector },
  { DetectionEngine },
  { IngestService },
] = await Promise.all([
  load<typeof ConfigModule>('config/config.js'),
  load<typeof SystemModule>('system.js'),
  load<typeof AppModule>('http/app.js'),
  load<typeof LoggerModule>('http/json-logger.js'),
  load<typeof BusModule>('bus/in-process-bus.js'),
  load<typeof LiveFeedModule>('feed/live-feed.js'),
  load<typeof WebhookModule>('webhooks/delivery.js'),
  load<typeof RouterModule>('staff-notify/alert-router.js'),
  load<typeof ResponseWorkerModule>('respond/response-worker.js'),
  load<typeof HealthModule>('respond/security-health.js'),
  load<typeof AccountContactsModule>('respond/account-contacts.js'),
  load<typeof MonitorModule>('monitor/monitor-service.js'),
  load<typeof AuditTrailModule>('audit/audit-trail.js'),
  load<typeof EnricherModule>('enrich/enricher.js'),
  load<typeof UserAgentModule>('enrich/user-agent.js'),
  load<typeof DeduplicatorModule>('ingest/deduplicator.js'),
  load<typeof ApiKeysModule>('auth/api-keys.js'),
  load<typeof DetectorModule>('detect/detector.js'),
  load<typeof EngineModule>('detect/engine.js'),
  load<typeof IngestModule>('ingest/ingest-service.js'),
]);

/**
 * Parts switched off right now (POST /ablation): every part's methods are wrapped from the start,
 * so Vigil in full and Vigil without a part run the same code but for the part's own work, in one
 * process, with one warm heap and JIT, and the bench can take turns between them every second.
 */
const off = new Set<string>();

/** Wraps a method (private ones too: this is a bench, reaching in on purpose) to do `by` instead while `part` is off. */
function switchable(
  part: string,
  proto: object,
  method: string,
  by: (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown,
): void {
  const methods = proto as Record<string, unknown>;
  const original = methods[method];
  if (typeof original !== 'function') throw new Error(`no method ${method} to switch off`);
  const replacement = by(original as (...args: unknown[]) => unknown);
  methods[method] = function (this: unknown, ...args: unknown[]) {
    return off.has(part) ? replacement.apply(this, args) : original.apply(this, args);
  };
}

const resolved = () => () => Promise.resolve();
const nothing = () => () => {};

/** What each part does per event, and what it does instead while switched off. */
const PARTS: Record<string, () => void> = {
  /** Every bus subscriber at once, and the bus's own promises per handler and message. */
  bus: () => switchable('bus', InProcessBus.prototype, 'publish', resolved),
  'live-feed': () => switchable('live-feed', LiveFeed.prototype, 'receive', nothing),
  webhooks: () => switchable('webhooks', WebhookDelivery.prototype, 'emit', () => () => Promise.resolve([])),
  'staff-notify': () => {
    switchable('staff-notify', AlertRouter.prototype, 'onRaised', resolved);
    switchable('staff-notify', AlertRouter.prototype, 'onUpdated', resolved);
  },
  'response-worker': () => switchable('response-worker', ResponseWorker.prototype, 'onResponsePlanned', resolved),
  'security-health': () => switchable('security-health', SecurityHealth.prototype, 'onEventsStored', nothing),
  'account-contacts': () => switchable('account-contacts', AccountContacts.prototype, 'onEventsStored', resolved),
  'volume-monitor': () => switchable('volume-monitor', VolumeMonitor.prototype, 'onEventsStored', resolved),
  /** The hash-chained audit appends (responses' locks and codes): answered as if written. */
  audit: () => switchable('audit', AuditTrail.prototype, 'record', () => () => Promise.resolve({})),
  /** Geo-IP and address parsing (an LRU hit per event mostly): one fixed place (detection still sees a country). */
  geo: () => {
    const place = Object.freeze({
      ip: Object.freeze({ scope: 'public', version: 4, network: '81.2.69.0/24', lookupAddress: '81.2.69.160' }),
      geo: Object.freeze({ country: 'GB', city: 'London', latitude: 51.5, longitude: -0.1, accuracyKm: 50 }),
    });
    switchable('geo', Enricher.prototype, 'place', () => () => place);
  },
  /** User-agent parsing (an LRU hit per event): one fixed answer. */
  'user-agent': () => {
    const info = Object.freeze({
      browser: 'Chrome',
      browserVersion: '120',
      os: 'Windows',
      osVersion: '10',
      deviceClass: 'desktop',
      summary: 'Chrome 120 on Windows 10',
    });
    switchable('user-agent', UserAgentParser.prototype, 'parse', () => () => info);
  },
  /** De-duplication's claim (the bench's events carry no id, so it never reads the store). */
  dedup: () =>
    switchable(
      'dedup',
      Deduplicator.prototype,
      'claim',
      () => (valid) => Promise.resolve({ fresh: valid, storedBefore: [], settle: () => {}, repeats: () => Promise.resolve([]) }),
    ),
  /** The API key's SHA-256 and LRU lookup: the key found by the secret itself. */
  'key-hash': () => {
    const known = new Map<unknown, unknown>();
    switchable(
      'key-hash',
      ApiKeyAuthenticator.prototype,
      'authenticate',
      (original) =>
        function (this: unknown, secret: unknown) {
          const key = known.get(secret);
          if (key !== undefined) return Promise.resolve(key);
          return (original.call(this, secret) as Promise<unknown>).then((found) => {
            known.set(secret, found);
            return found;
          });
        },
    );
  },
  /** prom-client's counters and histograms (events in, decisions, scoring time, request time, commits). */
  metrics: () => {
    const end = () => 0;
    // Each metric takes its `inc` or `observe` from these when it is made.
    switchable('metrics', promClient.Counter.prototype, 'incWithoutExemplar', nothing);
    switchable('metrics', promClient.Histogram.prototype, 'observeWithoutExemplar', nothing);
    switchable('metrics', promClient.Histogram.prototype, 'startTimer', () => () => end);
  },
  /** Every rule, the memory history, alerts, the responder's plans: allow with risk 0. */
  detection: () =>
    switchable(
      'detection',
      DetectionEngine.prototype,
      'score',
      () => (event, enrichment) => noRulesDetector.score(event as never, enrichment as never),
    ),
  /**
   * The whole pipeline (validation, enrichment, detection, response, the write, the bus): every event
   * answered stored with one fixed result. What is left is Vigil's HTTP layer (parsing, the key,
   * hooks, routing, the answer), for `npm run bench`'s "HTTP layer alone" (bench/run.ts).
   */
  pipeline: () => {
    const result = Object.freeze({ id: 'evt_0', decision: 'allow', risk: 0, severity: 'none', reasons: [] });
    switchable('pipeline', IngestService.prototype, 'ingest', () => (raws) => {
      const outcomes = (raws as unknown[]).map(() => ({ status: 'stored', result }));
      return Promise.resolve({ outcomes, accepted: outcomes.length, rejected: 0 });
    });
  },
  /** JSON.stringify of the answers: every answer of POST /v1/events is one fixed text (a hook below). */
  serialize: () => {},
};
for (const part of Object.values(PARTS)) part();
/** Parts off from the start (ABLATION_OFF, comma separated), for a server that is measured with them off throughout. */
for (const part of (process.env.ABLATION_OFF ?? '').split(',').filter((p) => p !== '')) {
  if (!(part in PARTS)) throw new Error(`ABLATION_OFF: unknown part "${part}"; known: ${Object.keys(PARTS).join(', ')}`);
  off.add(part);
}

const config = loadConfig(process.env);
const log = createServerLogger(config.logLevel);
const system = await createSystem(config, { logger: systemLoggerOver(log) });
const app = await buildApp(system, { logger: log });
// A reply's own serializer takes the place of the route's (JSON.stringify) while `serialize` is off.
const fixed = JSON.stringify({ id: 'evt_0', decision: 'allow', risk: 0, severity: 'none', reasons: [] });
const fixedText = () => fixed;
app.addHook('onRequest', (request, reply, done) => {
  if (off.has('serialize') && request.url.startsWith('/v1/events')) reply.serializer(fixedText);
  done();
});
// The bench's switch: {"off": "part,part"} ("" for Vigil in full). Listens on 127.0.0.1 only.
app.post('/ablation', async (request) => {
  const parts = String((request.body as { off?: unknown }).off ?? '')
    .split(',')
    .filter((p) => p !== '');
  const unknown = parts.find((p) => !(p in PARTS));
  if (unknown !== undefined) throw new Error(`unknown part "${unknown}"; known: ${Object.keys(PARTS).join(', ')}`);
  off.clear();
  for (const p of parts) off.add(p);
  return { off: [...off] };
});
const stop = async () => {
  await app.close();
  await system.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
await app.listen({ host: config.host, port: config.port });
