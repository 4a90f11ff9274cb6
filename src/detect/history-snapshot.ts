import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { UserAgentInfo } from '../domain/activity-event.js';
import type { PastEvent, StoryMark } from './history.js';
import type {
  EventTable,
  HistoryState,
  KeyKind,
  KeyState,
  PopulationState,
  ProfileState,
  SnapshotKeyState,
  SnapshotState,
} from './memory-history.js';
import { type HolderKind, StoredEvent } from './stored-event.js';

/**
 * Detection state in a file, so that a restart replays only the events stored after it instead of
 * the last 25 hours (and 90 days of amounts). It is a cache of what the stored events make, never
 * the source of truth: a file that is missing, damaged, of another version, or taken under other
 * settings is refused, and the start falls back to the full replay.
 *
 * Layout: an 8-byte magic, the format version and the JSON part's length (u32 LE each), the SHA-256
 * of everything after the first 48 bytes, then a JSON part (settings and the small pieces of state)
 * padded to 8 bytes, then the columns as typed arrays: the remembered events column by column, the
 * keys, the story marks, and the texts (see version 5). Columns,
 * not objects: a million events are read back in well under a second, where V8's serializer and
 * JSON take tens of seconds on the object graph.
 *
 * Version 2 adds each event's own bytes (`event.ownBytes`, see StoredEvent), which depend on what it
 * shared when it was kept: a restored history takes back exactly what the live one charged. A version 1
 * file is refused like any other version, and the start replays the events in full.
 *
 * Version 3 adds which holder each event's bytes are charged to (`event.chargedTo`): since then an
 * event is charged once, to one of the keys that hold it, rather than a share to each, and the keys'
 * estimates of a version 2 file do not add up that way. An account's amounts are in its profile
 * (`profile.amounts`), no longer keys of their own.
 *
 * Version 4 keeps the story marks in columns (`mark.*`, their texts in the strings) rather than in the
 * JSON part, where they were most of it: in a bench of 770,000 events, 100,000 marks were 35 of the
 * JSON part's 72 MB, and parsing them most of a start's second spent reading the file.
 *
 * Version 5 keeps the strings and the events' ids as text columns (their UTF-8 bytes end to end, and
 * where each ends) rather than as JSON lists: in the same bench they were 41 of the JSON part's 47 MB,
 * and making the JSON text and parsing it took about a second of a start, against a third of that to
 * cut the strings out of the bytes. A string that UTF-8 cannot hold (a lone UTF-16 surrogate, which
 * JSON can) is kept in the JSON part instead, by its index.
 */
export const SNAPSHOT_FORMAT_VERSION = 5;
const MAGIC = Buffer.from('VIGILDS\n', 'latin1');
const HEADER_BYTES = 48;

/** What the snapshot was taken under: a start under other settings does not use it. */
export interface SnapshotMeta {
  /** Clock time when it was taken. */
  readonly takenAt: number;
  /**
   * Events received from this time on may be missing from it: the receipt of the oldest batch under
   * way when it was taken, else `takenAt`. Absent in files of earlier releases: a minute before
   * `takenAt` is replayed then.
   */
  readonly replayFrom?: number;
  /**
   * Where the stored events ended just before it was taken, on a store that keeps their order
   * (SQLite's rowid and the event there): every event stored after it is past that position, whatever
   * its receipt time. Absent on PostgreSQL and in files of earlier releases: `replayFrom` is used then.
   */
  readonly storedUpTo?: { readonly position: number; readonly eventId: string };
  /** The last event recorded before it: must be in the database it is loaded against. */
  readonly anchorEventId: string | undefined;
  readonly retentionMs: number;
  readonly maxEventsPerKey: number;
}

export interface DecodedSnapshot {
  readonly meta: SnapshotMeta;
  readonly state: SnapshotState;
}

/** Fields of a remembered event, in the order toPastEvent adds them (one hidden class for all). */
type FieldKind = 'string' | 'number' | 'flag' | 'ua';
const FIELDS: ReadonlyArray<readonly [keyof PastEvent, FieldKind]> = [
  ['id', 'string'],
  ['type', 'string'],
  ['user', 'string'],
  ['occurredAt', 'number'],
  ['newDevice', 'flag'],
  ['newCountry', 'flag'],
  ['session', 'string'],
  ['device', 'string'],
  ['ip', 'string'],
  ['network', 'string'],
  ['country', 'string'],
  ['city', 'string'],
  ['latitude', 'number'],
  ['longitude', 'number'],
  ['accuracyKm', 'number'],
  ['amount', 'number'],
  ['currency', 'string'],
  ['merchant', 'string'],
  ['paymentMethod', 'string'],
  ['category', 'string'],
  ['path', 'string'],
  ['userAgent', 'string'],
  ['ua', 'ua'],
  ['untrustedSource', 'flag'],
  ['deviceAgeMs', 'number'],
  ['untrustedNetwork', 'flag'],
];
const KINDS: readonly KeyKind[] = ['user', 'ip', 'device', 'profile', 'story'];
/** In the `event.chargedTo` column: no holder known (an event that was not a StoredEvent). */
const NOT_KNOWN = 255;
/** A number field's bit in the presence column (strings use -1, flags and user agents 0, for "absent"). */
const NUMBER_BITS = new Map(FIELDS.filter(([, k]) => k === 'number').map(([name], i) => [name, 1 << i]));
const bitOf = (name: keyof PastEvent): number => NUMBER_BITS.get(name) as number;
const [LAT_BIT, LON_BIT, ACCURACY_BIT, AMOUNT_BIT, AGE_BIT] = [
  bitOf('latitude'),
  bitOf('longitude'),
  bitOf('accuracyKm'),
  bitOf('amount'),
  bitOf('deviceAgeMs'),
];

/**
 * The remembered events' columns, in the order the encoder writes and the decoder reads them: one
 * list, so that the two cannot disagree.
 */
const PLACE_COLUMNS = ['type', 'user', 'session', 'device', 'ip', 'network', 'country', 'city'] as const;
const DETAIL_COLUMNS = ['currency', 'merchant', 'paymentMethod', 'category', 'path', 'userAgent', 'ua'] as const;
const NUMBER_COLUMNS = ['occurredAt', 'latitude', 'longitude', 'accuracyKm', 'amount', 'deviceAgeMs'] as const;
const FLAG_COLUMNS = ['newDevice', 'newCountry', 'untrustedSource', 'untrustedNetwork'] as const;
/** The numbers an event may lack, each with its bit in the presence mask (NUMBER_BITS). */
const OPTIONAL_NUMBERS = ['latitude', 'longitude', 'accuracyKm', 'amount', 'deviceAgeMs'] as const;

type Column = Int32Array | Float64Array | Uint8Array | Uint32Array;
interface SectionInfo {
  readonly name: string;
  readonly type: 'i32' | 'f64' | 'u8' | 'u32';
  readonly length: number;
}

/** Small pieces of state, as JSON, with events named by their index in the event columns. */
type JsonValue =
  | { readonly profile: Omit<ProfileState, 'lastLogin'> & { readonly lastLogin: number } }
  | { readonly marks: readonly StoryMark[] };

interface JsonPart {
  readonly meta: SnapshotMeta;
  /**
   * The strings (`text.strings.*`) and the events' ids in the order of the columns (`text.ids.*`) that
   * are not well-formed UTF-16 (a lone surrogate), by index: their text columns hold nothing for them.
   */
  readonly textsNotUtf8: {
    readonly strings: ReadonlyArray<readonly [number, string]>;
    readonly ids: ReadonlyArray<readonly [number, string]>;
  };
  readonly userAgents: readonly UserAgentInfo[];
  readonly events: number;
  /** One per key that is not a timeline, in the order of the keys. */
  readonly values: readonly JsonValue[];
  readonly population: ReadonlyArray<Omit<PopulationState, 'ring'> & { readonly ring: readonly number[] }>;
  readonly sections: readonly SectionInfo[];
}

/** An event's charged holder now; a snapshot encoded over several turns reads it from a ChargeFreeze. */
type ChargeOf = (e: StoredEvent) => HolderKind | undefined;
const chargeNow: ChargeOf = (e) => e.chargedTo;

/** The snapshot's bytes, at once. */
export function encodeSnapshot(meta: SnapshotMeta, state: HistoryState, chargedTo: ChargeOf = chargeNow): Buffer {
  const steps = encodeSteps(meta, state, chargedTo, STEP);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * The same bytes, a slice of about `sliceMs` at a time, the event loop free between slices: encoding a
 * history of a million events takes seconds, and a server must go on answering meanwhile. `state` must
 * be a copy (MemoryHistory.exportState makes one) and `chargedTo` the charges of its moment.
 */
export async function encodeSnapshotInSlices(
  meta: SnapshotMeta,
  state: HistoryState,
  chargedTo: ChargeOf,
  { sliceMs = 10, step = STEP }: { sliceMs?: number; step?: number } = {},
): Promise<Buffer> {
  const steps = encodeSteps(meta, state, chargedTo, step);
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}

/** How many events or keys between two points where an encoding in slices may pause. */
const STEP = 4096;

/** The encoding, pausing (`yield`) every `step` keys or events and between its larger parts. */
function* encodeSteps(meta: SnapshotMeta, state: HistoryState, chargedTo: ChargeOf, step: number): Generator<void, Buffer> {
  const strings = new Interner<string>();
  const userAgents = new Interner<UserAgentInfo>((ua) => JSON.stringify(ua));
  const eventIndex = new Map<PastEvent, number>();
  const events: PastEvent[] = [];
  const indexOf = (e: PastEvent): number => {
    let i = eventIndex.get(e);
    if (i === undefined) {
      i = events.length;
      eventIndex.set(e, i);
      events.push(e);
    }
    return i;
  };

  const keyCount = state.keys.length;
  const kinds = new Uint8Array(keyCount);
  const keyNames = new Int32Array(keyCount);
  const keyBytes = new Float64Array(keyCount);
  const timelineLengths = new Int32Array(keyCount);
  const members: number[] = [];
  const values: JsonValue[] = [];
  const marks = new MarkColumns((text) => strings.of(text));
  // A pause every `step` keys, or every 8 × `step` events of their timelines (a key holds up to 300).
  let membersAtPause = 0;
  for (let i = 0; i < keyCount; i++) {
    if (i % step === step - 1 || members.length - membersAtPause >= 8 * step) {
      membersAtPause = members.length;
      yield;
    }
    const k = state.keys[i] as KeyState;
    kinds[i] = KINDS.indexOf(k.kind);
    keyNames[i] = strings.of(k.key);
    keyBytes[i] = k.bytes;
    if (k.kind === 'story') {
      timelineLengths[i] = k.marks.length;
      for (const m of k.marks) marks.add(m);
    } else if (k.kind === 'profile') {
      const lastLogin = k.profile.lastLogin === undefined ? -1 : indexOf(k.profile.lastLogin);
      values.push({ profile: { ...k.profile, lastLogin } });
    } else {
      timelineLengths[i] = k.events.length;
      for (const e of k.events) members.push(indexOf(e));
    }
  }

  const n = events.length;
  const columns: Array<[string, Column]> = [];
  const presence = new Uint32Array(n);
  // Ids are unique: kept as a list, not interned.
  const ids: string[] = new Array(n);
  for (let i = 0; i < n; i++) ids[i] = (events[i] as PastEvent).id;
  const str = (name: string) => {
    const c = new Int32Array(n);
    columns.push([`event.${name}`, c]);
    return c;
  };
  const num = (name: string) => {
    const c = new Float64Array(n);
    columns.push([`event.${name}`, c]);
    return c;
  };
  const flags = (name: string) => {
    const c = new Uint8Array(n);
    columns.push([`event.${name}`, c]);
    return c;
  };
  const [type, user, session, device, ip, network, country, city] = PLACE_COLUMNS.map(str) as Int32Array[];
  const [currency, merchant, paymentMethod, category, path, userAgent, ua] = DETAIL_COLUMNS.map(str) as Int32Array[];
  const [occurredAt, latitude, longitude, accuracyKm, amount, deviceAgeMs] = NUMBER_COLUMNS.map(num) as Float64Array[];
  const [newDevice, newCountry, untrustedSource, untrustedNetwork] = FLAG_COLUMNS.map(flags) as Uint8Array[];
  const [latBit, lonBit, accBit, amountBit, ageBit] = OPTIONAL_NUMBERS.map((name) => NUMBER_BITS.get(name) as number);
  const s = (v: string | undefined): number => (v === undefined ? -1 : strings.of(v));
  const flag = (v: boolean | null | undefined): number => (v === undefined ? 0 : v === null ? 1 : v ? 3 : 2);
  // Field by field, named: one pass over the events, without keyed property reads.
  for (let i = 0; i < n; i++) {
    if (i % step === step - 1) yield;
    const e = events[i] as PastEvent;
    (type as Int32Array)[i] = strings.of(e.type);
    (user as Int32Array)[i] = strings.of(e.user);
    (occurredAt as Float64Array)[i] = e.occurredAt;
    (newDevice as Uint8Array)[i] = flag(e.newDevice);
    (newCountry as Uint8Array)[i] = flag(e.newCountry);
    (session as Int32Array)[i] = s(e.session);
    (device as Int32Array)[i] = s(e.device);
    (ip as Int32Array)[i] = s(e.ip);
    (network as Int32Array)[i] = s(e.network);
    (country as Int32Array)[i] = s(e.country);
    (city as Int32Array)[i] = s(e.city);
    let p = 0;
    if (e.latitude !== undefined) {
      (latitude as Float64Array)[i] = e.latitude;
      p |= latBit as number;
    }
    if (e.longitude !== undefined) {
      (longitude as Float64Array)[i] = e.longitude;
      p |= lonBit as number;
    }
    if (e.accuracyKm !== undefined) {
      (accuracyKm as Float64Array)[i] = e.accuracyKm;
      p |= accBit as number;
    }
    if (e.amount !== undefined) {
      (amount as Float64Array)[i] = e.amount;
      p |= amountBit as number;
    }
    (currency as Int32Array)[i] = s(e.currency);
    (merchant as Int32Array)[i] = s(e.merchant);
    (paymentMethod as Int32Array)[i] = s(e.paymentMethod);
    (category as Int32Array)[i] = s(e.category);
    (path as Int32Array)[i] = s(e.path);
    (userAgent as Int32Array)[i] = s(e.userAgent);
    (ua as Int32Array)[i] = e.ua === undefined ? -1 : userAgents.of(e.ua);
    (untrustedSource as Uint8Array)[i] = flag(e.untrustedSource);
    if (e.deviceAgeMs !== undefined) {
      (deviceAgeMs as Float64Array)[i] = e.deviceAgeMs;
      p |= ageBit as number;
    }
    (untrustedNetwork as Uint8Array)[i] = flag(e.untrustedNetwork);
    presence[i] = p;
  }
  const ownBytes = new Float64Array(n);
  const charged = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (i % step === step - 1) yield;
    const e = events[i];
    ownBytes[i] = e instanceof StoredEvent ? e.ownBytes : -1;
    charged[i] = e instanceof StoredEvent ? (chargedTo(e) ?? NOT_KNOWN) : NOT_KNOWN;
  }
  columns.push(
    ['event.presence', presence],
    ['event.ownBytes', ownBytes],
    ['event.chargedTo', charged],
    ['key.kind', kinds],
    ['key.name', keyNames],
    ['key.bytes', keyBytes],
  );
  columns.push(['key.timelineLength', timelineLengths], ['key.members', Int32Array.from(members)], ...marks.columns());
  yield;
  const stringTexts = yield* textColumns('text.strings', strings.values, step * 16);
  const idTexts = yield* textColumns('text.ids', ids, step * 16);
  columns.push(...stringTexts.columns, ...idTexts.columns);

  const json: JsonPart = {
    meta,
    textsNotUtf8: { strings: stringTexts.notUtf8, ids: idTexts.notUtf8 },
    userAgents: userAgents.values,
    events: n,
    values,
    population: state.population.map((p) => ({ ...p, ring: Array.from(p.ring) })),
    sections: columns.map(([name, c]) => ({ name, type: typeOf(c), length: c.length })),
  };
  yield;
  const jsonPieces = yield* jsonPiecesOf(json, step * 16);
  const jsonLength = jsonPieces.reduce((sum, piece) => sum + piece.length, 0);
  // One buffer, written in place: header, JSON padded with spaces, then each column 8-aligned, with
  // zeros in the gaps. Not zeroed first: a few hundred megabytes of zeros took half a second.
  let size = HEADER_BYTES + align8(jsonLength);
  for (const [, c] of columns) size += align8(c.byteLength);
  const out = Buffer.allocUnsafe(size);
  out.fill(0, 0, HEADER_BYTES);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(SNAPSHOT_FORMAT_VERSION, 8);
  out.writeUInt32LE(jsonLength, 12);
  let at = HEADER_BYTES;
  for (const piece of jsonPieces) {
    piece.copy(out, at);
    at += piece.length;
  }
  out.fill(0x20, at, HEADER_BYTES + align8(jsonLength));
  at = HEADER_BYTES + align8(jsonLength);
  yield;
  for (const [, c] of columns) {
    out.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), at);
    out.fill(0, at + c.byteLength, at + align8(c.byteLength));
    at += align8(c.byteLength);
    yield;
  }
  yield;
  const hash = createHash('sha256');
  for (let from = HEADER_BYTES; from < out.length; from += HASH_SLICE) {
    hash.update(out.subarray(from, Math.min(out.length, from + HASH_SLICE)));
    yield;
  }
  hash.digest().copy(out, 16);
  return out;
}

/**
 * `JSON.stringify(json)` as UTF-8 in pieces, the same bytes, its long lists `slice` items at a time: a
 * million event ids in one piece held the event loop for most of a second.
 */
function* jsonPiecesOf(json: JsonPart, slice: number): Generator<void, Buffer[]> {
  const pieces: Buffer[] = [];
  let first = true;
  for (const [key, value] of Object.entries(json)) {
    if (value === undefined) continue;
    pieces.push(Buffer.from(`${first ? '{' : ','}${JSON.stringify(key)}:`, 'utf8'));
    first = false;
    if (!Array.isArray(value) || value.length <= slice) {
      pieces.push(Buffer.from(JSON.stringify(value), 'utf8'));
      continue;
    }
    for (let from = 0; from < value.length; from += slice) {
      // Each slice's list without its brackets, joined by commas: the list's own text.
      const text = JSON.stringify(value.slice(from, from + slice));
      pieces.push(Buffer.from(`${from === 0 ? '[' : ','}${text.slice(1, -1)}`, 'utf8'));
      yield;
    }
    pieces.push(Buffer.from(']', 'utf8'));
  }
  pieces.push(Buffer.from(first ? '{}' : '}', 'utf8'));
  return pieces;
}

/** Bytes hashed between two pauses of an encoding in slices. */
const HASH_SLICE = 8 * 1024 * 1024;

/** Where the bytes the header's SHA-256 covers begin: everything after the header. */
export const SNAPSHOT_HASHED_FROM = HEADER_BYTES;

/**
 * The snapshot in these bytes, or why it cannot be used. `digest`: the SHA-256 of the bytes from
 * SNAPSHOT_HASHED_FROM on, when it was computed already (store/snapshot-file-reader.ts, off the main thread).
 */
export function decodeSnapshot(bytes: Buffer, digest?: Buffer): DecodedSnapshot | { readonly problem: string } {
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, 8).equals(MAGIC)) return { problem: 'not a detection snapshot' };
  const version = bytes.readUInt32LE(8);
  if (version !== SNAPSHOT_FORMAT_VERSION) return { problem: `format version ${version}, this Vigil reads ${SNAPSHOT_FORMAT_VERSION}` };
  const body = bytes.subarray(HEADER_BYTES);
  if (!(digest ?? createHash('sha256').update(body).digest()).equals(bytes.subarray(16, 48)))
    return { problem: 'checksum mismatch (damaged file)' };
  try {
    const jsonLength = bytes.readUInt32LE(12);
    const json = JSON.parse(body.subarray(0, jsonLength).toString('utf8')) as JsonPart;
    // Typed arrays need offsets aligned to their element: read in place when the file's buffer is
    // (a large readFile is), copied once otherwise.
    let aligned = body.buffer as ArrayBuffer;
    let offset = body.byteOffset + align8(jsonLength);
    if (body.byteOffset % 8 !== 0) {
      aligned = new ArrayBuffer(body.length);
      new Uint8Array(aligned).set(body);
      offset = align8(jsonLength);
    }
    const end = offset - align8(jsonLength) + body.length;
    const columns = new Map<string, Column>();
    for (const s of json.sections) {
      const column = makeColumn(s, aligned, offset);
      columns.set(s.name, column);
      offset += align8(column.byteLength);
    }
    if (offset !== end) return { problem: 'sections do not add up to the file' };
    return { meta: json.meta, state: buildState(json, columns) };
  } catch (error) {
    return { problem: `unreadable (${error instanceof Error ? error.message : String(error)})` };
  }
}

function buildState(json: JsonPart, columns: ReadonlyMap<string, Column>): SnapshotState {
  const column = <C extends Column>(name: string): C => {
    const c = columns.get(name);
    if (c === undefined) throw new Error(`no section ${name}`);
    return c as C;
  };
  const n = json.events;
  const strings = readTexts(column('text.strings.bytes'), column('text.strings.ends'), json.textsNotUtf8.strings);
  const ids = readTexts(column('text.ids.bytes'), column('text.ids.ends'), json.textsNotUtf8.ids);
  if (ids.length !== n) throw new Error('ids do not match the events');
  const table = new EventColumns(json, column, strings, ids);
  const stringAt = (i: number): string => {
    const s = strings[i];
    if (s === undefined) throw new Error(`string ${i} out of range`);
    return s;
  };
  const eventNumber = (i: number): number => {
    if (!(i >= 0 && i < n)) throw new Error(`event ${i} out of range`);
    return i;
  };

  const kinds = column<Uint8Array>('key.kind');
  const names = column<Int32Array>('key.name');
  const bytes = column<Float64Array>('key.bytes');
  const lengths = column<Int32Array>('key.timelineLength');
  const members = column<Int32Array>('key.members');
  for (let i = 0; i < members.length; i++) eventNumber(members[i] as number);
  const storyMarks = new MarkReader(column, stringAt);
  const keys: SnapshotKeyState[] = new Array(kinds.length);
  let member = 0;
  let value = 0;
  for (let i = 0; i < kinds.length; i++) {
    const kind = KINDS[kinds[i] as number];
    const key = stringAt(names[i] as number);
    const b = bytes[i] as number;
    if (kind === 'user' || kind === 'ip' || kind === 'device') {
      const length = lengths[i] as number;
      if (length < 0 || member + length > members.length) throw new Error(`key ${i} holds events past the members`);
      // A view of the members column, not a copy: the restore reads it once.
      keys[i] = { kind, key, bytes: b, events: members.subarray(member, member + length) };
      member += length;
      continue;
    }
    if (kind === 'story') {
      keys[i] = { kind, key, bytes: b, marks: storyMarks.next(lengths[i] as number) };
      continue;
    }
    const v = json.values[value++];
    if (kind === 'profile' && v !== undefined && 'profile' in v) {
      const p = v.profile;
      keys[i] = { kind, key, bytes: b, profile: { ...p, lastLogin: p.lastLogin < 0 ? undefined : eventNumber(p.lastLogin) } };
    } else throw new Error(`key ${i} of kind ${String(kind)} does not match its value`);
  }
  if (member !== members.length || value !== json.values.length || !storyMarks.done()) throw new Error('keys do not match their values');
  const population = json.population.map((p) => ({ ...p, ring: Float64Array.from(p.ring) }));
  return { table, keys, population };
}

/**
 * The remembered events' columns, read through one cursor (EventTable): `at(i)` moves it to event i,
 * and its getters answer as the PastEvent decoded field by field would, absent fields undefined.
 */
class EventColumns implements EventTable {
  readonly size: number;
  private readonly cursor: EventCursor;
  private readonly own: Float64Array;
  private readonly charged: Uint8Array;

  constructor(json: JsonPart, column: <C extends Column>(name: string) => C, strings: readonly string[], ids: readonly string[]) {
    this.size = json.events;
    this.cursor = new EventCursor(json, column, strings, ids);
    this.own = column<Float64Array>('event.ownBytes');
    this.charged = column<Uint8Array>('event.chargedTo');
    for (const c of [this.own, this.charged]) if (c.length !== this.size) throw new Error('columns do not match the events');
    for (let i = 0; i < this.size; i++) {
      const charged = this.charged[i] as number;
      if (charged > 3 && charged !== NOT_KNOWN) throw new Error(`event ${i} charged to holder ${charged}`);
    }
  }

  at(i: number): PastEvent {
    this.cursor.i = i;
    return this.cursor;
  }

  ownBytes(i: number): number | undefined {
    const own = this.own[i] as number;
    return own >= 0 ? own : undefined;
  }

  chargedTo(i: number): HolderKind | undefined {
    const charged = this.charged[i] as number;
    return charged === NOT_KNOWN ? undefined : (charged as HolderKind);
  }
}

/**
 * One event of the columns at a time; never kept (compaction copies what it needs). Every index in
 * the columns is checked when it is built, so that a bad file is refused by the decoding, not found
 * half-way through a restore.
 */
class EventCursor implements PastEvent {
  i = 0;
  private readonly ids: readonly string[];
  private readonly strings: readonly string[];
  private readonly userAgents: readonly UserAgentInfo[];
  private readonly presence: Uint32Array;
  private readonly columns: {
    readonly [K in (typeof PLACE_COLUMNS)[number] | (typeof DETAIL_COLUMNS)[number]]: Int32Array;
  } & { readonly [K in (typeof NUMBER_COLUMNS)[number]]: Float64Array } & {
    readonly [K in (typeof FLAG_COLUMNS)[number]]: Uint8Array;
  };

  constructor(json: JsonPart, column: <C extends Column>(name: string) => C, strings: readonly string[], ids: readonly string[]) {
    this.ids = ids;
    this.strings = strings;
    this.userAgents = json.userAgents;
    this.presence = column<Uint32Array>('event.presence');
    const named = <C extends Column>(names: readonly string[]) =>
      Object.fromEntries(
        names.map((name) => {
          const c = column<C>(`event.${name}`);
          if (c.length !== json.events) throw new Error(`column ${name} does not match the events`);
          return [name, c];
        }),
      );
    this.columns = {
      ...named<Int32Array>(PLACE_COLUMNS),
      ...named<Int32Array>(DETAIL_COLUMNS),
      ...named<Float64Array>(NUMBER_COLUMNS),
      ...named<Uint8Array>(FLAG_COLUMNS),
    } as EventCursor['columns'];
    if (this.presence.length !== json.events) throw new Error('columns do not match the events');
    for (const name of [...PLACE_COLUMNS, ...DETAIL_COLUMNS]) {
      const c = this.columns[name];
      const limit = name === 'ua' ? this.userAgents.length : this.strings.length;
      for (let i = 0; i < c.length; i++) if ((c[i] as number) >= limit) throw new Error(`${name} ${c[i]} out of range`);
    }
    for (const name of ['type', 'user'] as const) if (this.columns[name].includes(-1)) throw new Error(`an event without ${name}`);
  }

  private text(c: Int32Array): string | undefined {
    const v = c[this.i] as number;
    return v < 0 ? undefined : this.strings[v];
  }
  private number(c: Float64Array, bit: number): number | undefined {
    return (this.presence[this.i] as number) & bit ? (c[this.i] as number) : undefined;
  }
  /** Novelty flags: absent, null (not known then), false, true. */
  private novelty(c: Uint8Array): boolean | null | undefined {
    const v = c[this.i] as number;
    return v === 0 ? undefined : v === 1 ? null : v === 3;
  }
  private trust(c: Uint8Array): boolean | undefined {
    const v = c[this.i] as number;
    return v === 0 ? undefined : v === 3;
  }

  get id(): string {
    return this.ids[this.i] as string;
  }
  get type(): PastEvent['type'] {
    return this.text(this.columns.type) as PastEvent['type'];
  }
  get user(): string {
    return this.text(this.columns.user) as string;
  }
  get occurredAt(): number {
    return this.columns.occurredAt[this.i] as number;
  }
  get session(): string | undefined {
    return this.text(this.columns.session);
  }
  get device(): string | undefined {
    return this.text(this.columns.device);
  }
  get ip(): string | undefined {
    return this.text(this.columns.ip);
  }
  get network(): string | undefined {
    return this.text(this.columns.network);
  }
  get country(): string | undefined {
    return this.text(this.columns.country);
  }
  get city(): string | undefined {
    return this.text(this.columns.city);
  }
  get latitude(): number | undefined {
    return this.number(this.columns.latitude, LAT_BIT);
  }
  get longitude(): number | undefined {
    return this.number(this.columns.longitude, LON_BIT);
  }
  get accuracyKm(): number | undefined {
    return this.number(this.columns.accuracyKm, ACCURACY_BIT);
  }
  get amount(): number | undefined {
    return this.number(this.columns.amount, AMOUNT_BIT);
  }
  get currency(): string | undefined {
    return this.text(this.columns.currency);
  }
  get merchant(): string | undefined {
    return this.text(this.columns.merchant);
  }
  get paymentMethod(): string | undefined {
    return this.text(this.columns.paymentMethod);
  }
  get category(): string | undefined {
    return this.text(this.columns.category);
  }
  get path(): string | undefined {
    return this.text(this.columns.path);
  }
  get userAgent(): string | undefined {
    return this.text(this.columns.userAgent);
  }
  get ua(): UserAgentInfo | undefined {
    const v = this.columns.ua[this.i] as number;
    return v < 0 ? undefined : this.userAgents[v];
  }
  get newDevice(): boolean | null | undefined {
    return this.novelty(this.columns.newDevice);
  }
  get newCountry(): boolean | null | undefined {
    return this.novelty(this.columns.newCountry);
  }
  get untrustedSource(): boolean | undefined {
    return this.trust(this.columns.untrustedSource);
  }
  get deviceAgeMs(): number | undefined {
    return this.number(this.columns.deviceAgeMs, AGE_BIT);
  }
  get untrustedNetwork(): boolean | undefined {
    return this.trust(this.columns.untrustedNetwork);
  }
}

/** Mark fields in the order of their columns: each a string (an index into the strings), but the numbers. */
const MARK_TEXTS = ['eventId', 'type', 'severity', 'rule', 'message', 'session', 'device', 'alertId'] as const;
const MARK_NUMBERS = ['occurredAt', 'risk'] as const;

/** The story marks of the keys, in their order, as columns (format version 4). */
class MarkColumns {
  private readonly texts = MARK_TEXTS.map(() => [] as number[]);
  private readonly numbers = MARK_NUMBERS.map(() => [] as number[]);

  constructor(private readonly stringIndex: (text: string) => number) {}

  add(mark: StoryMark): void {
    MARK_TEXTS.forEach((field, i) => {
      const text = mark[field];
      (this.texts[i] as number[]).push(text === undefined ? -1 : this.stringIndex(text));
    });
    MARK_NUMBERS.forEach((field, i) => {
      (this.numbers[i] as number[]).push(mark[field]);
    });
  }

  columns(): Array<[string, Column]> {
    return [
      ...MARK_TEXTS.map((field, i): [string, Column] => [`mark.${field}`, Int32Array.from(this.texts[i] as number[])]),
      ...MARK_NUMBERS.map((field, i): [string, Column] => [`mark.${field}`, Float64Array.from(this.numbers[i] as number[])]),
    ];
  }
}

/** Reads the marks back, key after key. */
class MarkReader {
  private readonly texts: Int32Array[];
  private readonly numbers: Float64Array[];
  private readonly total: number;
  private at = 0;

  constructor(
    column: <C extends Column>(name: string) => C,
    private readonly stringAt: (i: number) => string,
  ) {
    this.texts = MARK_TEXTS.map((field) => column<Int32Array>(`mark.${field}`));
    this.numbers = MARK_NUMBERS.map((field) => column<Float64Array>(`mark.${field}`));
    this.total = (this.texts[0] as Int32Array).length;
    for (const c of [...this.texts, ...this.numbers]) if (c.length !== this.total) throw new Error('mark columns do not match');
  }

  /** The next key's `count` marks. */
  next(count: number): StoryMark[] {
    if (count < 0 || this.at + count > this.total) throw new Error('a story holds marks past the columns');
    const marks: StoryMark[] = new Array(count);
    const [eventId, type, severity, rule, message, session, device, alertId] = this.texts as [
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array,
    ];
    const [occurredAt, risk] = this.numbers as [Float64Array, Float64Array];
    const optional = (c: Int32Array, i: number) => {
      const n = c[i] as number;
      return n < 0 ? undefined : this.stringAt(n);
    };
    for (let k = 0; k < count; k++) {
      const i = this.at + k;
      const s = optional(session, i);
      const d = optional(device, i);
      const a = optional(alertId, i);
      marks[k] = {
        eventId: this.stringAt(eventId[i] as number),
        type: this.stringAt(type[i] as number) as StoryMark['type'],
        occurredAt: occurredAt[i] as number,
        risk: risk[i] as number,
        severity: this.stringAt(severity[i] as number) as StoryMark['severity'],
        rule: this.stringAt(rule[i] as number),
        message: this.stringAt(message[i] as number),
        ...(s !== undefined && { session: s }),
        ...(d !== undefined && { device: d }),
        ...(a !== undefined && { alertId: a }),
      };
    }
    this.at += count;
    return marks;
  }

  done(): boolean {
    return this.at === this.total;
  }
}

class Interner<T> {
  readonly values: T[] = [];
  private readonly index = new Map<T, number>();
  /** Values equal by content share a slot too (parsed user agents replayed from the database are not one object). */
  private readonly byContent = new Map<string, number>();

  constructor(private readonly contentKey?: (value: T) => string) {}

  of(value: T): number {
    let i = this.index.get(value);
    if (i !== undefined) return i;
    const key = this.contentKey?.(value);
    i = key === undefined ? undefined : this.byContent.get(key);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      if (key !== undefined) this.byContent.set(key, i);
    }
    this.index.set(value, i);
    return i;
  }
}

/**
 * Texts as two columns: their UTF-8 bytes end to end (`<name>.bytes`) and where each ends
 * (`<name>.ends`). A text UTF-8 cannot hold (a lone surrogate) takes no bytes and is listed in `notUtf8`.
 */
function* textColumns(
  name: string,
  texts: readonly string[],
  step: number,
): Generator<void, { columns: Array<[string, Column]>; notUtf8: Array<readonly [number, string]> }> {
  const notUtf8: Array<readonly [number, string]> = [];
  let total = 0;
  for (let i = 0; i < texts.length; i++) {
    if (i % step === step - 1) yield;
    const text = texts[i] as string;
    if (LONE_SURROGATE.test(text)) notUtf8.push([i, text]);
    else total += Buffer.byteLength(text, 'utf8');
  }
  const bytes = Buffer.allocUnsafe(total);
  const ends = new Uint32Array(texts.length);
  let at = 0;
  let nextNotUtf8 = 0;
  for (let i = 0; i < texts.length; i++) {
    if (i % step === step - 1) yield;
    if (notUtf8[nextNotUtf8]?.[0] === i) nextNotUtf8++;
    else at += bytes.write(texts[i] as string, at, 'utf8');
    ends[i] = at;
  }
  return {
    columns: [
      [`${name}.bytes`, bytes],
      [`${name}.ends`, ends],
    ],
    notUtf8,
  };
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The texts of two text columns, checked; an all-ASCII column is read as Latin-1, at half the cost. */
function readTexts(bytes: Uint8Array, ends: Uint32Array, notUtf8: ReadonlyArray<readonly [number, string]>): string[] {
  if (!(bytes instanceof Uint8Array) || !(ends instanceof Uint32Array)) throw new Error('text columns of the wrong type');
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const encoding = isAscii(buffer) ? 'latin1' : 'utf8';
  const texts: string[] = new Array(ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i] as number;
    if (end < start || end > buffer.length) throw new Error(`text ${i} ends out of order`);
    texts[i] = buffer.toString(encoding, start, end);
    start = end;
  }
  if (start !== buffer.length) throw new Error('texts do not fill their bytes');
  for (const [i, text] of notUtf8) {
    if (!(i >= 0 && i < texts.length) || texts[i] !== '') throw new Error(`text ${i}, not UTF-8, out of place`);
    texts[i] = text;
  }
  return texts;
}

function typeOf(c: Column): SectionInfo['type'] {
  if (c instanceof Float64Array) return 'f64';
  if (c instanceof Int32Array) return 'i32';
  if (c instanceof Uint32Array) return 'u32';
  return 'u8';
}

function makeColumn(s: SectionInfo, buffer: ArrayBuffer, offset: number): Column {
  switch (s.type) {
    case 'f64':
      return new Float64Array(buffer, offset, s.length);
    case 'i32':
      return new Int32Array(buffer, offset, s.length);
    case 'u32':
      return new Uint32Array(buffer, offset, s.length);
    case 'u8':
      return new Uint8Array(buffer, offset, s.length);
    default:
      throw new Error(`unknown section type ${String(s.type)}`);
  }
}

const align8 = (n: number): number => (n + 7) & ~7;
