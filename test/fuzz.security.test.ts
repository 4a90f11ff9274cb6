/**
 * Property-based fuzzing of the HTTP API with fast-check (issue 15). Every case is sent through
 * `app.inject()` to a whole Vigil on a fresh database, and every answer must hold these properties:
 *
 * - no 5xx, whatever the body, query string, headers or cookies;
 * - answered within VIGIL_FUZZ_MAX_MS (1000 ms by default) of this process's CPU time, measured per
 *   case: CPU time, not wall-clock time, which a machine busy with other work stretches at will;
 * - every 4xx has the error shape `{ error: { code, message, requestId } }`, with `code` one of the
 *   public ERROR_CODES whose status is the one answered, and `requestId` the x-request-id header;
 * - a refused POST /v1/events (single event or JSON batch) stores nothing, and an accepted one
 *   stores at most what it reports as accepted.
 *
 * Reproducible by default: a fixed seed (VIGIL_FUZZ_SEED overrides). VIGIL_FUZZ_RUNS scales the
 * number of cases: `10x` multiplies every property's runs by 10, a plain number (`20000`) is the
 * total spread over the properties in the same proportions.
 */
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/core/errors.js';
import { EVENT_TYPES } from '../src/domain/vocabulary.js';
import { statusFor } from '../src/http/errors.js';
import { ADMIN_KEY, INGEST_KEY, type SignedInPerson, startTestApp, type TestApp } from './support/app.js';

// ---------------------------------------------------------------------------------------------
// Budget: seed, runs, time limit.

const SEED = Number.parseInt(process.env.VIGIL_FUZZ_SEED ?? '', 10) || 20261205;
const STRICT = process.env.VIGIL_FUZZ_STRICT === '1';
const MAX_MS = Number.parseInt(process.env.VIGIL_FUZZ_MAX_MS ?? '', 10) || 1000;

/** Base runs per property; their sum is the default number of cases per CI run. */
const BASE_RUNS = {
  arbitraryJson: 400,
  adversarialEvent: 700,
  deepNesting: 120,
  rawBytes: 200,
  batch: 250,
  ndjson: 250,
  queryStrings: 700,
  headersAndCookies: 500,
  csvUpload: 100,
} as const;
type PropertyName = keyof typeof BASE_RUNS;
const BASE_TOTAL = Object.values(BASE_RUNS).reduce((a, b) => a + b, 0);

function scale(): number {
  const raw = (process.env.VIGIL_FUZZ_RUNS ?? '').trim();
  if (raw === '') return 1;
  const multiplier = /^(\d+(?:\.\d+)?)x$/i.exec(raw);
  if (multiplier) return Number(multiplier[1]);
  if (/^\d+$/.test(raw)) return Number(raw) / BASE_TOTAL;
  throw new Error(`VIGIL_FUZZ_RUNS must be a multiplier such as 10x or a total number of cases, not ${JSON.stringify(raw)}`);
}
const SCALE = scale();
const runsOf = (name: PropertyName) => Math.max(1, Math.round(BASE_RUNS[name] * SCALE));
/** Generous: the cases themselves take a fraction of this on a loaded 2-core machine. */
const timeoutOf = (name: PropertyName) => Math.max(60_000, runsOf(name) * 200);
const seedOf = (name: PropertyName) => (SEED + Object.keys(BASE_RUNS).indexOf(name) * 7919) | 0;

// ---------------------------------------------------------------------------------------------
// The app, and the checks every answer must pass.

let t: TestApp;
let admin: SignedInPerson;
const summary: string[] = [];

beforeAll(async () => {
  t = await startTestApp();
  admin = await t.person('admin');
}, 60_000);
afterAll(async () => {
  console.log(`[fuzz] seed=${SEED} scale=${SCALE} maxMs=${MAX_MS} strict=${STRICT}\n${summary.join('\n')}`);
  await t?.close();
});

class Stats {
  cases = 0;
  maxMs = 0;
  readonly statuses = new Map<number, number>();
  /** Answers that broke a property in a way already reported (see KNOWN DEVIATIONS). */
  readonly known = new Map<string, number>();
  constructor(readonly name: PropertyName) {}
  record(status: number, ms: number) {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    this.maxMs = Math.max(this.maxMs, ms);
  }
  line(): string {
    const statuses = [...this.statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    return `[fuzz] ${this.name}: ${this.cases} cases, ${this.statuses.size > 0 ? [...this.statuses.values()].reduce((a, b) => a + b, 0) : 0} requests, statuses ${statuses}, slowest ${this.maxMs.toFixed(0)} ms${
      this.known.size > 0 ? `, KNOWN DEVIATIONS ${[...this.known.entries()].map(([k, n]) => `${k}×${n}`).join(' ')}` : ''
    }`;
  }
}

/**
 * KNOWN DEVIATIONS: answers that break a property, reported with issue 15 and not yet fixed. They
 * are counted and printed rather than failing CI; VIGIL_FUZZ_STRICT=1 fails on them. Delete an entry
 * once its bug is fixed (the property then guards against its return).
 *
 * - `router-error-shape`: a path with malformed percent-encoding (GET /v1/users/%/events) is
 *   answered 400, and a path parameter longer than MAX_PARAM_LENGTH (GET /v1/users/<2305+ chars>/events)
 *   414, by Fastify's router with its own body `{"error":"Bad Request","code":"FST_ERR_BAD_URL" |
 *   "FST_ERR_MAX_PARAM_LENGTH",…}`, not Vigil's error shape (no error.code, no requestId, and 414
 *   has no ErrorCode): setErrorHandler does not see router errors (Fastify's frameworkErrors does).
 * - `limit-infinity-500`: GET /v1/audit?limit=Infinity (also -Infinity, 1e999; the same on
 *   /v1/alerts, /v1/users/:user/events, /v1/logins/flagged, /v1/snoozes) is answered 500
 *   internal_error: Ajv's coerceTypes turns the string into the number Infinity and lets it through
 *   `Type.Integer({ minimum: 1, maximum: 500 })`, so the store is asked for `limit + 1` = Infinity rows.
 * - `csv-opening-quote-500`: POST /v1/logins/score with a quote inside an unquoted cell (e.g.
 *   `user_id,timestamp\nx"y,2026-01-01T00:00:00Z`) is answered 500 internal_error: csv-parse throws
 *   code INVALID_OPENING_QUOTE, the one code without the CSV_ prefix that readLoginCsv
 *   (src/logins/login-csv.ts) turns into invalid_csv, so it is rethrown.
 */
function knownDeviation(_res: LightMyRequestResponse, _options: InjectOptions): string | undefined {
  // None open: the three this suite found (?limit=Infinity answered 500, a quote inside an unquoted
  // CSV cell answered 500, the router's own errors in Fastify's shape) are fixed. A deviation found
  // later and not fixed at once is named here, counted and printed, and fails with VIGIL_FUZZ_STRICT=1.
  return undefined;
}

/** Sends one request, times it, and checks the properties every answer must have. */
async function request(stats: Stats, options: InjectOptions): Promise<LightMyRequestResponse> {
  // CPU time of the whole process (every thread, so the login-scoring worker's too): what a pathological
  // input costs, the same however busy the machine. Wall-clock time is only printed.
  const cpu = process.cpuUsage();
  const started = performance.now();
  const res = await t.app.inject(options);
  const wallMs = performance.now() - started;
  const spent = process.cpuUsage(cpu);
  const ms = (spent.user + spent.system) / 1000;
  stats.record(res.statusCode, wallMs);
  const what = `${String(options.method ?? 'GET')} ${String(options.url).slice(0, 200)} → ${res.statusCode}`;
  const known = STRICT ? undefined : knownDeviation(res, options);
  if (known !== undefined) {
    stats.known.set(known, (stats.known.get(known) ?? 0) + 1);
    return res;
  }
  expect(res.statusCode, `${what}: ${res.body.slice(0, 500)}`).toBeLessThan(500);
  expect(ms, `${what} took ${ms.toFixed(0)} ms of CPU time`).toBeLessThan(MAX_MS);
  if (res.statusCode >= 400) expectErrorShape(res, what);
  return res;
}

function expectErrorShape(res: LightMyRequestResponse, what: string) {
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    throw new Error(`${what}: a 4xx body that is not JSON: ${res.body.slice(0, 200)}`);
  }
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  expect(error, `${what}: ${res.body.slice(0, 300)}`).toBeTypeOf('object');
  const { code, message, requestId } = error as Record<string, unknown>;
  expect(ERROR_CODES as readonly unknown[], `${what}: error.code ${String(code)}`).toContain(code);
  expect(statusFor(code as (typeof ERROR_CODES)[number]), `${what}: status of ${String(code)}`).toBe(res.statusCode);
  expect(message, what).toBeTypeOf('string');
  expect(requestId, what).toBe(res.headers['x-request-id']);
}

/** Runs one property with its seed and number of runs, and prints what it saw. */
async function fuzz<T>(name: PropertyName, arb: fc.Arbitrary<T>, check: (value: T, stats: Stats) => Promise<void>) {
  const stats = new Stats(name);
  try {
    await fc.assert(
      fc.asyncProperty(arb, async (value) => {
        stats.cases++;
        await check(value, stats);
      }),
      { seed: seedOf(name), numRuns: runsOf(name) },
    );
  } finally {
    const line = stats.line();
    summary.push(line);
    console.log(line);
  }
}

const ingestHeaders = (contentType = 'application/json') => ({ authorization: `Bearer ${INGEST_KEY}`, 'content-type': contentType });
const countEvents = () => t.system.events.countEvents();

/** A POST /v1/events whose storage effect is checked too: a 4xx stores nothing. */
async function sendEvents(stats: Stats, payload: string | Buffer, options: { query?: string; contentType?: string } = {}) {
  const before = await countEvents();
  const res = await request(stats, {
    method: 'POST',
    url: `/v1/events${options.query ? `?${options.query}` : ''}`,
    headers: ingestHeaders(options.contentType),
    payload,
  });
  const stored = (await countEvents()) - before;
  if (res.statusCode >= 400) {
    expect(stored, `refused with ${res.statusCode} ${res.body.slice(0, 200)} but stored ${stored}`).toBe(0);
  } else {
    const body = res.json() as { accepted?: number };
    const accepted = typeof body.accepted === 'number' ? body.accepted : 1;
    expect(stored, `${res.statusCode} reporting ${accepted} accepted`).toBeLessThanOrEqual(accepted);
  }
  return res;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries.

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800', // lone high surrogate
  '\uDFFF', // lone low surrogate
  'x\uD83D',
  '\uDE00x',
  '\uFEFF',
  '\u202Eevil',
  '\u2028\u2029',
  'e\u0301\u0301\u0301',
  '\u{1F600}\u{1F468}\u200D\u{1F469}\u200D\u{1F467}',
  '\uFFFF\uFFFE',
  '../../etc/passwd',
  "' OR 1=1 --",
  '"; DROP TABLE events; --',
  '%00%FF%',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Log4Shell probe, meant literally
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '=cmd|"/c calc"!A1',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '2026-11-24T09:30:00Z',
  '2026-11-24T09:30:00+99:99',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  '::ffff:127.0.0.1',
  '999.999.999.999',
  'fe80::1%eth0',
];
const HUGE_LENGTHS = [255, 256, 257, 1024, 1025, 2048, 2049, 8193, 70_000];

const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('a', '€', '\u{1F600}', '\u0000', '\uD800'), fc.constantFrom(...HUGE_LENGTHS))
      .map(([c, n]) => c.repeat(n)),
  },
);

/** Values of every JSON type, small and extreme. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(null, true, false, 0, -1, -0.5, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER + 2, [], {}, [null], {
      '': '',
    }),
  },
  { weight: 1, arbitrary: fc.double() },
);

const FIELDS = [
  'type',
  'user',
  'id',
  'timestamp',
  'session',
  'device',
  'ip',
  'userAgent',
  'email',
  'amount',
  'currency',
  'merchant',
  'paymentMethod',
  'path',
  'attributes',
] as const;
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', '__defineGetter__', 'toString'];

const userId = fc.oneof(
  fc.constantFrom('alice', 'bob', 'fuzz-user'),
  fc.string({ minLength: 1, maxLength: 20 }),
  fc.constantFrom('\u0000', '\uD800', 'u'.repeat(256), 'u'.repeat(257)),
);

/** A mostly valid event, so that the server also gets as far as enrichment and detection. */
const validEvent = fc.record(
  {
    type: fc.constantFrom(...EVENT_TYPES),
    user: userId,
    id: fc.stringMatching(/^[A-Za-z0-9._:@-]{1,12}$/),
    ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('81.2.69.160', '127.0.0.1', '10.0.0.1')),
    device: fc.string({ minLength: 1, maxLength: 10 }),
    userAgent: fc.string({ maxLength: 60 }),
    amount: fc.double({ min: 0, max: 1e9, noNaN: true }),
    currency: fc.constantFrom('EUR', 'USD', 'gbp'),
    email: fc.emailAddress(),
    timestamp: fc
      .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2026-01-01T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString()),
    attributes: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  },
  { requiredKeys: ['type', 'user'] },
);

/**
 * JSON text of an object from key/value pairs, written by hand so that keys such as `__proto__`
 * really are in the text (an object literal would set the prototype instead), duplicates included.
 */
const objectText = (entries: ReadonlyArray<readonly [string, unknown]>) =>
  `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;

/** A valid event with some fields replaced by wrong types or adversarial values, and extra keys. */
const adversarialEventText = fc
  .tuple(
    validEvent,
    fc.array(fc.tuple(fc.constantFrom(...FIELDS), anyValue), { maxLength: 4 }),
    fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ maxLength: 10 })), anyValue), { maxLength: 2 }),
    fc.array(fc.constantFrom(...FIELDS), { maxLength: 2 }),
  )
  .map(([event, overrides, extras, dropped]) => {
    const entries = new Map<string, unknown>(Object.entries(event));
    for (const [k, v] of overrides) entries.set(k, v);
    for (const k of dropped) entries.delete(k);
    return objectText([...entries.entries(), ...extras]);
  });

const nested = (depth: number, where: 'array' | 'object' | 'mixed') => {
  if (where === 'array') return `${'['.repeat(depth)}${']'.repeat(depth)}`;
  if (where === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return `${'[{"a":'.repeat(depth)}null${'}]'.repeat(depth)}`;
};

// ---------------------------------------------------------------------------------------------
// POST /v1/events

describe('fuzzing POST /v1/events', () => {
  it(
    'answers any JSON value or any text sent as application/json without a 5xx, and stores nothing it refuses',
    async () => {
      const body = fc.oneof(
        { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null') },
        { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
        { weight: 1, arbitrary: fc.constantFrom('', ' ', '\n', 'null', '{', '}', '[]', '{"type":', '"\\ud800"', '\u0000', '{}{}', '1 2') },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify({ events: v })) },
      );
      await fuzz('arbitraryJson', body, async (payload, stats) => {
        await sendEvents(stats, payload);
      });
    },
    timeoutOf('arbitraryJson'),
  );

  it(
    'refuses an event with wrong types, adversarial strings and prototype keys in any field with a 4xx, and stores nothing',
    async () => {
      await fuzz(
        'adversarialEvent',
        fc.tuple(adversarialEventText, fc.constantFrom('', 'atomic=true', 'atomic=false', 'atomic=yes')),
        async ([payload, query], stats) => {
          await sendEvents(stats, payload, { query });
        },
      );
    },
    timeoutOf('adversarialEvent'),
  );

  it(
    'answers nesting hundreds of levels deep, at the top, in attributes and in a batch, without a 5xx',
    async () => {
      const arb = fc.tuple(
        fc.oneof(fc.integer({ min: 1, max: 600 }), fc.constantFrom(31, 32, 33, 64, 1000, 5000)),
        fc.constantFrom('array', 'object', 'mixed') as fc.Arbitrary<'array' | 'object' | 'mixed'>,
        fc.constantFrom('top', 'attributes', 'field', 'batch'),
      );
      await fuzz('deepNesting', arb, async ([depth, shape, where], stats) => {
        const deep = nested(depth, shape);
        const payload =
          where === 'top'
            ? deep
            : where === 'attributes'
              ? `{"type":"logout","user":"deep","attributes":{"x":${deep}}}`
              : where === 'field'
                ? `{"type":"logout","user":${deep}}`
                : `{"events":[{"type":"logout","user":"deep"},{"type":"logout","user":"deep","attributes":${deep}}]}`;
        await sendEvents(stats, payload);
      });
    },
    timeoutOf('deepNesting'),
  );

  it(
    'answers bodies that are not UTF-8 (invalid sequences, encoded surrogates, NUL bytes) without a 5xx',
    async () => {
      const badBytes = fc.constantFrom(
        [0xff],
        [0xfe, 0xff],
        [0xc0, 0x80], // overlong NUL
        [0xed, 0xa0, 0x80], // an encoded surrogate
        [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
        [0xe2, 0x82], // truncated
        [0x00],
      );
      const arb = fc.oneof(
        fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)),
        fc
          .tuple(fc.constantFrom('{"type":"logout","user":"', '{"type":"', '{"events":[{"type":"logout","user":"'), badBytes)
          .map(([prefix, bytes]) =>
            Buffer.concat([Buffer.from(prefix), Buffer.from(bytes), Buffer.from(prefix.startsWith('{"events"') ? '"}]}' : '"}')]),
          ),
      );
      await fuzz(
        'rawBytes',
        fc.tuple(arb, fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/x-ndjson')),
        async ([payload, contentType], stats) => {
          await sendEvents(stats, payload, { contentType });
        },
      );
    },
    timeoutOf('rawBytes'),
  );

  it(
    'answers JSON batches of valid and adversarial events, with any atomic flag, and stores no more than it accepts',
    async () => {
      const item = fc.oneof(
        { weight: 2, arbitrary: validEvent.map((e) => JSON.stringify(e)) },
        { weight: 2, arbitrary: adversarialEventText },
        { weight: 1, arbitrary: anyValue.map((v) => JSON.stringify(v) ?? 'null') },
      );
      const arb = fc.tuple(
        fc.array(item, { maxLength: 8 }),
        fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.constantFrom('type', 'extra')), anyValue), { maxLength: 1 }),
        fc.constantFrom('', 'atomic=true', 'atomic=false', 'atomic=TRUE', 'atomic=true&atomic=false', 'atomic'),
      );
      await fuzz('batch', arb, async ([items, extras, query], stats) => {
        const extraText = extras.map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join('');
        const res = await sendEvents(stats, `{"events":[${items.join(',')}]${extraText}}`, { query });
        if (res.statusCode === 200 || res.statusCode === 207) {
          const body = res.json() as { accepted: number; rejected: number; results?: unknown[] };
          if (body.results) expect(body.results).toHaveLength(items.length);
        }
      });
    },
    timeoutOf('batch'),
  );

  it(
    'answers NDJSON streams of random lines, and accounts for every line',
    async () => {
      const line = fc.oneof(
        { weight: 3, arbitrary: validEvent.map((e) => JSON.stringify(e)) },
        { weight: 2, arbitrary: adversarialEventText },
        { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null') },
        { weight: 1, arbitrary: fc.constantFrom('', ' ', '\r', '{', '[', '"', nested(400, 'array'), 'x'.repeat(70_000)) },
      );
      const arb = fc.tuple(
        fc.array(line, { maxLength: 10 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.constantFrom('application/x-ndjson', 'application/ndjson', 'application/x-ndjson; charset=utf-8', 'APPLICATION/X-NDJSON'),
        fc.constantFrom('', 'atomic=false', 'atomic=true', 'atomic=1'),
      );
      await fuzz('ndjson', arb, async ([lines, eol, contentType, query], stats) => {
        const text = lines.join(eol);
        const res = await sendEvents(stats, text, { contentType, query });
        if (res.statusCode === 200) {
          const body = res.json() as { accepted: number; rejected: number; errors: unknown[] };
          // Random lines may hold line breaks themselves: at most one record per break, plus one.
          const physicalLines = (text.match(/\r\n|\r|\n/g)?.length ?? 0) + 1;
          expect(body.accepted + body.rejected).toBeLessThanOrEqual(physicalLines);
          expect(body.errors.length).toBeLessThanOrEqual(body.rejected);
        }
      });
    },
    timeoutOf('ndjson'),
  );
});

// ---------------------------------------------------------------------------------------------
// Query strings on GET routes

const percentEncode = (s: string) =>
  [...Buffer.from(s, 'utf8')]
    .map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`))
    .join('');

const ROUTES: ReadonlyArray<{ path: string; keys: readonly string[] }> = [
  { path: '/v1/alerts', keys: ['status', 'severity', 'user', 'ip', 'rule', 'type', 'q', 'from', 'to', 'limit', 'cursor'] },
  { path: '/v1/users/alice/events', keys: ['type', 'from', 'to', 'limit', 'cursor'] },
  { path: '/v1/lists', keys: ['list', 'kind', 'includeExpired'] },
  { path: '/v1/audit', keys: ['subject', 'action', 'actor', 'limit', 'cursor'] },
  { path: '/v1/logins/flagged', keys: ['user', 'limit', 'cursor'] },
  { path: '/v1/snoozes', keys: [] },
  { path: '/v1/monitor/series', keys: [] },
];

/** A query value: percent-encoded text, or raw fragments that are themselves malformed. */
const queryValue = fc.oneof(
  { weight: 3, arbitrary: nastyString.map(percentEncode) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '1',
      '0',
      '-1',
      '500',
      '501',
      '1e3',
      '0x10',
      'true',
      'false',
      'all',
      'open,closed',
      'high,,low',
      '2026-01-01',
      '2026-01-01T00:00:00Z',
      'Infinity',
      '-Infinity',
      '1e999',
      'NaN',
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom('%', '%zz', '%FF', '%00', '%ED%A0%80', '%C0%80', '+', '%2C', 'a%', '[]', '%5B%5D') },
  { weight: 1, arbitrary: fc.base64String({ maxLength: 60 }).map(percentEncode) },
  { weight: 1, arbitrary: fc.constantFrom(...HUGE_LENGTHS).map((n) => 'q'.repeat(Math.min(n, 8193))) },
);

describe('fuzzing query strings', () => {
  it(
    'answers any query string on the GET routes with 200 or a 4xx in the error shape',
    async () => {
      const arb = fc.tuple(
        fc.constantFrom(...ROUTES),
        fc.array(
          fc.tuple(
            fc.oneof(
              fc.constantFrom('limit', 'cursor', 'from', 'to', 'type', ...PROTO_KEYS, 'a[b]', 'x[]'),
              fc.string({ maxLength: 6 }).map(percentEncode),
              fc.nat(12),
            ),
            queryValue,
          ),
          { maxLength: 5 },
        ),
        fc.oneof(fc.constant('alice'), nastyString.map(percentEncode), fc.constantFrom('%', '%2F', '..', '%2e%2e', 'u'.repeat(300))),
        fc.boolean(),
      );
      await fuzz('queryStrings', arb, async ([route, pairs, user, bareKey], stats) => {
        const path = route.path.replace('/alice/', `/${user === '' ? 'alice' : user}/`);
        const query = pairs.map(
          ([k, v]) => `${typeof k === 'number' ? (route.keys[k % Math.max(1, route.keys.length)] ?? 'limit') : k}=${v}`,
        );
        if (bareKey) query.push(route.keys[0] ?? 'x');
        const url = `${path}?${query.join('&')}`;
        await request(stats, { method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      });
    },
    timeoutOf('queryStrings'),
  );
});

// ---------------------------------------------------------------------------------------------
// Headers and cookies

/** Header values as a client could really send them: printable ASCII and Latin-1. */
const headerText = (maxLength: number) =>
  fc.string({
    unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff })).map((c) => String.fromCharCode(c)),
    maxLength,
  });

describe('fuzzing headers and cookies', () => {
  it(
    'answers any content-type, authorization, CSRF header and cookie without a 5xx',
    async () => {
      const authorization = fc.oneof(
        fc.constant(undefined),
        fc.constantFrom(
          `Bearer ${INGEST_KEY}`,
          `Bearer ${ADMIN_KEY}`,
          `bearer ${ADMIN_KEY}`,
          `Bearer  ${ADMIN_KEY}`,
          `Basic ${ADMIN_KEY}`,
          'Bearer',
          'Bearer ',
          '',
          `Bearer ${'k'.repeat(8000)}`,
          'Bearer vgl_ingest_',
        ),
        headerText(80).map((s) => `Bearer ${s}`),
        headerText(40),
      );
      const contentType = fc.oneof(
        fc.constant(undefined),
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'application/json; charset=utf-16',
          'application/json;;;',
          'APPLICATION/JSON',
          'application/x-ndjson',
          'application/ndjson',
          'text/plain',
          'text/csv',
          'application/csv',
          'multipart/form-data; boundary=x',
          'application/x-www-form-urlencoded',
          'application/octet-stream',
          '*/*',
          '',
          ';',
          'application/json, text/plain',
        ),
        headerText(40),
      );
      const cookie = fc.oneof(
        fc.constant(undefined),
        fc.constant('valid-session'),
        fc.tuple(fc.constantFrom('vigil_session', 'session', '__proto__', 'constructor', ''), headerText(60)).map(([k, v]) => `${k}=${v}`),
        fc.constantFrom(
          'vigil_session=%',
          'vigil_session=%E0%A4%A',
          'vigil_session=',
          `vigil_session=${'s'.repeat(4000)}`,
          ';;;',
          '=',
          'a=b; vigil_session=x; vigil_session=y',
        ),
        headerText(80),
      );
      const target = fc.constantFrom(
        { method: 'POST', url: '/v1/events' },
        { method: 'POST', url: '/v1/events?atomic=true' },
        { method: 'GET', url: '/v1/alerts' },
        { method: 'GET', url: '/v1/users/alice/events' },
        { method: 'GET', url: '/v1/me/snoozes' },
        { method: 'POST', url: '/v1/me/snoozes' },
        { method: 'POST', url: '/v1/logins/score' },
        { method: 'GET', url: '/v1/session' },
        { method: 'DELETE', url: '/v1/session' },
        { method: 'PUT', url: '/v1/events' },
      ) as fc.Arbitrary<{ method: 'GET' | 'POST' | 'DELETE' | 'PUT'; url: string }>;
      const body = fc.oneof(
        fc.constant('{"type":"logout","user":"header-fuzz"}'),
        fc.constant('{"events":[{"type":"logout","user":"header-fuzz"}]}'),
        fc.constant('user_id,timestamp\nalice,2026-01-01T00:00:00Z\n'),
        fc.string({ maxLength: 40 }),
      );
      // Most cases from their own address: failed keys are rate-limited per address (429), which
      // would otherwise answer nearly every case after the first few dozen.
      const remoteAddress = fc.oneof(fc.constant('127.0.0.1'), fc.ipV4(), fc.ipV6());
      const arb = fc.tuple(target, authorization, contentType, cookie, fc.option(headerText(60), { nil: undefined }), body, remoteAddress);
      await fuzz('headersAndCookies', arb, async ([{ method, url }, auth, type, cookieValue, csrf, payload, remote], stats) => {
        const headers: Record<string, string> = {};
        if (auth !== undefined) headers.authorization = auth;
        if (type !== undefined) headers['content-type'] = type;
        if (cookieValue !== undefined) headers.cookie = cookieValue === 'valid-session' ? admin.cookie : cookieValue;
        if (csrf !== undefined) headers['x-csrf-token'] = csrf === '' ? admin.csrfToken : csrf;
        const before = await countEvents();
        const res = await request(stats, { method, url, headers, remoteAddress: remote, ...(method !== 'GET' && { payload }) });
        if (url.startsWith('/v1/events') && res.statusCode >= 400) expect(await countEvents()).toBe(before);
      });
    },
    timeoutOf('headersAndCookies'),
  );
});

// ---------------------------------------------------------------------------------------------
// CSV upload

describe('fuzzing the login-activity CSV upload', () => {
  it(
    'answers random CSV files and contamination values with 200 or a 4xx in the error shape',
    async () => {
      const column = fc.oneof(
        fc.constantFrom(
          'user_id',
          'user',
          'username',
          'timestamp',
          'time',
          'datetime',
          'ip_address',
          'location',
          'country',
          'device_type',
          'amount',
          '',
          '"quoted,name"',
          '__proto__',
          'constructor',
        ),
        fc.string({ maxLength: 8 }),
      );
      const cell = fc.oneof(
        fc.constantFrom(
          'alice',
          'bob',
          '2026-01-01T00:00:00Z',
          '2026-13-45T99:99:99Z',
          '81.2.69.160',
          '::1',
          'not-an-ip',
          'GB',
          'mobile',
          '1',
          '-1e308',
          'NaN',
          '',
          '"',
          '""',
          '"a,b"',
          '=1+1',
          '\u0000',
          '\uD800',
        ),
        fc.string({ maxLength: 12 }),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      );
      const arb = fc.tuple(
        fc.array(column, { minLength: 0, maxLength: 6 }),
        fc.array(fc.array(cell, { maxLength: 7 }), { maxLength: 40 }),
        fc.constantFrom(',', ';', '\t'),
        fc.constantFrom('\n', '\r\n'),
        fc.constantFrom(
          '',
          'contamination=auto',
          'contamination=0.05',
          'contamination=0.5',
          'contamination=0.9',
          'contamination=-1',
          'contamination=NaN',
          'contamination=1e-400',
          'contamination=',
          'only=flagged',
          'only=none',
        ),
        fc.constantFrom('text/csv', 'application/csv', 'text/csv; charset=utf-8'),
        fc.boolean(),
      );
      await fuzz('csvUpload', arb, async ([header, rows, sep, eol, query, contentType, bom], stats) => {
        const text = `${bom ? '\uFEFF' : ''}${[header, ...rows].map((r) => r.join(sep)).join(eol)}`;
        await request(stats, {
          method: 'POST',
          url: `/v1/logins/score${query ? `?${query}` : ''}`,
          headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': contentType },
          payload: text,
        });
      });
    },
    timeoutOf('csvUpload'),
  );
});
