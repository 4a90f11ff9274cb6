import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { PACKED_ID_WORDS } from '../core/ids.js';
import type { UserAgentInfo } from '../domain/activity-event.js';
import type { EventType } from '../domain/event-schema.js';
import { EVENT_TYPES } from '../domain/vocabulary.js';
import type { PastEvent, StoryMark } from './history.js';
import { KeptMark } from './kept-mark.js';
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
import {
  Client,
  EventCompactor,
  fitsSource,
  type HolderKind,
  Locality,
  localityKey,
  MAX_OWN_BYTES,
  Place,
  Purchase,
  Source,
  StoredEvent,
} from './stored-event.js';

/**
 * Detection state in a file, so that a restart replays only the events stored after it instead of
 * the last 25 hours (and 90 days of amounts). It is a cache of what the stored events make, never
 * the source of truth: a file that is missing, damaged, of another version, or taken under other
 * settings is refused, and the start falls back to the full replay.
 *
 * Layout: an 8-byte magic, the format version and the JSON part's length (u32 LE each), the SHA-256
 * of everything after the first 48 bytes, then a JSON part (settings and the small pieces of state)
 * padded to 8 bytes, then the columns as typed arrays: the remembered events column by column, the
 * parts they share (see version 6), the keys, the story marks, and the texts (see version 5). Columns,
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
 *
 * Version 6 keeps the parts that events share as the history kept them (StoredEvent: who, from where
 * and with what, `source.*`; places, `place.*`; browsers, `client.*`; purchases, `purchase.*`), each once,
 * and the events name theirs by index; an event's own fields are its columns (`event.*`: its session,
 * its four flags packed as StoredEvent packs them, its own bytes, never unknown now: an event that is
 * not a StoredEvent yet is compacted by the encoder). A version 5 file held every field of every
 * event, and the restore compacted each event again, comparing it with its neighbours: 0.6 to 0.9 s
 * of a start with 770,000 events, most of the restore. Now it makes each part once and each event in
 * one call, and the parts shared before the restart are shared after it, exactly (texts are shared
 * by value, as the strings' column holds each once).
 *
 * Version 7 keeps the ids Vigil made packed, four 32-bit words each (`event.id`, as StoredEvent keeps
 * them, see core/ids.ts's packId), and only the others (a client's own ids) as text, marked in
 * `event.presence`: a million ids were a million texts to write, and to decode one by one at a start
 * (too long to cut out of their column, see readTexts).
 *
 * Version 8 has the same layout, but its timelines hold no page view more than 15 minutes behind
 * their newest event, but for sessions' marks (MemoryHistory.insert): a history that looks only at
 * the page views that fell behind since a key's last event must start from one so pruned. A version
 * 7 file's timelines kept a day of page views; it is refused, and the first start after the upgrade
 * replays in full, once.
 *
 * Version 9 keeps with each source the high half of its events' times and when their device was
 * first seen (`source.timeHigh`, `source.deviceSince`, marked present in `source.presence`), which
 * StoredEvent now keeps there rather than in each event; a restore refuses an event that does not fit
 * its source. A version 8 file has no such columns; it is refused like any other version.
 *
 * Version 10 has the same layout, but its keys' estimates no longer include the byte budget's row of
 * each key (the budget counts its columns itself, ByteBudget.columnBytes), and a restore pools the
 * places' localities. A version 9 file (only this version's earlier commits wrote one) is refused:
 * its keys would stay charged a row each, twice.
 *
 * Version 11 has the same layout, but its story keys' estimates are a kept mark's (detect/kept-mark.ts:
 * its object and its texts, the message included), where they were a flat 120 bytes a mark. A
 * version 10 file is refused: forgetting its marks would take back more than they were charged.
 */
export const SNAPSHOT_FORMAT_VERSION = 11;
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

const KINDS: readonly KeyKind[] = ['user', 'ip', 'device', 'profile', 'story'];
/** In the `event.chargedTo` column: no holder known (an event that was not a StoredEvent). */
const NOT_KNOWN = 255;

/**
 * The columns of the remembered events and of the parts they share, in the order the encoder writes
 * them: each a list the two sides read, so that they cannot disagree. Texts are indices into the
 * strings (-1: absent), parts indices into their own columns (-1: none), numbers that may be absent
 * have a bit in their table's `presence` column.
 */
const EVENT_TEXTS = ['type', 'session', 'path'] as const;
const EVENT_PARTS = ['source', 'purchase'] as const;
const SOURCE_TEXTS = ['user', 'device', 'ip'] as const;
const SOURCE_PARTS = ['place', 'client'] as const;
const PLACE_TEXTS = ['network', 'country', 'city'] as const;
const PLACE_NUMBERS = ['latitude', 'longitude', 'accuracyKm'] as const;
const PURCHASE_TEXTS = ['currency', 'merchant', 'paymentMethod', 'category', 'path'] as const;
/** A purchase's amount and an event's device age, in their presence columns. */
const PRESENT = 1;
/** In `event.presence`: the event's id is text (in `text.ids`), not packed in `event.id`. */
const ID_AS_TEXT = 2;

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
   * The strings (`text.strings.*`) and the events' ids kept as text (`text.ids.*`) that
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
  const s = (v: string | undefined): number => (v === undefined ? -1 : strings.of(v));
  // The parts events share (a user's consecutive events from one device and address share a Source;
  // places, browsers), each once, by identity: the restore shares exactly what the live
  // history did, and makes each part once rather than comparing every event with its neighbours.
  const sources = new Interner<Source>();
  const places = new Interner<Place>();
  const clients = new Interner<Client>();
  const purchases = new Interner<Purchase>();
  // An event in a hand-made state that is not in the history's form yet: compacted on its own.
  const compactor = new EventCompactor();
  const idWords = new Int32Array(PACKED_ID_WORDS * n);
  const idTexts: string[] = [];
  const eventTexts = EVENT_TEXTS.map(() => new Int32Array(n));
  const eventParts = EVENT_PARTS.map(() => new Int32Array(n));
  const [type, session, path] = eventTexts as [Int32Array, Int32Array, Int32Array];
  const [source, purchase] = eventParts as [Int32Array, Int32Array];
  const occurredAt = new Float64Array(n);
  const deviceAgeMs = new Float64Array(n);
  const eventPresence = new Uint8Array(n);
  const eventFlags = new Uint8Array(n);
  const ownBytes = new Float64Array(n);
  const charged = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (i % step === step - 1) yield;
    const given = events[i] as PastEvent;
    const e = given instanceof StoredEvent ? given : compactor.compact(given, given.user, given.ip, given.device, undefined, undefined);
    if (!e.idWords(idWords, PACKED_ID_WORDS * i)) {
      idTexts.push(e.id);
      eventPresence[i] = ID_AS_TEXT;
    }
    type[i] = strings.of(e.type);
    session[i] = s(e.session);
    occurredAt[i] = e.occurredAt;
    source[i] = sources.of(e.source);
    const bought = e.purchase;
    purchase[i] = bought === undefined ? -1 : purchases.of(bought);
    path[i] = bought === undefined ? s(e.path) : -1;
    const age = e.deviceAgeMs;
    if (age !== undefined) {
      deviceAgeMs[i] = age;
      eventPresence[i] = (eventPresence[i] as number) | PRESENT;
    }
    eventFlags[i] = e.flags;
    ownBytes[i] = e.ownBytes;
    charged[i] = e === given ? (chargedTo(e) ?? NOT_KNOWN) : NOT_KNOWN;
  }
  yield;
  const sourceTexts = SOURCE_TEXTS.map(() => new Int32Array(sources.values.length));
  const sourceParts = SOURCE_PARTS.map(() => new Int32Array(sources.values.length));
  const sourceTimeHigh = new Float64Array(sources.values.length);
  const sourceDeviceSince = new Float64Array(sources.values.length);
  const sourcePresence = new Uint8Array(sources.values.length);
  for (let i = 0; i < sources.values.length; i++) {
    if (i % step === step - 1) yield;
    const x = sources.values[i] as Source;
    sourceTimeHigh[i] = x.timeHigh;
    if (x.deviceSince !== undefined) {
      sourceDeviceSince[i] = x.deviceSince;
      sourcePresence[i] = PRESENT;
    }
    SOURCE_TEXTS.forEach((field, f) => {
      (sourceTexts[f] as Int32Array)[i] = s(x[field]);
    });
    (sourceParts[0] as Int32Array)[i] = places.of(x.place);
    (sourceParts[1] as Int32Array)[i] = x.client === undefined ? -1 : clients.of(x.client);
  }
  yield;
  const placeTexts = PLACE_TEXTS.map(() => new Int32Array(places.values.length));
  const placeNumbers = PLACE_NUMBERS.map(() => new Float64Array(places.values.length));
  const placePresence = new Uint8Array(places.values.length);
  places.values.forEach((x, i) => {
    PLACE_TEXTS.forEach((field, f) => {
      (placeTexts[f] as Int32Array)[i] = s(x[field]);
    });
    PLACE_NUMBERS.forEach((field, f) => {
      const v = x[field];
      if (v === undefined) return;
      (placeNumbers[f] as Float64Array)[i] = v;
      placePresence[i] = (placePresence[i] as number) | (1 << f);
    });
  });
  const clientTexts = new Int32Array(clients.values.length);
  const clientUas = new Int32Array(clients.values.length);
  clients.values.forEach((x, i) => {
    clientTexts[i] = s(x.userAgent);
    clientUas[i] = x.ua === undefined ? -1 : userAgents.of(x.ua);
  });
  const purchaseTexts = PURCHASE_TEXTS.map(() => new Int32Array(purchases.values.length));
  const amounts = new Float64Array(purchases.values.length);
  const purchasePresence = new Uint8Array(purchases.values.length);
  purchases.values.forEach((x, i) => {
    PURCHASE_TEXTS.forEach((field, f) => {
      (purchaseTexts[f] as Int32Array)[i] = s(x[field]);
    });
    if (x.amount !== undefined) {
      amounts[i] = x.amount;
      purchasePresence[i] = PRESENT;
    }
  });
  yield;
  const named = <C extends Column>(prefix: string, names: readonly string[], list: readonly C[]): Array<[string, Column]> =>
    names.map((name, f) => [`${prefix}.${name}`, list[f] as C]);
  columns.push(
    ...named('event', EVENT_TEXTS, eventTexts),
    ...named('event', EVENT_PARTS, eventParts),
    ['event.id', idWords],
    ['event.occurredAt', occurredAt],
    ['event.deviceAgeMs', deviceAgeMs],
    ['event.presence', eventPresence],
    ['event.flags', eventFlags],
    ['event.ownBytes', ownBytes],
    ['event.chargedTo', charged],
    ...named('source', SOURCE_TEXTS, sourceTexts),
    ...named('source', SOURCE_PARTS, sourceParts),
    ['source.timeHigh', sourceTimeHigh],
    ['source.deviceSince', sourceDeviceSince],
    ['source.presence', sourcePresence],
    ...named('place', PLACE_TEXTS, placeTexts),
    ...named('place', PLACE_NUMBERS, placeNumbers),
    ['place.presence', placePresence],
    ['client.userAgent', clientTexts],
    ['client.ua', clientUas],
    ...named('purchase', PURCHASE_TEXTS, purchaseTexts),
    ['purchase.amount', amounts],
    ['purchase.presence', purchasePresence],
    ['key.kind', kinds],
    ['key.name', keyNames],
    ['key.bytes', keyBytes],
  );
  columns.push(['key.timelineLength', timelineLengths], ['key.members', Int32Array.from(members)], ...marks.columns());
  yield;
  const stringTexts = yield* textColumns('text.strings', strings.values, step * 16);
  const idTextColumns = yield* textColumns('text.ids', idTexts, step * 16);
  columns.push(...stringTexts.columns, ...idTextColumns.columns);

  const json: JsonPart = {
    meta,
    textsNotUtf8: { strings: stringTexts.notUtf8, ids: idTextColumns.notUtf8 },
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
  const stringAt = (i: number): string => {
    const s = strings[i];
    if (s === undefined) throw new Error(`string ${i} out of range`);
    return s;
  };
  const table = new EventColumns(json, column, strings, ids);
  const eventNumber = (i: number): number => {
    if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new Error(`event ${i} out of range`);
    return i;
  };

  const kinds = column<Uint8Array>('key.kind');
  const names = column<Int32Array>('key.name');
  const bytes = column<Float64Array>('key.bytes');
  const lengths = column<Int32Array>('key.timelineLength');
  const members = column<Int32Array>('key.members');
  for (const c of [names, bytes, lengths]) if (c.length !== kinds.length) throw new Error('key columns do not match the keys');
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    // An estimate that is not a finite number would stop the budget from ever forgetting anything.
    if (!(Number.isFinite(b) && b >= 0)) throw new Error(`key ${i} estimated at ${b} bytes`);
  }
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
 * The remembered events' columns (EventTable): the parts they share are made once each, here, with
 * every index checked, so that a bad file is refused by the decoding, not found half-way through a
 * restore; each event is made when the restore takes it.
 */
class EventColumns implements EventTable {
  readonly size: number;
  /** The events' packed ids, four words each (StoredEvent's); by event, its id's index in `idTexts`, -1 when packed. */
  private readonly idWords: Int32Array;
  private readonly idText: Int32Array;
  private readonly idTexts: readonly string[];
  private readonly strings: readonly string[];
  private readonly sources: readonly Source[];
  private readonly purchases: readonly Purchase[];
  private readonly type: Int32Array;
  private readonly session: Int32Array;
  private readonly path: Int32Array;
  private readonly source: Int32Array;
  private readonly purchase: Int32Array;
  private readonly occurredAt: Float64Array;
  private readonly deviceAgeMs: Float64Array;
  private readonly presence: Uint8Array;
  private readonly flags: Uint8Array;
  private readonly own: Float64Array;
  private readonly charged: Uint8Array;
  private readonly pooled: readonly string[];
  private readonly clientList: readonly Client[];
  private readonly localityList: readonly Locality[];

  constructor(json: JsonPart, column: <C extends Column>(name: string) => C, strings: readonly string[], ids: readonly string[]) {
    const n = json.events;
    this.size = n;
    this.strings = strings;
    // A column of a table of `length` rows whose values are indices into `limit` (-1: absent, when allowed).
    const indices = (name: string, length: number, limit: number, absent = true): Int32Array => {
      const c = column<Int32Array>(name);
      if (!(c instanceof Int32Array) || c.length !== length) throw new Error(`column ${name} does not match its table`);
      for (let i = 0; i < c.length; i++) {
        const v = c[i] as number;
        if (v >= limit || v < (absent ? -1 : 0)) throw new Error(`${name} ${v} out of range`);
      }
      return c;
    };
    const sized = <C extends Column>(name: string, length: number, kind: new (n: number) => C): C => {
      const c = column<C>(name);
      if (!(c instanceof kind) || c.length !== length) throw new Error(`column ${name} does not match its table`);
      return c;
    };
    const text = (c: Int32Array, i: number): string | undefined => {
      const v = c[i] as number;
      return v < 0 ? undefined : strings[v];
    };

    const placeCount = column<Uint8Array>('place.presence').length;
    const [network, country, city] = PLACE_TEXTS.map((f) => indices(`place.${f}`, placeCount, strings.length)) as Int32Array[];
    const coordinates = PLACE_NUMBERS.map((f) => sized(`place.${f}`, placeCount, Float64Array));
    const placePresence = sized('place.presence', placeCount, Uint8Array);
    const places: Place[] = new Array(placeCount);
    const coordinate = (f: number, i: number): number | undefined =>
      ((placePresence[i] as number) >> f) & 1 ? ((coordinates[f] as Float64Array)[i] as number) : undefined;
    // Places of one city share its locality, as the compactor's pool had them share it.
    const localities = new Map<string, Locality>();
    for (let i = 0; i < placeCount; i++) {
      const fields = [
        text(country as Int32Array, i),
        text(city as Int32Array, i),
        coordinate(0, i),
        coordinate(1, i),
        coordinate(2, i),
      ] as const;
      const key = localityKey(...fields);
      let locality = localities.get(key);
      if (locality === undefined) {
        locality = new Locality(...fields);
        localities.set(key, locality);
      }
      places[i] = new Place(text(network as Int32Array, i), locality);
    }

    if (!Array.isArray(json.userAgents) || !json.userAgents.every(isUserAgent)) throw new Error('user agents not as parsed');
    const clientCount = column<Int32Array>('client.ua').length;
    const clientTexts = indices('client.userAgent', clientCount, strings.length);
    const clientUas = indices('client.ua', clientCount, json.userAgents.length);
    const clients: Client[] = new Array(clientCount);
    for (let i = 0; i < clientCount; i++) {
      const ua = clientUas[i] as number;
      clients[i] = new Client(text(clientTexts, i), ua < 0 ? undefined : json.userAgents[ua]);
    }

    const sourceCount = column<Int32Array>('source.user').length;
    const [user, device, ip] = SOURCE_TEXTS.map((f) => indices(`source.${f}`, sourceCount, strings.length, f !== 'user')) as Int32Array[];
    const place = indices('source.place', sourceCount, placeCount, false);
    const client = indices('source.client', sourceCount, clientCount);
    const timeHigh = sized('source.timeHigh', sourceCount, Float64Array);
    const deviceSince = sized('source.deviceSince', sourceCount, Float64Array);
    const sourcePresence = sized('source.presence', sourceCount, Uint8Array);
    const sources: Source[] = new Array(sourceCount);
    for (let i = 0; i < sourceCount; i++) {
      const c = client[i] as number;
      sources[i] = new Source(
        strings[(user as Int32Array)[i] as number] as string,
        text(device as Int32Array, i),
        text(ip as Int32Array, i),
        places[place[i] as number] as Place,
        c < 0 ? undefined : clients[c],
        timeHigh[i] as number,
        (sourcePresence[i] as number) & PRESENT ? (deviceSince[i] as number) : undefined,
      );
    }
    this.sources = sources;

    const purchaseCount = column<Uint8Array>('purchase.presence').length;
    const [currency, merchant, paymentMethod, category, purchasePath] = PURCHASE_TEXTS.map((f) =>
      indices(`purchase.${f}`, purchaseCount, strings.length),
    ) as Int32Array[];
    const amounts = sized('purchase.amount', purchaseCount, Float64Array);
    const purchasePresence = sized('purchase.presence', purchaseCount, Uint8Array);
    const purchases: Purchase[] = new Array(purchaseCount);
    for (let i = 0; i < purchaseCount; i++)
      purchases[i] = new Purchase(
        (purchasePresence[i] as number) & PRESENT ? (amounts[i] as number) : undefined,
        text(currency as Int32Array, i),
        text(merchant as Int32Array, i),
        text(paymentMethod as Int32Array, i),
        text(category as Int32Array, i),
        text(purchasePath as Int32Array, i),
      );
    this.purchases = purchases;

    [this.type, this.session, this.path] = EVENT_TEXTS.map((f) => indices(`event.${f}`, n, strings.length, f !== 'type')) as [
      Int32Array,
      Int32Array,
      Int32Array,
    ];
    const knownType = new Uint8Array(strings.length);
    for (let i = 0; i < n; i++) {
      const t = this.type[i] as number;
      if (knownType[t] === 1) continue;
      if (!EVENT_TYPE_NAMES.has(strings[t] as string)) throw new Error(`event type ${JSON.stringify(strings[t])} unknown`);
      knownType[t] = 1;
    }
    this.source = indices('event.source', n, sourceCount, false);
    this.purchase = indices('event.purchase', n, purchaseCount);
    this.occurredAt = sized('event.occurredAt', n, Float64Array);
    this.deviceAgeMs = sized('event.deviceAgeMs', n, Float64Array);
    this.presence = sized('event.presence', n, Uint8Array);
    this.idWords = sized('event.id', PACKED_ID_WORDS * n, Int32Array);
    // The ids kept as text, in the order of their events: one each, no more, no fewer. By index in a
    // typed array: a list filled at scattered places turns into a dictionary when they are few.
    this.idText = new Int32Array(n).fill(-1);
    let textId = 0;
    for (let i = 0; i < n; i++) {
      if (!((this.presence[i] as number) & ID_AS_TEXT)) continue;
      if (textId >= ids.length) throw new Error('ids do not match the events');
      this.idText[i] = textId++;
    }
    if (textId !== ids.length) throw new Error('ids do not match the events');
    this.idTexts = ids;
    this.flags = sized('event.flags', n, Uint8Array);
    this.own = sized('event.ownBytes', n, Float64Array);
    this.charged = sized('event.chargedTo', n, Uint8Array);
    // The texts a compactor pools, in the order of the strings, each once.
    const pooled = new Uint8Array(strings.length);
    for (const c of [network, country, city, clientTexts, currency, merchant, paymentMethod, category, purchasePath, this.path])
      for (let i = 0; i < (c as Int32Array).length; i++)
        if (((c as Int32Array)[i] as number) >= 0) pooled[(c as Int32Array)[i] as number] = 1;
    this.pooled = strings.filter((_, i) => pooled[i] === 1);
    this.clientList = clients;
    this.localityList = [...localities.values()];
    for (let i = 0; i < n; i++) {
      const charged = this.charged[i] as number;
      if (charged > 3 && charged !== NOT_KNOWN) throw new Error(`event ${i} charged to holder ${charged}`);
      const own = this.own[i] as number;
      // Whole 8-byte units up to StoredEvent's most: anything else is not an estimate this code makes.
      if (!(Number.isSafeInteger(own) && own >= 0 && own <= MAX_OWN_BYTES && own % 8 === 0))
        throw new Error(`event ${i} owns ${own} bytes`);
      const age = (this.presence[i] as number) & PRESENT ? (this.deviceAgeMs[i] as number) : undefined;
      if (!fitsSource(this.occurredAt[i] as number, age, this.sources[this.source[i] as number] as Source))
        throw new Error(`event ${i} does not fit its source's time`);
    }
  }

  event(i: number): StoredEvent {
    const purchase = this.purchase[i] as number;
    const session = this.session[i] as number;
    const path = this.path[i] as number;
    const textAt = this.idText[i] as number;
    const text = textAt < 0 ? undefined : this.idTexts[textAt];
    const w = PACKED_ID_WORDS * i;
    const words = this.idWords;
    return StoredEvent.restored(
      text ?? (words[w] as number),
      text === undefined ? (words[w + 1] as number) : 0,
      text === undefined ? (words[w + 2] as number) : 0,
      text === undefined ? (words[w + 3] as number) : 0,
      this.strings[this.type[i] as number] as EventType,
      this.occurredAt[i] as number,
      this.sources[this.source[i] as number] as Source,
      session >= 0 ? this.strings[session] : undefined,
      purchase >= 0 ? this.purchases[purchase] : path >= 0 ? this.strings[path] : undefined,
      (this.presence[i] as number) & PRESENT ? (this.deviceAgeMs[i] as number) : undefined,
      this.flags[i] as number,
      this.own[i] as number,
    );
  }

  chargedTo(i: number): HolderKind | undefined {
    const charged = this.charged[i] as number;
    return charged === NOT_KNOWN ? undefined : (charged as HolderKind);
  }

  pooledTexts(): readonly string[] {
    return this.pooled;
  }

  clients(): Iterable<Client> {
    return this.clientList;
  }

  localities(): Iterable<Locality> {
    return this.localityList;
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
      // Refused here, before anything is restored, rather than by the restore (MemoryHistory keeps KeptMarks).
      KeptMark.check(marks[k] as StoryMark);
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

/**
 * The texts of two text columns, checked. The column's bytes are read into one string at once (as
 * Latin-1: a byte a character) and each short ASCII text is cut out of it: a million texts were a
 * million calls into Buffer's decoder, most of a snapshot's decoding. V8 copies a cut shorter than
 * 13 characters; a longer one would be a view that keeps the whole column in memory as long as it
 * lives (an event id in a profile's last login can live for days), so longer texts are decoded on
 * their own, as is a text with other bytes than ASCII (as UTF-8).
 */
function readTexts(bytes: Uint8Array, ends: Uint32Array, notUtf8: ReadonlyArray<readonly [number, string]>): string[] {
  if (!(bytes instanceof Uint8Array) || !(ends instanceof Uint32Array)) throw new Error('text columns of the wrong type');
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const whole = buffer.toString('latin1');
  const allAscii = isAscii(buffer);
  const texts: string[] = new Array(ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i] as number;
    if (end < start || end > buffer.length) throw new Error(`text ${i} ends out of order`);
    const ascii = allAscii || asciiBetween(bytes, start, end);
    texts[i] =
      ascii && end - start < CUT_COPIED_BELOW ? whole.substring(start, end) : buffer.toString(ascii ? 'latin1' : 'utf8', start, end);
    start = end;
  }
  if (start !== buffer.length) throw new Error('texts do not fill their bytes');
  for (const [i, text] of notUtf8) {
    if (!(i >= 0 && i < texts.length) || texts[i] !== '') throw new Error(`text ${i}, not UTF-8, out of place`);
    texts[i] = text;
  }
  return texts;
}

const EVENT_TYPE_NAMES: ReadonlySet<string> = new Set(EVENT_TYPES);

/** A parsed user agent as UserAgentInfo has it (a Client's, handed to rules as it is). */
function isUserAgent(ua: unknown): ua is UserAgentInfo {
  if (typeof ua !== 'object' || ua === null) return false;
  const u = ua as Record<string, unknown>;
  return (
    typeof u.summary === 'string' &&
    typeof u.deviceClass === 'string' &&
    ['browser', 'browserVersion', 'os', 'osVersion'].every((f) => u[f] === undefined || typeof u[f] === 'string')
  );
}

/** V8's SlicedString::kMinLength: a substring shorter than this is a copy of its own. */
const CUT_COPIED_BELOW = 13;

function asciiBetween(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if ((bytes[i] as number) > 0x7f) return false;
  return true;
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
