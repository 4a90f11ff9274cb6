import { createHash } from 'node:crypto';
import { AUDIT_ACTIONS } from '../domain/vocabulary.js';

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

const ACTION_SET: ReadonlySet<string> = new Set(AUDIT_ACTIONS);
export const isAuditAction = (value: string): value is AuditAction => ACTION_SET.has(value);

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type AuditDetails = { readonly [key: string]: JsonValue };

/**
 * One entry of the log. Actors are `vigil` (automatic responses), `cli` (the command line), an API
 * key as `<name> (<key id>)`, or an account owner as `user:<id> via <key>`.
 */
export interface AuditEntry {
  readonly seq: number;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly actor: string;
  readonly action: AuditAction;
  /** What the action was about: `account:<user>`, `alert:<id>`, `rule:<id>`, `key:<id>`, `webhook:<id>`. */
  readonly subject: string;
  readonly details: AuditDetails;
  readonly prevHash: string;
  readonly hash: string;
}

/** An entry before the store numbers and chains it. */
export type AuditDraft = Omit<AuditEntry, 'seq' | 'prevHash' | 'hash'>;

/** The `prevHash` of entry #1: there is nothing before it. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Keys that would name a secret: one-time codes, key secrets, passwords, tokens. The audit log is
 * kept forever and read by every admin, so a secret written there could never be taken back;
 * refusing such keys outright (rather than masking them) makes a caller's mistake fail in its tests.
 * `codeId`, `keyId` and `prefix` do not match: they identify, they do not unlock.
 */
const SECRET_KEY = /code$|secret|password|token|^key$/i;

/**
 * Checks and normalises details before they are hashed: plain JSON only (undefined members dropped
 * as JSON.stringify would, dates as ISO 8601), and no key that names a secret, at any depth. Throws,
 * as each failure is a bug in the caller, not an input to handle.
 */
export function auditDetails(details: Readonly<Record<string, unknown>>): AuditDetails {
  return normalise(details, '') as AuditDetails;
}

function normalise(value: unknown, path: string): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`Audit details ${path || '/'} is ${value}, which JSON cannot hold.`);
    return value;
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v, i) => (v === undefined ? null : normalise(v, `${path}/${i}`)));
  if (typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    const out: Record<string, JsonValue> = {};
    for (const [key, member] of Object.entries(value)) {
      if (SECRET_KEY.test(key)) throw new Error(`Audit details must not carry secrets: refused key ${path}/${key}.`);
      if (member === undefined) continue;
      out[key] = normalise(member, `${path}/${key}`);
    }
    return out;
  }
  throw new TypeError(`Audit details ${path || '/'} is a ${typeof value}, not plain JSON.`);
}

/**
 * RFC 8785 (JSON Canonicalization Scheme) for the JSON values details hold: object keys sorted by
 * UTF-16 code units at every depth, no whitespace, strings and numbers exactly as ECMAScript's
 * JSON.stringify writes them. Serialising the same value twice, or after a round trip through the
 * database, gives the same text, so the hash does not depend on how the row was read back.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v: JsonValue) => canonicalJson(v)).join(',')}]`;
  const object = value as { readonly [key: string]: JsonValue };
  return `{${Object.keys(object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(object[k] as JsonValue)}`)
    .join(',')}}`;
}

/**
 * The hash of an entry, so that anyone can re-verify the log without Vigil:
 *
 *     hash = lowercase hex SHA-256 of the UTF-8 bytes of
 *            JCS({ "action", "actor", "at", "details", "prevHash", "seq", "subject" })
 *
 * JCS is RFC 8785 (sorted keys, no whitespace; see `canonicalJson`); `seq` and `at` (epoch ms) are
 * integers, `details` is the parsed `details_json` column, `prevHash` is the previous entry's `hash`
 * (64 zeros for entry #1). For example, entry #1 hashes the text
 * `{"action":"key.created","actor":"cli","at":1700000000000,"details":{"keyId":"key_1"},"prevHash":"000…000","seq":1,"subject":"key:key_1"}`.
 * Since `prevHash` is inside the hashed text, changing any entry changes its hash and every later
 * entry's `prevHash` stops matching.
 */
export function hashEntry(prevHash: string, entry: Omit<AuditEntry, 'prevHash' | 'hash'>): string {
  const text = canonicalJson({
    action: entry.action,
    actor: entry.actor,
    at: entry.at,
    details: entry.details,
    prevHash,
    seq: entry.seq,
    subject: entry.subject,
  });
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Numbers and chains drafts after the entry `tail` (undefined for an empty log). */
export function chainDrafts(
  tail: { readonly seq: number; readonly hash: string } | undefined,
  drafts: readonly AuditDraft[],
): AuditEntry[] {
  let seq = tail?.seq ?? 0;
  let prevHash = tail?.hash ?? GENESIS_HASH;
  return drafts.map((draft) => {
    seq += 1;
    const entry = { ...draft, seq, prevHash, hash: hashEntry(prevHash, { ...draft, seq }) };
    prevHash = entry.hash;
    return entry;
  });
}

/**
 * - `hash mismatch`: the entry's fields no longer give its hash (the row was edited);
 * - `chain break`: its `prevHash` is not the previous entry's hash (a row before it was rewritten
 *   with a recomputed hash, or its `prev_hash` was edited);
 * - `gap`: a sequence number is missing (a row was deleted). The missing number is the one named.
 */
export type ChainBreakReason = 'hash mismatch' | 'chain break' | 'gap';

export interface ChainBreak {
  readonly seq: number;
  readonly reason: ChainBreakReason;
}

export type ChainCheck =
  | { readonly ok: true; readonly entries: number }
  | { readonly ok: false; readonly entries: number; readonly broken: ChainBreak };

/**
 * Checks entries given oldest first, continuing a chain whose last verified entry had hash
 * `expectedPrev` and was numbered `expectedSeq - 1` (defaults: the start of the log). Stops at the
 * first broken entry; `entries` counts those verified before it. Deleting the newest entries cannot
 * be seen from the chain alone: compare the head with one kept elsewhere for that.
 */
export function verifyChain(entries: Iterable<AuditEntry>, expectedPrev: string = GENESIS_HASH, expectedSeq = 1): ChainCheck {
  let count = 0;
  let prev = expectedPrev;
  let seq = expectedSeq;
  for (const entry of entries) {
    if (entry.seq !== seq) return { ok: false, entries: count, broken: { seq, reason: 'gap' } };
    if (entry.prevHash !== prev) return { ok: false, entries: count, broken: { seq, reason: 'chain break' } };
    if (hashEntry(entry.prevHash, entry) !== entry.hash) return { ok: false, entries: count, broken: { seq, reason: 'hash mismatch' } };
    count += 1;
    prev = entry.hash;
    seq += 1;
  }
  return { ok: true, entries: count };
}
