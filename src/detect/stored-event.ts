import { EVENT_ID_PREFIX, isPackedId, PACKED_ID_WORDS, packId, RecentIdTexts } from '../core/ids.js';
import type { UserAgentInfo } from '../domain/activity-event.js';
import type { EventType } from '../domain/event-schema.js';
import { EVENT_TYPES } from '../domain/vocabulary.js';
import { stringBytes } from './byte-budget.js';
import type { PastEvent } from './history.js';

/**
 * The form in which MemoryHistory keeps a remembered event: the same answers as a PastEvent, in
 * about a third of the memory. A plain PastEvent object built field by field costs an object, a
 * separate property array (past V8's in-object slots), a boxed number per coordinate and a copy of
 * every text per event, since each event arrives in its own parsed JSON. Here:
 *
 * - the fields are fixed (one hidden class, every field in-object), the rare ones grouped: who did
 *   it, from which device, address, place and browser (`Source`) is one object, shared by the
 *   consecutive events of a user or an IP that agree on all of it, and so are its place
 *   (`Place`: network, country, city, coordinates) and browser (`Client`: the user agent's text and
 *   its parsed form) among sources; a transaction's `Purchase` and a page view's path share one
 *   field, since no event but a rare one has both;
 * - the session is the event's own field, not its source's: many shops start one at each login, and
 *   a source per session was an object per login (72 bytes) where the field is 8;
 * - the user, IP and device are the very strings of the history's keys, and other texts are taken
 *   from the previous event of the user or the IP when they are equal, or from a small pool (event
 *   types, countries, currencies, user agents, paths are few);
 * - the id, when Vigil made it, is four small integers (core/ids.ts's packId): 32 bytes in the
 *   object where its text was a 48-byte string and a field; a client's own id is kept as text;
 * - the time is two small integers (V8 keeps a small integer in its field, but boxes any larger
 *   number as a 16-byte heap number of its own: a time in milliseconds is past the small integers'
 *   2^31), and its high half (a period of twelve days) is its Source's; so is when its device was first
 *   seen, of which its device's age is the difference (enrichment measures it so, from the event's
 *   time): the consecutive events of a user on one device share both, where each event had three
 *   fields for them;
 * - the four novelty and trust flags are two bits each in one small integer, which also carries
 *   which timelines hold the event, which of them is charged for it, the event's type, and the
 *   bytes this event added to memory (for the byte budget, see `ownBytes` and `hold`).
 *
 * Rules read it through the PastEvent interface, with getters for the grouped fields; nothing about
 * a decision changes.
 */
export abstract class StoredEvent implements PastEvent {
  /** Flags, holders, the charged holder, the type and ownBytes: see the bit layout below the class. */
  private state: number;

  protected constructor(
    /**
     * The low half of its time (the high half is its source's), or WHOLE: the source holds this event's
     * time and device age as they came (see SourceTime).
     */
    private readonly timeLow: number,
    /** Who, where and with what: shared by the consecutive events of a user or an IP that agree on it. */
    readonly source: Source,
    readonly session: string | undefined,
    /** A transaction's Purchase, a page view's path, or neither. */
    private readonly detail: Purchase | string | undefined,
    /** The flags, the event's type and ownBytes: see the bit layout below the class. */
    state: number,
  ) {
    this.state = state;
  }

  /**
   * An event as a snapshot kept it (detect/history-snapshot.ts): its parts as they were shared, its
   * flags (`flags`) and the bytes it was charged when first kept. No holder yet: the restore's
   * timelines take it.
   */
  static restored(
    idHead: number | string,
    idWord1: number,
    idWord2: number,
    idWord3: number,
    type: EventType,
    occurredAt: number,
    source: Source,
    session: string | undefined,
    detail: Purchase | string | undefined,
    deviceAgeMs: number | undefined,
    flags: number,
    ownBytes: number,
  ): StoredEvent {
    const state = packState(ownBytes, type, flags & FLAG_MASK);
    if (!fitsSource(occurredAt, deviceAgeMs, source))
      throw new Error(`an event at ${occurredAt} (device age ${deviceAgeMs}) does not fit its source`);
    const low = keptWholeFor(occurredAt, deviceAgeMs) ? WHOLE : occurredAt - Math.floor(occurredAt / SPLIT) * SPLIT;
    return typeof idHead === 'string'
      ? new TextIdEvent(idHead, low, source, session, detail, state)
      : new PackedIdEvent(idHead, idWord1, idWord2, idWord3, low, source, session, detail, state);
  }

  /** The event's id (made again from its words when packed: rules read it only for their findings). */
  abstract get id(): string;

  /** Whether this is the event of that id, without making its text. */
  abstract hasId(id: string): boolean;

  /** Writes the packed id's words into `into` at `at` and returns true; false for an id kept as text. */
  abstract idWords(into: Int32Array, at: number): boolean;

  get type(): EventType {
    return EVENT_TYPES[(this.state & TYPE_MASK) >> TYPE_SHIFT] as EventType;
  }

  /** The four novelty and trust flags, packed (two bits each), for a snapshot. */
  get flags(): number {
    return this.state & FLAG_MASK;
  }

  get occurredAt(): number {
    const low = this.timeLow;
    return low === WHOLE ? this.source.timeHigh : this.source.timeHigh * SPLIT + low;
  }
  get deviceAgeMs(): number | undefined {
    const since = this.source.deviceSince;
    if (since === undefined || this.timeLow === WHOLE) return since;
    return this.occurredAt - since;
  }

  /** Whether its source holds its time and device age as they came, for it alone (see SourceTime). */
  get keptWhole(): boolean {
    return this.timeLow === WHOLE;
  }
  get user(): string {
    return this.source.user;
  }
  get device(): string | undefined {
    return this.source.device;
  }
  get ip(): string | undefined {
    return this.source.ip;
  }
  get place(): Place {
    return this.source.place;
  }
  get client(): Client | undefined {
    return this.source.client;
  }
  get network(): string | undefined {
    return this.place.network;
  }
  get country(): string | undefined {
    return this.place.country;
  }
  get city(): string | undefined {
    return this.place.city;
  }
  get latitude(): number | undefined {
    return this.place.latitude;
  }
  get longitude(): number | undefined {
    return this.place.longitude;
  }
  get accuracyKm(): number | undefined {
    return this.place.accuracyKm;
  }
  get purchase(): Purchase | undefined {
    const d = this.detail;
    return typeof d === 'object' ? d : undefined;
  }
  get path(): string | undefined {
    const d = this.detail;
    return typeof d === 'string' ? d : d?.path;
  }
  get amount(): number | undefined {
    return this.purchase?.amount;
  }
  get currency(): string | undefined {
    return this.purchase?.currency;
  }
  get merchant(): string | undefined {
    return this.purchase?.merchant;
  }
  get paymentMethod(): string | undefined {
    return this.purchase?.paymentMethod;
  }
  get category(): string | undefined {
    return this.purchase?.category;
  }
  get userAgent(): string | undefined {
    return this.client?.userAgent;
  }
  get ua(): UserAgentInfo | undefined {
    return this.client?.ua;
  }
  get newDevice(): boolean | null | undefined {
    return unpackFlag(this.state, NEW_DEVICE);
  }
  get newCountry(): boolean | null | undefined {
    return unpackFlag(this.state, NEW_COUNTRY);
  }
  get untrustedSource(): boolean | undefined {
    return unpackFlag(this.state, UNTRUSTED_SOURCE) ?? undefined;
  }
  get untrustedNetwork(): boolean | undefined {
    return unpackFlag(this.state, UNTRUSTED_NETWORK) ?? undefined;
  }

  /**
   * Estimated bytes this event added to memory when it was kept: its object, its id, and whatever it
   * did not share with earlier events (a new place, a new session's name…). Fixed at creation, so
   * that forgetting the event takes back exactly what keeping it charged.
   */
  get ownBytes(): number {
    return Math.floor(this.state / OWN_SPAN) * OWN_UNIT;
  }

  /** Whether any timeline (or profile) of its history holds the event. */
  get held(): boolean {
    return (this.state & HOLDER_MASK) !== 0;
  }

  /** The holder whose estimate carries the event's own bytes, if any holds it. */
  get chargedTo(): HolderKind | undefined {
    const charged = (this.state >> CHARGED_SHIFT) & 7;
    return charged === 0 ? undefined : ((charged - 1) as HolderKind);
  }

  /**
   * One more holder of the event (its user's, IP's or device's timeline, or its user's profile).
   * The event's own bytes are charged to one holder only, whatever how many hold it: true when it
   * is this one (the first), whose estimate then grows by ownBytes.
   */
  hold(kind: HolderKind): boolean {
    const low = this.state % OWN_SPAN;
    const charged = (low & CHARGED_MASK) === 0;
    this.setLow(low | (1 << (HOLDER_SHIFT + kind)) | (charged ? (kind + 1) << CHARGED_SHIFT : 0));
    return charged;
  }

  /**
   * A holder lets go of the event. When it was the one charged, the charge moves to another holder
   * (returned: its estimate grows by ownBytes, the releasing one's shrinks by as much) or, when none
   * is left, the event is garbage (NOBODY). NOT_CHARGED: the charge stays where it was.
   */
  release(kind: HolderKind): HolderKind | typeof NOBODY | typeof NOT_CHARGED {
    const low = (this.state % OWN_SPAN) & ~(1 << (HOLDER_SHIFT + kind));
    if (((low & CHARGED_MASK) >> CHARGED_SHIFT) - 1 !== kind) {
      this.setLow(low);
      return NOT_CHARGED;
    }
    // The lowest kind still holding it: the user's timeline, then the IP's, the device's, the profile.
    const holders = (low & HOLDER_MASK) >> HOLDER_SHIFT;
    const next = holders === 0 ? NOBODY : ((31 - Math.clz32(holders & -holders)) as HolderKind);
    this.setLow((low & ~CHARGED_MASK) | (next === NOBODY ? 0 : (next + 1) << CHARGED_SHIFT));
    return next;
  }

  /** @internal A restore puts back which holder was charged, before the holders take it again. */
  restoreCharge(kind: HolderKind | undefined): void {
    this.setLow(((this.state % OWN_SPAN) & (FLAG_MASK | TYPE_MASK)) | (kind === undefined ? 0 : (kind + 1) << CHARGED_SHIFT));
  }

  /** Replaces the bits below ownBytes, in arithmetic, as ownBytes is read (`state / OWN_SPAN`). */
  private setLow(low: number): void {
    if (frozen.size > 0) for (const before of frozen) if (!before.has(this)) before.set(this, this.chargedTo);
    this.state = this.state - (this.state % OWN_SPAN) + low;
  }
}

/**
 * An event whose id Vigil made: the id in four small integers (core/ids.ts's packId), 32 bytes in the
 * object where its text was a 48-byte string and a field pointing to it.
 */
class PackedIdEvent extends StoredEvent {
  constructor(
    private readonly id0: number,
    private readonly id1: number,
    private readonly id2: number,
    private readonly id3: number,
    timeLow: number,
    source: Source,
    session: string | undefined,
    detail: Purchase | string | undefined,
    state: number,
  ) {
    super(timeLow, source, session, detail, state);
  }

  get id(): string {
    return recentIds.textOf(this, this.id0, this.id1, this.id2, this.id3);
  }

  hasId(id: string): boolean {
    return isPackedId(EVENT_ID_PREFIX, id, this.id0, this.id1, this.id2, this.id3);
  }

  idWords(into: Int32Array, at: number): boolean {
    into[at] = this.id0;
    into[at + 1] = this.id1;
    into[at + 2] = this.id2;
    into[at + 3] = this.id3;
    return true;
  }
}

/**
 * The texts of the packed ids read lately. Rules read the ids of the events behind a finding, and
 * under attack every event finds the same ones again (the twenty latest failures of an address):
 * each text was made again for every event. A few hundred texts.
 */
const recentIds = new RecentIdTexts<PackedIdEvent>(EVENT_ID_PREFIX, 512);

/**
 * An event sent with the shop's own id (an idempotency key of any form): the id kept as its text,
 * and an object three fields smaller than a PackedIdEvent.
 */
class TextIdEvent extends StoredEvent {
  constructor(
    private readonly idText: string,
    timeLow: number,
    source: Source,
    session: string | undefined,
    detail: Purchase | string | undefined,
    state: number,
  ) {
    super(timeLow, source, session, detail, state);
  }

  get id(): string {
    return this.idText;
  }

  hasId(id: string): boolean {
    return this.idText === id;
  }

  idWords(): boolean {
    return false;
  }
}

/**
 * Whether e is the event of this id: a StoredEvent answers without making its id's text (a rule that
 * compares the event it scores with a timeline's would otherwise make one per event it reads).
 */
export const isEventOf = (e: PastEvent, id: string): boolean => (e instanceof StoredEvent ? e.hasId(id) : e.id === id);

/**
 * An id as a StoredEvent keeps it: the four words of a packed id, or its text and three zeros. A tuple
 * for a caller that makes one event (a test); the compactor packs into its own words, and a snapshot's
 * restore passes its column's, without a tuple per event.
 */
export type StoredId = readonly [head: number | string, word1: number, word2: number, word3: number];

const ID_WORDS = new Int32Array(PACKED_ID_WORDS);

/** The stored form of an id. */
export function storedId(id: string): StoredId {
  return packId(EVENT_ID_PREFIX, id, ID_WORDS)
    ? [ID_WORDS[0] as number, ID_WORDS[1] as number, ID_WORDS[2] as number, ID_WORDS[3] as number]
    : [id, 0, 0, 0];
}

/** The charges as they were when each open ChargeFreeze began, of the events changed since. */
const frozen = new Set<Map<StoredEvent, HolderKind | undefined>>();

/**
 * Which holder each event was charged to at one moment, while events go on being held and released:
 * a detection snapshot is taken at one moment and encoded over several turns of the event loop
 * (detect/history-snapshot.ts). Each event changed after that moment has its charge of then kept here,
 * on its first change; the others have not moved. Close it when done: until then every change of a
 * charge is checked against it.
 */
export class ChargeFreeze {
  private readonly before = new Map<StoredEvent, HolderKind | undefined>();

  constructor() {
    frozen.add(this.before);
  }

  chargedTo(e: StoredEvent): HolderKind | undefined {
    return this.before.has(e) ? this.before.get(e) : e.chargedTo;
  }

  close(): void {
    frozen.delete(this.before);
    this.before.clear();
  }
}

/** What holds a kept event: its user's, IP's and device's timelines, and its user's profile (last login). */
export const HolderKind = { user: 0, ip: 1, device: 2, profile: 3 } as const;
export type HolderKind = (typeof HolderKind)[keyof typeof HolderKind];
/** StoredEvent.release: the event is held by nobody now. */
export const NOBODY = 4;
/** StoredEvent.release: the releasing holder was not the one charged. */
export const NOT_CHARGED = -1;

/**
 * Where an event happened, as enrichment placed it: its network, and its locality on the map; shared
 * by the events that agree on all of it.
 */
export class Place {
  constructor(
    readonly network: string | undefined,
    readonly locality: Locality,
  ) {}

  get country(): string | undefined {
    return this.locality.country;
  }
  get city(): string | undefined {
    return this.locality.city;
  }
  get latitude(): number | undefined {
    return this.locality.latitude;
  }
  get longitude(): number | undefined {
    return this.locality.longitude;
  }
  get accuracyKm(): number | undefined {
    return this.locality.accuracyKm;
  }

  matches(e: PastEvent): boolean {
    return this.network === e.network && this.locality.matches(e);
  }
}

/**
 * A geo-IP answer's country, city and coordinates: one per city, shared by the places of all its
 * networks (a compactor pools them, like browsers). A place of its own took them: 56 bytes and two
 * boxed coordinates, for each network.
 */
export class Locality {
  constructor(
    readonly country: string | undefined,
    readonly city: string | undefined,
    readonly latitude: number | undefined,
    readonly longitude: number | undefined,
    readonly accuracyKm: number | undefined,
  ) {}

  matches(e: PastEvent): boolean {
    return (
      this.country === e.country &&
      this.city === e.city &&
      this.latitude === e.latitude &&
      this.longitude === e.longitude &&
      this.accuracyKm === e.accuracyKm
    );
  }
}

/** What a transaction bought: only transactions have one. */
export class Purchase {
  constructor(
    readonly amount: number | undefined,
    readonly currency: string | undefined,
    readonly merchant: string | undefined,
    readonly paymentMethod: string | undefined,
    readonly category: string | undefined,
    /** The rare purchase that also names a path: the event's one field for both holds the Purchase. */
    readonly path: string | undefined,
  ) {}
}

/**
 * Who did it, from which device, address, place and browser, in which twelve days and on a device
 * first seen when: what consecutive events of a user mostly have in common, kept once for all of them.
 */
export class Source {
  constructor(
    /** The history's key strings (user, device, IP): one copy of each, whatever how many events. */
    readonly user: string,
    readonly device: string | undefined,
    readonly ip: string | undefined,
    readonly place: Place,
    readonly client: Client | undefined,
    /**
     * The high half of its events' times (each is `timeHigh * SPLIT` plus its own low half); for a
     * source of one event kept whole (StoredEvent.keptWhole), that event's time.
     */
    readonly timeHigh: number,
    /**
     * When its events' device was first seen: each one's device age is its time minus this (novelty
     * measures it so, from the event's time); undefined when they have no device age; for a source of
     * one event kept whole, that event's device age.
     */
    readonly deviceSince: number | undefined,
  ) {}
}

/**
 * How a source holds an event's time and device age: the high half of the time, when the device was
 * first seen, and the event's own low half; or, when the time or the age is not a safe integer (no
 * event the API takes, but a PastEvent may carry any number), a low half of WHOLE: a source of its
 * own holds them as they came (`high` the time, `since` the age), and is never shared.
 */
interface SourceTime {
  readonly high: number;
  readonly since: number | undefined;
  readonly low: number;
}

/** Whether an event of this time and device age can be kept with this source (a snapshot's decoder asks). */
export function fitsSource(occurredAt: number, deviceAgeMs: number | undefined, source: Source): boolean {
  // Without a SourceTime: a restore asks this of every event (a million objects less at a start).
  // Object.is: a time or an age kept whole may be NaN, which a snapshot holds as it came.
  if (keptWholeFor(occurredAt, deviceAgeMs)) return Object.is(source.timeHigh, occurredAt) && Object.is(source.deviceSince, deviceAgeMs);
  return (
    source.timeHigh === Math.floor(occurredAt / SPLIT) &&
    source.deviceSince === (deviceAgeMs === undefined ? undefined : occurredAt - deviceAgeMs)
  );
}

/** Whether an event of this time and device age is kept whole: either is not a safe integer, or their difference. */
function keptWholeFor(occurredAt: number, deviceAgeMs: number | undefined): boolean {
  if (!Number.isSafeInteger(occurredAt)) return true;
  return deviceAgeMs !== undefined && !(Number.isSafeInteger(deviceAgeMs) && Number.isSafeInteger(occurredAt - deviceAgeMs));
}

function sourceTime(occurredAt: number, deviceAgeMs: number | undefined): SourceTime {
  if (keptWholeFor(occurredAt, deviceAgeMs)) return { high: occurredAt, since: deviceAgeMs, low: WHOLE };
  const high = Math.floor(occurredAt / SPLIT);
  return { high, since: deviceAgeMs === undefined ? undefined : occurredAt - deviceAgeMs, low: occurredAt - high * SPLIT };
}

/** The browser an event came from: the user agent's text and its parsed form, shared like a Place. */
export class Client {
  constructor(
    readonly userAgent: string | undefined,
    readonly ua: UserAgentInfo | undefined,
  ) {}
}

const NO_LOCALITY = new Locality(undefined, undefined, undefined, undefined, undefined);
const NO_PLACE = new Place(undefined, NO_LOCALITY);

/** A time is kept as high * SPLIT + low, both small integers (V8's are below 2^31). */
const SPLIT = 2 ** 30;
/** In the low half: the event's source holds its time and device age whole (see SourceTime). */
const WHOLE = -1;

// The state's bits, from the lowest: two per flag (0 absent, 1 null, 2 false, 3 true), one per
// holder (HolderKind), three for the charged holder (0 none, else its kind + 1), four for the
// type, then ownBytes.
const NEW_DEVICE = 0;
const NEW_COUNTRY = 2;
const UNTRUSTED_SOURCE = 4;
const UNTRUSTED_NETWORK = 6;
const FLAG_MASK = 0xff;
const HOLDER_SHIFT = 8;
const HOLDER_MASK = 0xf << HOLDER_SHIFT;
const CHARGED_SHIFT = 12;
const CHARGED_MASK = 7 << CHARGED_SHIFT;
/** The event's type, by its place in EVENT_TYPES (a field of its own was 8 bytes an event). */
const TYPE_SHIFT = 15;
const TYPE_MASK = 0xf << TYPE_SHIFT;
/**
 * ownBytes, in units of 8 bytes (every estimate is a multiple: V8 allocates in 8-byte words), is
 * state / OWN_SPAN. The state must stay a small integer (below 2^31): a single larger one would turn
 * the field into a boxed number in every StoredEvent (V8 keeps one representation per field). That
 * leaves 4,095 units, 32,760 bytes, for what one event adds; the schema's limits keep an event's texts to a
 * few KB.
 */
const OWN_SPAN = 1 << 19;
const OWN_UNIT = 8;
const MAX_OWN_UNITS = 2 ** 31 / OWN_SPAN - 1;
/** The most an event can own (a snapshot claiming more, or bytes that are not whole units, is not this code's). */
export const MAX_OWN_BYTES = MAX_OWN_UNITS * OWN_UNIT;
const TYPE_INDEX = new Map<string, number>(EVENT_TYPES.map((t, i) => [t, i]));
if (EVENT_TYPES.length > 16) throw new Error('StoredEvent keeps an event type in 4 bits');

/**
 * The state of a new event: its bytes (rounded up to a unit; capped at MAX_OWN_UNITS, which the
 * schema's limits keep out of reach), its type and its flags.
 */
function packState(ownBytes: number, type: EventType, flags: number): number {
  const index = TYPE_INDEX.get(type);
  if (index === undefined) throw new TypeError(`unknown event type ${JSON.stringify(type)}`);
  return Math.min(Math.ceil(ownBytes / OWN_UNIT), MAX_OWN_UNITS) * OWN_SPAN + (index << TYPE_SHIFT) + flags;
}

const packFlag = (v: boolean | null | undefined, shift: number): number => (v === undefined ? 0 : v === null ? 1 : v ? 3 : 2) << shift;
function unpackFlag(packed: number, shift: number): boolean | null | undefined {
  const v = (packed >> shift) & 3;
  return v === 0 ? undefined : v === 1 ? null : v === 3;
}

// Estimates for the byte budget (V8 on 64 bits without pointer compression, as Node ships), checked
// by bench/detection-memory.ts against the heap and rounded up, so the budget stays a ceiling.
/**
 * A StoredEvent: header and its in-object fields, all small integers or references (nothing boxed):
 * five of its own, and the four words of a packed id or the field of an id kept as text (whose string
 * the event owns too).
 */
const PACKED_ID_EVENT_BYTES = 24 + 9 * 8;
const TEXT_ID_EVENT_BYTES = 24 + 6 * 8;
/** A Source: header, seven fields, a boxed time (when its device was first seen; a whole time too). */
const SOURCE_BYTES = 24 + 7 * 8 + 16;
const WHOLE_SOURCE_BYTES = SOURCE_BYTES + 16;
/** A Place: header, two fields (its network and its locality). */
const PLACE_BYTES = 24 + 2 * 8;
/** A Locality: header, five fields, two boxed coordinates. */
const LOCALITY_BYTES = 24 + 5 * 8 + 2 * 16;
/** A Purchase: header, six fields, a boxed amount. */
const PURCHASE_BYTES = 24 + 6 * 8 + 16;
/** A Client: header, two fields. */
const CLIENT_BYTES = 24 + 2 * 8;

/** How many distinct texts the pool keeps before it starts over: few values, so this is generous. */
const POOL_SIZE = 4096;
/** Longer texts are not pooled: they are rare and would fill it with one-offs. */
const POOL_MAX_LENGTH = 512;

/**
 * Makes StoredEvents, sharing what they have in common with the events kept before them. Its pool is
 * bounded: when full it starts over, which costs only sharing (a text kept twice), never an answer.
 */
export class EventCompactor {
  private pool = new Map<string, string>();
  /** Clients by user agent text, bounded like the pool of texts. */
  private clients = new Map<string, Client>();
  /** Localities by their fields (localityKey), bounded like the pool of texts. */
  private localities = new Map<string, Locality>();

  /**
   * The stored form of e. `user`, `ip` and `device` are the history's own key strings (equal to the
   * event's); `near` are the newest kept events of the same user and IP, whose texts and place are
   * reused when equal.
   */
  compact(
    e: PastEvent,
    user: string,
    ip: string | undefined,
    device: string | undefined,
    near1: StoredEvent | undefined,
    near2: StoredEvent | undefined,
  ): StoredEvent {
    // A StoredEvent no timeline holds yet is taken as it is; one held (by another history) is copied,
    // since its holders' bits are its history's.
    if (e instanceof StoredEvent && !e.held && e.user === user && e.ip === ip && e.device === device) return e;
    const time = sourceTime(e.occurredAt, e.deviceAgeMs);
    // A source kept whole is its event's alone.
    const source = this.source(
      e,
      user,
      ip,
      device,
      time,
      near1 === undefined || near1.keptWhole ? undefined : near1.source,
      near2 === undefined || near2.keptWhole ? undefined : near2.source,
    );
    const session = this.text(e.session, near1?.session, near2?.session, false);
    // A kept event (another history's) hands over its words; any other is packed from its text.
    const packed = e instanceof StoredEvent ? e.idWords(ID_WORDS, 0) : packId(EVENT_ID_PREFIX, e.id, ID_WORDS);
    let bytes = (packed ? PACKED_ID_EVENT_BYTES : TEXT_ID_EVENT_BYTES + stringBytes(e.id)) + source.bytes + session.bytes;
    const path = this.text(e.path);
    let detail: Purchase | string | undefined = path.value;
    if (
      e.amount !== undefined ||
      e.currency !== undefined ||
      e.merchant !== undefined ||
      e.paymentMethod !== undefined ||
      e.category !== undefined
    ) {
      const currency = this.text(e.currency);
      const merchant = this.text(e.merchant);
      const method = this.text(e.paymentMethod);
      const category = this.text(e.category);
      detail = new Purchase(e.amount, currency.value, merchant.value, method.value, category.value, path.value);
      bytes += PURCHASE_BYTES + currency.bytes + merchant.bytes + method.bytes + category.bytes;
    }
    bytes += path.bytes;
    const flags =
      packFlag(e.newDevice, NEW_DEVICE) |
      packFlag(e.newCountry, NEW_COUNTRY) |
      packFlag(e.untrustedSource, UNTRUSTED_SOURCE) |
      packFlag(e.untrustedNetwork, UNTRUSTED_NETWORK);
    const state = packState(bytes, e.type, flags);
    return packed
      ? new PackedIdEvent(
          ID_WORDS[0] as number,
          ID_WORDS[1] as number,
          ID_WORDS[2] as number,
          ID_WORDS[3] as number,
          time.low,
          source.value,
          session.value,
          detail,
          state,
        )
      : new TextIdEvent(e.id, time.low, source.value, session.value, detail, state);
  }

  /**
   * Takes a restored history's texts, browsers and localities into the pools, as compacting its events
   * one by one would have (detect/history-snapshot.ts makes them without this compactor): the events
   * kept after a restart share them as they would have before it. `texts` the least recently used
   * first: the latest are taken, up to half the pool, so that the pool has room left and does not
   * start over at the first new text.
   */
  seed(texts: readonly string[], clients: Iterable<Client>, localities: Iterable<Locality>): void {
    for (let i = texts.length - 1; i >= 0 && this.pool.size < POOL_SIZE / 2; i--) {
      const text = texts[i] as string;
      if (text.length <= POOL_MAX_LENGTH) this.pool.set(text, text);
    }
    for (const client of clients) {
      const text = client.userAgent;
      if (text === undefined || text.length > POOL_MAX_LENGTH || this.clients.has(text)) continue;
      if (this.clients.size >= POOL_SIZE) break;
      this.clients.set(text, client);
    }
    for (const l of localities) {
      if (this.localities.size >= POOL_SIZE / 2) break;
      const key = localityKey(l.country, l.city, l.latitude, l.longitude, l.accuracyKm);
      if (key.length <= POOL_MAX_LENGTH) this.localities.set(key, l);
    }
  }

  /** A neighbour's Source when the event agrees with it on all of it, else a new one, whose bytes (and its parts' when new) the event owns. */
  private source(
    e: PastEvent,
    user: string,
    ip: string | undefined,
    device: string | undefined,
    time: SourceTime,
    near1: Source | undefined,
    near2: Source | undefined,
  ): { readonly value: Source; readonly bytes: number } {
    const whole = time.low === WHOLE;
    if (!whole) {
      if (near1 !== undefined && sameSource(near1, e, user, ip, device, time)) return { value: near1, bytes: 0 };
      if (near2 !== undefined && sameSource(near2, e, user, ip, device, time)) return { value: near2, bytes: 0 };
    }
    let bytes = whole ? WHOLE_SOURCE_BYTES : SOURCE_BYTES;
    let place = NO_PLACE;
    if (
      e.network !== undefined ||
      e.country !== undefined ||
      e.latitude !== undefined ||
      e.longitude !== undefined ||
      e.city !== undefined ||
      e.accuracyKm !== undefined
    ) {
      if (near1?.place.matches(e)) place = near1.place;
      else if (near2?.place.matches(e)) place = near2.place;
      else {
        const network = this.text(e.network, near1?.place.network, near2?.place.network);
        const locality = this.locality(e, near1?.place.locality, near2?.place.locality);
        place = new Place(network.value, locality.value);
        bytes += PLACE_BYTES + network.bytes + locality.bytes;
      }
    }
    const client = this.client(e.userAgent, e.ua, near1?.client, near2?.client);
    bytes += client.bytes;
    return { value: new Source(user, device, ip, place, client.value, time.high, time.since), bytes };
  }

  /**
   * The shared Locality of the event's country, city and coordinates: a neighbour's, else the pool's,
   * else a new one, whose bytes (and its texts', when new) the event owns.
   */
  private locality(
    e: PastEvent,
    near1: Locality | undefined,
    near2: Locality | undefined,
  ): { readonly value: Locality; readonly bytes: number } {
    if (near1?.matches(e)) return { value: near1, bytes: 0 };
    if (near2?.matches(e)) return { value: near2, bytes: 0 };
    if (
      e.country === undefined &&
      e.city === undefined &&
      e.latitude === undefined &&
      e.longitude === undefined &&
      e.accuracyKm === undefined
    )
      return { value: NO_LOCALITY, bytes: 0 };
    const key = localityKey(e.country, e.city, e.latitude, e.longitude, e.accuracyKm);
    const pooled = this.localities.get(key);
    if (pooled !== undefined) return { value: pooled, bytes: 0 };
    const country = this.text(e.country, near1?.country, near2?.country);
    const city = this.text(e.city, near1?.city, near2?.city);
    const locality = new Locality(country.value, city.value, e.latitude, e.longitude, e.accuracyKm);
    if (key.length <= POOL_MAX_LENGTH) {
      if (this.localities.size >= POOL_SIZE) this.localities = new Map();
      this.localities.set(key, locality);
    }
    return { value: locality, bytes: LOCALITY_BYTES + country.bytes + city.bytes };
  }

  /**
   * The shared Client for this user agent: a neighbour's, else the pool's (one per text, while its
   * parsed form is equal), else a new one, whose bytes (and its text's, when new) the event owns.
   */
  private client(
    userAgent: string | undefined,
    ua: UserAgentInfo | undefined,
    near1: Client | undefined,
    near2: Client | undefined,
  ): { readonly value: Client | undefined; readonly bytes: number } {
    if (userAgent === undefined && ua === undefined) return ABSENT;
    if (near1 !== undefined && near1.userAgent === userAgent && sameOrEqualUa(ua, near1.ua)) return { value: near1, bytes: 0 };
    if (near2 !== undefined && near2.userAgent === userAgent && sameOrEqualUa(ua, near2.ua)) return { value: near2, bytes: 0 };
    const pooled = userAgent === undefined ? undefined : this.clients.get(userAgent);
    if (pooled !== undefined && sameOrEqualUa(ua, pooled.ua)) return { value: pooled, bytes: 0 };
    const text = this.text(userAgent, near1?.userAgent, near2?.userAgent);
    const client = new Client(text.value, ua);
    if (text.value !== undefined && text.value.length <= POOL_MAX_LENGTH) {
      if (this.clients.size >= POOL_SIZE) this.clients = new Map();
      this.clients.set(text.value, client);
    }
    return { value: client, bytes: CLIENT_BYTES + text.bytes };
  }

  /**
   * The shared copy of a text: a neighbour's equal one, else the pool's (when `pooled`), else the
   * text itself, whose bytes the event then owns.
   */
  private text(
    value: string | undefined,
    near1?: string,
    near2?: string,
    pooled = true,
  ): { readonly value: string | undefined; readonly bytes: number } {
    if (value === undefined) return ABSENT;
    if (value === near1) return { value: near1, bytes: 0 };
    if (value === near2) return { value: near2, bytes: 0 };
    if (!pooled || value.length > POOL_MAX_LENGTH) return { value, bytes: stringBytes(value) };
    const shared = this.pool.get(value);
    if (shared !== undefined) return { value: shared, bytes: 0 };
    if (this.pool.size >= POOL_SIZE) this.pool = new Map();
    this.pool.set(value, value);
    return { value, bytes: stringBytes(value) };
  }
}

const ABSENT = { value: undefined, bytes: 0 } as const;

/**
 * The pool's key of a locality: its fields, absent ones marked, texts led by their length, so that
 * no two different localities share one (a city's name may hold any separator).
 */
export function localityKey(
  country: string | undefined,
  city: string | undefined,
  latitude: number | undefined,
  longitude: number | undefined,
  accuracyKm: number | undefined,
): string {
  const text = (v: string | undefined) => (v === undefined ? '-' : `${v.length}:${v}`);
  const number = (v: number | undefined) => (v === undefined ? '-' : Object.is(v, -0) ? '-0' : String(v));
  return `${text(country)}|${text(city)}|${number(latitude)}|${number(longitude)}|${number(accuracyKm)}`;
}

/**
 * Whether the event has this source: the same user, device, IP, place and browser, twelve days and
 * device first seen. Not for a source kept whole, nor an event to be kept whole.
 */
function sameSource(s: Source, e: PastEvent, user: string, ip: string | undefined, device: string | undefined, time: SourceTime): boolean {
  if (s.timeHigh !== time.high || s.deviceSince !== time.since) return false;
  if (s.user !== user || s.device !== device || s.ip !== ip || !s.place.matches(e)) return false;
  const c = s.client;
  if (c === undefined) return e.userAgent === undefined && e.ua === undefined;
  return c.userAgent === e.userAgent && sameOrEqualUa(e.ua, c.ua);
}

/** The same parsed user agent, or an equal one (a replay at start parses each stored event's anew). */
const sameOrEqualUa = (a: UserAgentInfo | undefined, b: UserAgentInfo | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && sameUa(a, b));

/** Every field of UserAgentInfo. */
const sameUa = (a: UserAgentInfo, b: UserAgentInfo): boolean =>
  a.summary === b.summary &&
  a.browser === b.browser &&
  a.browserVersion === b.browserVersion &&
  a.os === b.os &&
  a.osVersion === b.osVersion &&
  a.deviceClass === b.deviceClass;
