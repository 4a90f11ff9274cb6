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
 * - the fields are fixed (one hidden class, every field in-object), the rare ones grouped: where the
 *   event happened (`Place`: network, country, city, coordinates) and what it bought (`Purchase`)
 *   are objects of their own, shared by the consecutive events of a user or an IP that agree on them;
 * - the user, IP and device are the very strings of the history's keys, and other texts are taken
 *   from the previous event of the user or the IP when they are equal, or from a small pool (event
 *   types, countries, currencies, user agents, paths are few);
 * - the four novelty and trust flags are two bits each in one small integer, which also carries the
 *   bytes this event added to memory (for the byte budget, see `ownBytes`).
 *
 * Rules read it through the PastEvent interface, with getters for the grouped fields; nothing about
 * a decision changes.
 */
export class StoredEvent implements PastEvent {
  constructor(
    readonly id: string,
    readonly type: EventType,
    readonly user: string,
    readonly occurredAt: number,
    readonly session: string | undefined,
    readonly device: string | undefined,
    readonly ip: string | undefined,
    readonly place: Place,
    readonly purchase: Purchase | undefined,
    readonly path: string | undefined,
    readonly userAgent: string | undefined,
    readonly ua: UserAgentInfo | undefined,
    readonly deviceAgeMs: number | undefined,
    /** The flags (FLAG_BITS bits) and, above them, ownBytes. */
    private readonly packed: number,
  ) {}

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
  get newDevice(): boolean | null | undefined {
    return unpackFlag(this.packed, NEW_DEVICE);
  }
  get newCountry(): boolean | null | undefined {
    return unpackFlag(this.packed, NEW_COUNTRY);
  }
  get untrustedSource(): boolean | undefined {
    return unpackFlag(this.packed, UNTRUSTED_SOURCE) ?? undefined;
  }
  get untrustedNetwork(): boolean | undefined {
    return unpackFlag(this.packed, UNTRUSTED_NETWORK) ?? undefined;
  }

  /**
   * Estimated bytes this event added to memory when it was kept: its object, its boxed numbers, its
   * id, and whatever it did not share with earlier events (a new place, a new session's name…).
   * Fixed at creation, so that forgetting the event takes back exactly what keeping it charged.
   */
  get ownBytes(): number {
    return Math.floor(this.packed / FLAG_SPAN);
  }
}

/** Where an event happened, as enrichment placed it; shared by the events that agree on all of it. */
export class Place {
  constructor(
    readonly network: string | undefined,
    readonly country: string | undefined,
    readonly city: string | undefined,
    readonly latitude: number | undefined,
    readonly longitude: number | undefined,
    readonly accuracyKm: number | undefined,
  ) {}

  matches(e: PastEvent): boolean {
    return (
      this.network === e.network &&
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
  ) {}
}

const NO_PLACE = new Place(undefined, undefined, undefined, undefined, undefined, undefined);

/** Two bits per flag: 0 absent, 1 null, 2 false, 3 true. */
const NEW_DEVICE = 0;
const NEW_COUNTRY = 2;
const UNTRUSTED_SOURCE = 4;
const UNTRUSTED_NETWORK = 6;
const FLAG_BITS = 8;
const FLAG_SPAN = 1 << FLAG_BITS;

const packFlag = (v: boolean | null | undefined, shift: number): number => (v === undefined ? 0 : v === null ? 1 : v ? 3 : 2) << shift;
function unpackFlag(packed: number, shift: number): boolean | null | undefined {
  const v = (packed >> shift) & 3;
  return v === 0 ? undefined : v === 1 ? null : v === 3;
}

// Estimates for the byte budget (V8 on 64 bits without pointer compression, as Node ships), checked
// by bench/detection-memory.ts against the heap and rounded up, so the budget stays a ceiling.
/** A StoredEvent: header and 14 in-object fields, its time boxed as a heap number, and its device age's box. */
const STORED_EVENT_BYTES = 24 + 14 * 8 + 16 + 16;
/** A Place: header, six fields, two boxed coordinates. */
const PLACE_BYTES = 24 + 6 * 8 + 2 * 16;
/** A Purchase: header, five fields, a boxed amount. */
const PURCHASE_BYTES = 24 + 5 * 8 + 16;

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
  private readonly types = new Map<string, EventType>(EVENT_TYPES.map((t) => [t, t]));

  /**
   * The stored form of e. `user`, `ip` and `device` are the history's own key strings (equal to the
   * event's); `near` are the newest kept events of the same user and IP, whose texts and place are
   * reused when equal. `ownBytes`, when given, is what the event was charged when it was first kept
   * (a restore from a snapshot), instead of what it adds now.
   */
  compact(
    e: PastEvent,
    user: string,
    ip: string | undefined,
    device: string | undefined,
    near1: StoredEvent | undefined,
    near2: StoredEvent | undefined,
    ownBytes?: number,
  ): StoredEvent {
    if (e instanceof StoredEvent && e.user === user && e.ip === ip && e.device === device) return e;
    let bytes = STORED_EVENT_BYTES + stringBytes(e.id);
    let place = NO_PLACE;
    if (
      e.network !== undefined ||
      e.country !== undefined ||
      e.latitude !== undefined ||
      e.city !== undefined ||
      e.accuracyKm !== undefined
    ) {
      if (near1?.place.matches(e)) place = near1.place;
      else if (near2?.place.matches(e)) place = near2.place;
      else {
        const network = this.text(e.network, near1?.network, near2?.network);
        const country = this.text(e.country, near1?.country, near2?.country);
        const city = this.text(e.city, near1?.city, near2?.city);
        place = new Place(network.value, country.value, city.value, e.latitude, e.longitude, e.accuracyKm);
        bytes += PLACE_BYTES + network.bytes + country.bytes + city.bytes;
      }
    }
    let purchase: Purchase | undefined;
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
      purchase = new Purchase(e.amount, currency.value, merchant.value, method.value, category.value);
      bytes += PURCHASE_BYTES + currency.bytes + merchant.bytes + method.bytes + category.bytes;
    }
    const session = this.text(e.session, near1?.session, near2?.session, false);
    const path = this.text(e.path);
    const userAgent = this.text(e.userAgent, near1?.userAgent, near2?.userAgent);
    bytes += session.bytes + path.bytes + userAgent.bytes;
    const flags =
      packFlag(e.newDevice, NEW_DEVICE) |
      packFlag(e.newCountry, NEW_COUNTRY) |
      packFlag(e.untrustedSource, UNTRUSTED_SOURCE) |
      packFlag(e.untrustedNetwork, UNTRUSTED_NETWORK);
    return new StoredEvent(
      e.id,
      this.types.get(e.type) ?? e.type,
      user,
      e.occurredAt,
      session.value,
      device,
      ip,
      place,
      purchase,
      path.value,
      userAgent.value,
      sharedUa(e.ua, near1?.ua, near2?.ua),
      e.deviceAgeMs,
      (ownBytes ?? bytes) * FLAG_SPAN + flags,
    );
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
 * A neighbour's parsed user agent when equal to the event's: live traffic shares the enricher's
 * cached ones already, but a replay at start parses each stored event's anew.
 */
function sharedUa(
  ua: UserAgentInfo | undefined,
  near1: UserAgentInfo | undefined,
  near2: UserAgentInfo | undefined,
): UserAgentInfo | undefined {
  if (ua === undefined || ua === near1 || ua === near2) return ua;
  if (near1 !== undefined && sameUa(ua, near1)) return near1;
  if (near2 !== undefined && sameUa(ua, near2)) return near2;
  return ua;
}

/** Every field of UserAgentInfo. */
const sameUa = (a: UserAgentInfo, b: UserAgentInfo): boolean =>
  a.summary === b.summary &&
  a.browser === b.browser &&
  a.browserVersion === b.browserVersion &&
  a.os === b.os &&
  a.osVersion === b.osVersion &&
  a.deviceClass === b.deviceClass;
