import { DEFAULT_SCORING, type ScoringPolicy, type SeverityThresholds } from '../detect/scoring.js';
import { DECISIONS, type Decision, SEVERITIES, type Severity } from '../ingest/event-schema.js';
import type { DatabaseTarget } from '../store/database.js';

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
}

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

/** Parses the environment. Throws ConfigError naming the variable at the first wrong value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.VIGIL_DATABASE_URL?.trim() || 'sqlite:./data/vigil.db';
  const ingestKey = optionalKey(env, 'VIGIL_INGEST_KEY');
  const adminKey = optionalKey(env, 'VIGIL_ADMIN_KEY');
  if (ingestKey !== undefined && ingestKey === adminKey) {
    throw new ConfigError('VIGIL_ADMIN_KEY', 'must differ from VIGIL_INGEST_KEY.');
  }
  return {
    database: parseDatabaseUrl(databaseUrl, env),
    databaseUrl,
    host: parseHost(env.VIGIL_HOST),
    port: parseInteger(env, 'VIGIL_PORT', 8080, 0, 65_535),
    ...(ingestKey !== undefined && { ingestKey }),
    ...(adminKey !== undefined && { adminKey }),
    logLevel: parseChoice(env, 'VIGIL_LOG_LEVEL', LOG_LEVELS, 'info'),
    bodyLimitBytes: parseInteger(env, 'VIGIL_BODY_LIMIT_BYTES', 4 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    demo: parseChoice(env, 'VIGIL_DEMO', ['true', 'false'], 'true') === 'true',
    scoring: { thresholds: parseThresholds(env), decisions: parseDecisions(env) },
  };
}

function parseDatabaseUrl(url: string, env: NodeJS.ProcessEnv): DatabaseTarget {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file.length === 0) throw new ConfigError('VIGIL_DATABASE_URL', 'sqlite: needs a file path, e.g. sqlite:./data/vigil.db.');
    return {
      dialect: 'sqlite',
      file,
      synchronous: parseChoice(env, 'VIGIL_SQLITE_SYNCHRONOUS', ['normal', 'full'], 'normal'),
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
