import { isIP } from 'node:net';
import { MIN_PASSWORD_LENGTH } from '../auth/people.js';
import { DEFAULT_SCORING, type ScoringPolicy, type SeverityThresholds } from '../detect/scoring.js';
import { DECISIONS, type Decision } from '../domain/event-schema.js';
import { SEVERITIES, type Severity } from '../domain/severity.js';
import { parseSensitivity } from '../monitor/sensitivity.js';
import { parseResponsePolicy, type ResponsePolicy } from '../respond/response-policy.js';
import { type OidcSettings, parseOidcSettings } from '../sso/oidc-settings.js';
import { DIGEST_CADENCES, type DigestCadence } from '../staff-notify/digest.js';
import type { DatabaseTarget } from '../store/database.js';
import { parseCidr } from '../webhooks/target-guard.js';

/** Everything Vigil reads from its environment, parsed once at boot. Nothing else reads process.env. */
export interface Config {
  readonly database: DatabaseTarget;
  readonly databaseUrl: string;
  readonly host: string;
  readonly port: number;
  readonly ingestKey?: string;
  readonly adminKey?: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest JSON request body, in bytes. NDJSON streams are not bounded by it, only their lines. */
  readonly bodyLimitBytes: number;
  /** Seed demo keys and history into an empty database on start. */
  readonly demo: boolean;
  /** Risk thresholds of each severity and the decision for each severity. */
  readonly scoring: ScoringPolicy;
  /** VIGIL_SECRET_KEY (32 bytes, base64 or hex), or else the key file created beside the data. */
  readonly secretKey?: Buffer;
  readonly secretKeyFile: string;
  /** SMTP server for email (smtp:// or smtps://); unset: messages go to the outbox. */
  readonly smtpUrl?: string;
  readonly mailFrom: string;
  /** HTTP gateway for SMS: Vigil POSTs {to, message} as JSON; unset: messages go to the outbox. */
  readonly smsGatewayUrl?: string;
  readonly smsGatewayToken?: string;
  /** Where notifications for admins go (critical alerts, disputes). */
  readonly adminEmails: readonly string[];
  /** Which actions each severity (and, where wanted, rule) triggers: VIGIL_RESPONSE_POLICY, JSON. */
  readonly responsePolicy: ResponsePolicy;
  /**
   * VIGIL_TRUST_AFTER_DAYS (1–365, default 7): a device, network, country or payment method first
   * seen at least this many days ago and used on two days or more is trusted (enrichment familiarity).
   */
  readonly trustAfterDays: number;
  /**
   * VIGIL_DETECTION_MEMORY_MB (16–1,048,576, default 512): the byte budget of detection state (recent
   * events per user, IP and device, amounts, habits, story marks); past it the least recently active
   * keys are forgotten first. Reported in /healthz.
   */
  readonly detectionMemoryMb: number;
  /**
   * VIGIL_DETECTION_SNAPSHOT_FILE: where `vigil serve` keeps a snapshot of detection state, so that a
   * restart replays only the events stored after it. By default beside a SQLite database
   * (`<file>.detection-snapshot`); with PostgreSQL none unless set (each server its own file);
   * `off` for none.
   */
  readonly detectionSnapshotFile?: string;
  /** VIGIL_DETECTION_SNAPSHOT_MINUTES (0–1,440, default 5): how often it is taken; 0: only at shutdown. */
  readonly detectionSnapshotMinutes: number;
  /** VIGIL_ADMIN_EMAIL / VIGIL_ADMIN_PASSWORD: the first dashboard admin, created when there is none. */
  readonly firstAdmin?: { readonly email: string; readonly password: string };
  /**
   * Whether session cookies carry `Secure` (sent over HTTPS only). VIGIL_COOKIE_SECURE=true|false;
   * by default on unless Vigil listens on a loopback address, where browsers run it over plain HTTP.
   */
  readonly cookieSecure: boolean;
  /**
   * VIGIL_WEBHOOK_ALLOW_CIDRS: comma-separated CIDR ranges webhooks may target although they are not
   * public (e.g. `10.20.0.0/16` for a receiver inside the network). None by default: webhooks to
   * loopback, private, link-local and other internal or reserved addresses are refused.
   */
  readonly webhookAllowCidrs: readonly string[];
  /**
   * VIGIL_TRUST_PROXY: comma-separated addresses or CIDR ranges of the reverse proxies in front of
   * Vigil (default none). Only a request from one of them has its X-Forwarded-For read for the
   * client's address; from any other peer the header is ignored.
   */
  readonly trustProxy: readonly string[];
  /** VIGIL_MAX_CONNECTIONS_PER_CLIENT (default 256) and VIGIL_MAX_CONNECTIONS (default 4096): open connections at once. */
  readonly maxConnectionsPerClient: number;
  readonly maxConnections: number;
  /** VIGIL_HEADERS_TIMEOUT_MS (default 10 s): how long a client may take to send a request's headers (slow-loris). */
  readonly headersTimeoutMs: number;
  /** The volume monitor: VIGIL_MONITOR_SENSITIVITY (`status=factor,…`, monitor/sensitivity.ts). */
  readonly monitorSensitivity: Readonly<Record<string, number>>;
  /** VIGIL_MONITOR_CLOSE_AFTER_MINUTES (1–1440, default 15): normal minutes in a row after which an incident is closed. */
  readonly monitorCloseAfterMinutes: number;
  /** Single sign-on for staff with OpenID Connect: VIGIL_OIDC_* (sso/oidc-settings.ts); unset: password sign-in only. */
  readonly oidc?: OidcSettings;
  /**
   * VIGIL_ROLE (`all` default | `api` | `worker`, or `vigil serve --role`): `all` is the one-process
   * mode; `api` and `worker` are the distributed mode (README, "Running on several machines"), which
   * needs PostgreSQL and NATS JetStream.
   */
  readonly role: ServeRole;
  /** VIGIL_NATS_URL (e.g. nats://127.0.0.1:4222): required by the api and worker roles. */
  readonly natsUrl?: string;
  /** VIGIL_PARTITIONS (1–4096, default 64): user ids hash into this many partitions; the same on every process. */
  readonly partitions: number;
  /** VIGIL_NATS_PREFIX (default `vigil`): the prefix of every subject, stream and bucket, so several Vigils share one NATS. */
  readonly natsPrefix: string;
  /**
   * VIGIL_SHARE_ACKS (`auto` default | `on` | `off`): whether a worker answers only once the other
   * workers say they have what it shared (cluster/source-share.ts); `auto`: when the NATS server it
   * is connected to is part of a cluster.
   */
  readonly shareAcks: ShareAcks;
  /**
   * VIGIL_PUBLIC_URL: the dashboard's address as staff reach it (e.g. https://vigil.example.com), for
   * the links in chat messages and digests. Default `http://localhost:<VIGIL_PORT>`.
   */
  readonly publicUrl: string;
  /**
   * VIGIL_STAFF_DIGEST (`off` | `hourly` | `daily`, default `daily`): the admins' email digest of the
   * period's alerts, sent to VIGIL_ADMIN_ALERT_EMAILS (none when that is unset).
   */
  readonly staffDigest: DigestCadence;
  /** VIGIL_METRICS_TOKEN: a bearer token that may read GET /metrics only (for a Prometheus scraper); admin keys may too. */
  readonly metricsToken?: string;
}

export const SERVE_ROLES = ['all', 'api', 'worker'] as const;
export type ServeRole = (typeof SERVE_ROLES)[number];
export const SHARE_ACKS = ['auto', 'on', 'off'] as const;
export type ShareAcks = (typeof SHARE_ACKS)[number];

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const MIN_KEY_LENGTH = 24;

const DEFAULT_DATABASE_URL = 'sqlite:./data/vigil.db';

/** Parses the environment. Throws ConfigError naming the variable at the first wrong value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: { readonly role?: ServeRole } = {}): Config {
  const databaseUrl = env.VIGIL_DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
  const ingestKey = optionalKey(env, 'VIGIL_INGEST_KEY');
  const adminKey = optionalKey(env, 'VIGIL_ADMIN_KEY');
  if (ingestKey !== undefined && ingestKey === adminKey) {
    throw new ConfigError('VIGIL_ADMIN_KEY', 'must differ from VIGIL_INGEST_KEY.');
  }
  const database = parseDatabaseUrl(databaseUrl, env);
  return {
    database,
    databaseUrl,
    host: parseHost(env.VIGIL_HOST),
    port: parseInteger(env, 'VIGIL_PORT', 8080, 0, 65_535),
    ...(ingestKey !== undefined && { ingestKey }),
    ...(adminKey !== undefined && { adminKey }),
    logLevel: parseChoice(env, 'VIGIL_LOG_LEVEL', LOG_LEVELS, 'info'),
    bodyLimitBytes: parseInteger(env, 'VIGIL_BODY_LIMIT_BYTES', 4 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    demo: parseChoice(env, 'VIGIL_DEMO', ['true', 'false'], 'true') === 'true',
    scoring: { thresholds: parseThresholds(env), decisions: parseDecisions(env) },
    ...optional('secretKey', parseSecretKey(env)),
    secretKeyFile: env.VIGIL_SECRET_KEY_FILE?.trim() || defaultSecretKeyFile(databaseUrl),
    ...optional('smtpUrl', parseUrl(env, 'VIGIL_SMTP_URL', ['smtp:', 'smtps:'])),
    mailFrom: env.VIGIL_MAIL_FROM?.trim() || 'Vigil <security@vigil.localhost>',
    ...optional('smsGatewayUrl', parseUrl(env, 'VIGIL_SMS_GATEWAY_URL', ['http:', 'https:'])),
    ...optional('smsGatewayToken', env.VIGIL_SMS_GATEWAY_TOKEN?.trim() || undefined),
    adminEmails: parseEmails(env, 'VIGIL_ADMIN_ALERT_EMAILS'),
    responsePolicy: parsePolicy(env.VIGIL_RESPONSE_POLICY?.trim() || undefined),
    trustAfterDays: parseInteger(env, 'VIGIL_TRUST_AFTER_DAYS', 7, 1, 365),
    monitorSensitivity: parseMonitorSensitivity(env),
    monitorCloseAfterMinutes: parseInteger(env, 'VIGIL_MONITOR_CLOSE_AFTER_MINUTES', 15, 1, 1440),
    detectionMemoryMb: parseInteger(env, 'VIGIL_DETECTION_MEMORY_MB', 512, 16, 1_048_576),
    ...optional('detectionSnapshotFile', parseSnapshotFile(env, databaseUrl)),
    detectionSnapshotMinutes: parseInteger(env, 'VIGIL_DETECTION_SNAPSHOT_MINUTES', 5, 0, 1440),
    ...optional('firstAdmin', parseFirstAdmin(env)),
    cookieSecure: parseCookieSecure(env),
    webhookAllowCidrs: parseCidrs(env, 'VIGIL_WEBHOOK_ALLOW_CIDRS'),
    trustProxy: parseTrustProxy(env),
    maxConnectionsPerClient: parseInteger(env, 'VIGIL_MAX_CONNECTIONS_PER_CLIENT', 256, 1, 1_000_000),
    maxConnections: parseInteger(env, 'VIGIL_MAX_CONNECTIONS', 4096, 1, 1_000_000),
    headersTimeoutMs: parseInteger(env, 'VIGIL_HEADERS_TIMEOUT_MS', 10_000, 1000, 600_000),
    ...optional('oidc', parseOidc(env)),
    publicUrl: parsePublicUrl(env),
    staffDigest: parseChoice(env, 'VIGIL_STAFF_DIGEST', DIGEST_CADENCES, 'daily'),
    ...parseCluster(env, overrides.role, database),
  };
}

/**
 * The distributed mode's settings. Its roles are refused at boot where they cannot work: SQLite is
 * one process's file (a worker's commit must be visible to every other worker taking a partition
 * over), and without NATS the api has nobody to send events to.
 */
function parseCluster(
  env: NodeJS.ProcessEnv,
  roleOverride: ServeRole | undefined,
  database: DatabaseTarget,
): Pick<Config, 'role' | 'natsUrl' | 'partitions' | 'natsPrefix' | 'shareAcks' | 'metricsToken'> {
  const role = roleOverride ?? parseChoice(env, 'VIGIL_ROLE', SERVE_ROLES, 'all');
  const natsUrl = parseUrl(env, 'VIGIL_NATS_URL', ['nats:', 'tls:']);
  if (role !== 'all' && database.dialect !== 'postgres')
    throw new ConfigError(
      'VIGIL_ROLE',
      `the ${role} role needs PostgreSQL: set VIGIL_DATABASE_URL to a postgres:// URL (it is ${database.dialect}).`,
    );
  if (role !== 'all' && natsUrl === undefined)
    throw new ConfigError('VIGIL_NATS_URL', `the ${role} role needs NATS JetStream: set VIGIL_NATS_URL, e.g. nats://127.0.0.1:4222.`);
  const natsPrefix = env.VIGIL_NATS_PREFIX?.trim() || 'vigil';
  // Subjects, streams and buckets are named from it: NATS allows letters, digits, - and _ in all three.
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(natsPrefix)) throw new ConfigError('VIGIL_NATS_PREFIX', 'must be 1–32 letters, digits, - or _.');
  const metricsToken = optionalKey(env, 'VIGIL_METRICS_TOKEN');
  return {
    role,
    ...optional('natsUrl', natsUrl),
    partitions: parseInteger(env, 'VIGIL_PARTITIONS', 64, 1, 4096),
    natsPrefix,
    shareAcks: parseChoice(env, 'VIGIL_SHARE_ACKS', SHARE_ACKS, 'auto'),
    ...optional('metricsToken', metricsToken),
  };
}

function parseOidc(env: NodeJS.ProcessEnv): OidcSettings | undefined {
  const parsed = parseOidcSettings(env);
  if (!parsed.ok) throw new ConfigError(parsed.error.variable, parsed.error.message);
  return parsed.value;
}

function parsePolicy(json: string | undefined): ResponsePolicy {
  const parsed = parseResponsePolicy(json);
  if (!parsed.ok) throw new ConfigError('VIGIL_RESPONSE_POLICY', parsed.error.message);
  return parsed.value;
}

/** `{ name: value }` when the value is defined, `{}` otherwise (exactOptionalPropertyTypes). */
function optional<K extends string, V>(name: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: V };
}

function parseSecretKey(env: NodeJS.ProcessEnv): Buffer | undefined {
  const raw = env.VIGIL_SECRET_KEY?.trim();
  if (!raw) return undefined;
  const bytes = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (bytes.length !== 32) {
    throw new ConfigError('VIGIL_SECRET_KEY', 'must be 32 random bytes, in hex (64 characters) or base64; e.g. openssl rand -hex 32.');
  }
  return bytes;
}

function parseFirstAdmin(env: NodeJS.ProcessEnv): { email: string; password: string } | undefined {
  const email = env.VIGIL_ADMIN_EMAIL?.trim();
  const password = env.VIGIL_ADMIN_PASSWORD;
  if (!email && !password) return undefined;
  if (!email) throw new ConfigError('VIGIL_ADMIN_EMAIL', 'is needed with VIGIL_ADMIN_PASSWORD.');
  if (!password) throw new ConfigError('VIGIL_ADMIN_PASSWORD', 'is needed with VIGIL_ADMIN_EMAIL.');
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new ConfigError('VIGIL_ADMIN_EMAIL', `"${email}" is not an email address.`);
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new ConfigError('VIGIL_ADMIN_PASSWORD', `needs at least ${MIN_PASSWORD_LENGTH} characters.`);
  return { email, password };
}

function parseCookieSecure(env: NodeJS.ProcessEnv): boolean {
  const raw = env.VIGIL_COOKIE_SECURE?.trim();
  if (raw === undefined || raw === '') return !['127.0.0.1', 'localhost', '::1'].includes(parseHost(env.VIGIL_HOST));
  return parseChoice(env, 'VIGIL_COOKIE_SECURE', ['true', 'false'], 'true') === 'true';
}

/** `10.0.0.0/8,192.168.1.10`: IPv4 or IPv6 addresses, each with an optional prefix length. */
function parseTrustProxy(env: NodeJS.ProcessEnv): readonly string[] {
  const raw = env.VIGIL_TRUST_PROXY?.trim();
  if (!raw) return [];
  return raw.split(',').map((entry) => {
    const cidr = entry.trim();
    const [address = '', prefix, ...rest] = cidr.split('/');
    const version = isIP(address);
    const bits = version === 4 ? 32 : 128;
    if (version === 0 || rest.length > 0 || (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits))) {
      throw new ConfigError('VIGIL_TRUST_PROXY', `"${cidr}" is not an IP address or CIDR range (e.g. 10.0.0.0/8).`);
    }
    return cidr;
  });
}

/** Beside the SQLite file, or ./data/secret.key for PostgreSQL. */
function parseSnapshotFile(env: NodeJS.ProcessEnv, databaseUrl: string): string | undefined {
  const raw = env.VIGIL_DETECTION_SNAPSHOT_FILE?.trim();
  if (raw === 'off') return undefined;
  if (raw) return raw;
  if (!databaseUrl.startsWith('sqlite:')) return undefined;
  const file = databaseUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  return file === ':memory:' || file.length === 0 ? undefined : `${file}.detection-snapshot`;
}

function defaultSecretKeyFile(databaseUrl: string): string {
  if (databaseUrl.startsWith('sqlite:')) {
    const file = databaseUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file !== ':memory:') return `${file.replace(/[^/]*$/, '') || './'}secret.key`;
  }
  return './data/secret.key';
}

function parseUrl(env: NodeJS.ProcessEnv, name: string, protocols: readonly string[]): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL.');
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}.`);
  return raw;
}

/** An http(s) URL without query or fragment; trailing slashes dropped, so links are `<url>/admin/…`. */
function parsePublicUrl(env: NodeJS.ProcessEnv): string {
  const raw = parseUrl(env, 'VIGIL_PUBLIC_URL', ['http:', 'https:']);
  if (raw === undefined) return `http://localhost:${parseInteger(env, 'VIGIL_PORT', 8080, 0, 65_535)}`;
  const url = new URL(raw);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError('VIGIL_PUBLIC_URL', 'must be the address of the dashboard only, without query, fragment or credentials.');
  }
  return url.toString().replace(/\/+$/, '');
}

function parseCidrs(env: NodeJS.ProcessEnv, name: string): readonly string[] {
  const raw = env[name]?.trim();
  if (!raw) return [];
  return raw.split(',').map((entry) => {
    const cidr = parseCidr(entry.trim());
    if (!cidr.ok) throw new ConfigError(name, cidr.error);
    return entry.trim();
  });
}

function parseEmails(env: NodeJS.ProcessEnv, name: string): readonly string[] {
  const raw = env[name]?.trim();
  if (!raw) return [];
  const emails = raw.split(',').map((e) => e.trim());
  const bad = emails.find((e) => !/^[^@\s]+@[^@\s]+$/.test(e));
  if (bad !== undefined) throw new ConfigError(name, `"${bad}" is not an email address.`);
  return emails;
}

function parseDatabaseUrl(url: string, env: NodeJS.ProcessEnv): DatabaseTarget {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file.length === 0) throw new ConfigError('VIGIL_DATABASE_URL', 'sqlite: needs a file path, e.g. sqlite:./data/vigil.db.');
    return {
      dialect: 'sqlite',
      file,
      synchronous: parseChoice(env, 'VIGIL_SQLITE_SYNCHRONOUS', ['normal', 'full'], 'normal'),
      // Only the default's ./data is made on the first start; a configured path must exist.
      createFolder: url === DEFAULT_DATABASE_URL,
    };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    try {
      new URL(url);
    } catch {
      throw new ConfigError('VIGIL_DATABASE_URL', 'is not a valid postgres:// URL.');
    }
    return { dialect: 'postgres', url, poolSize: parseInteger(env, 'VIGIL_PG_POOL_SIZE', 10, 1, 200) };
  }
  throw new ConfigError('VIGIL_DATABASE_URL', `must start with sqlite: or postgres:// (got "${url.split(':')[0]}:…").`);
}

function parseHost(value: string | undefined): string {
  const host = value?.trim() || '127.0.0.1';
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) throw new ConfigError('VIGIL_HOST', `"${host}" is not a host name or address.`);
  return host;
}

function parseMonitorSensitivity(env: NodeJS.ProcessEnv): Readonly<Record<string, number>> {
  const parsed = parseSensitivity(env.VIGIL_MONITOR_SENSITIVITY);
  if (!parsed.ok) throw new ConfigError('VIGIL_MONITOR_SENSITIVITY', parsed.error);
  return parsed.value;
}

function parseInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `"${raw}" is not a whole number.`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `${value} is outside ${min}–${max}.`);
  return value;
}

function parseChoice<T extends string>(env: NodeJS.ProcessEnv, name: string, choices: readonly T[], fallback: T): T {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `"${raw}" is not one of ${choices.join(', ')}.`);
  }
  return raw as T;
}

function optionalKey(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  // A short key can be guessed; refuse it rather than run with a weak secret.
  if (raw.length < MIN_KEY_LENGTH) throw new ConfigError(name, `must be at least ${MIN_KEY_LENGTH} characters.`);
  if (!/^[\x21-\x7e]+$/.test(raw)) throw new ConfigError(name, 'must be printable ASCII without spaces.');
  return raw;
}

/** `low=10,medium=30,high=60,critical=85`: each severity's least risk, rising. */
function parseThresholds(env: NodeJS.ProcessEnv): SeverityThresholds {
  const name = 'VIGIL_SEVERITY_THRESHOLDS';
  const pairs = parsePairs(env, name);
  const t = { ...DEFAULT_SCORING.thresholds } as Record<keyof SeverityThresholds, number>;
  for (const [key, value] of pairs) {
    if (!(key in t)) throw new ConfigError(name, `"${key}" is not one of low, medium, high, critical.`);
    if (!/^\d+$/.test(value) || Number(value) > 100) throw new ConfigError(name, `${key}=${value} is not a whole number from 0 to 100.`);
    t[key as keyof SeverityThresholds] = Number(value);
  }
  if (!(t.low < t.medium && t.medium < t.high && t.high < t.critical)) {
    throw new ConfigError(name, 'thresholds must rise: low < medium < high < critical.');
  }
  return t;
}

/** `low=allow,medium=challenge,high=challenge,critical=block`. */
function parseDecisions(env: NodeJS.ProcessEnv): Readonly<Record<Severity, Decision>> {
  const name = 'VIGIL_DECISION_POLICY';
  const policy = { ...DEFAULT_SCORING.decisions } as Record<Severity, Decision>;
  for (const [key, value] of parsePairs(env, name)) {
    if (!(SEVERITIES as readonly string[]).includes(key))
      throw new ConfigError(name, `"${key}" is not a severity (${SEVERITIES.join(', ')}).`);
    if (!(DECISIONS as readonly string[]).includes(value))
      throw new ConfigError(name, `${key}=${value}: the decision must be one of ${DECISIONS.join(', ')}.`);
    policy[key as Severity] = value as Decision;
  }
  return policy;
}

function parsePairs(env: NodeJS.ProcessEnv, name: string): Array<[string, string]> {
  const raw = env[name]?.trim();
  if (!raw) return [];
  return raw.split(',').map((part) => {
    const [key, value, extra] = part.split('=').map((x) => x.trim().toLowerCase());
    if (!key || value === undefined || extra !== undefined) throw new ConfigError(name, `"${part}" is not key=value.`);
    return [key, value];
  });
}
