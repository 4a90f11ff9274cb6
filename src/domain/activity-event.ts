import type { EventResult, EventType } from './event-schema.js';

/** One validated event, as the rest of Vigil sees it: times are epoch milliseconds. */
export interface ActivityEvent {
  readonly type: EventType;
  readonly user: string;
  /** The client's idempotency key when it sent one; Vigil assigns one before storing otherwise. */
  readonly id?: string;
  readonly occurredAt: number;
  readonly session?: string;
  readonly device?: string;
  readonly ip?: string;
  readonly userAgent?: string;
  readonly email?: string;
  readonly amount?: number;
  readonly currency?: string;
  readonly merchant?: string;
  readonly paymentMethod?: string;
  readonly path?: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export interface GeoInfo {
  readonly country?: string;
  readonly city?: string;
  readonly region?: string;
  readonly latitude?: number;
  readonly longitude?: number;
  /** Radius in km within which the true location lies with good confidence. */
  readonly accuracyKm?: number;
}

export type IpScope = 'public' | 'private' | 'loopback' | 'link_local' | 'carrier_nat' | 'reserved';

export interface UserAgentInfo {
  readonly browser?: string;
  readonly browserVersion?: string;
  readonly os?: string;
  readonly osVersion?: string;
  readonly deviceClass: 'desktop' | 'mobile' | 'tablet' | 'bot' | 'other';
  readonly summary: string;
}

/**
 * Novelty against what the user did before, in the order Vigil received it. `null` means the event
 * did not carry the field, so nothing can be said.
 */
export interface Novelty {
  /** The user has established activity from before this event (failed logins do not count). */
  readonly hasHistory: boolean;
  readonly newDevice: boolean | null;
  readonly newCountry: boolean | null;
  readonly newNetwork: boolean | null;
}

/** How the account first came to use a device, network, country or payment method. */
export type FirstSeenVia = 'login' | 'event' | 'code' | 'confirmed';

/**
 * What the account's history says of one device, network, country or payment method, as of this
 * event: its age rather than a yes/no "new". `null` in Enrichment.familiarity means the event did not
 * carry the field.
 */
export interface Familiarity {
  /** Event time it was first used by this account (this event's time when it is new). */
  readonly firstSeenAt: number;
  /** This event's time minus firstSeenAt: 0 when new. */
  readonly ageMs: number;
  /** Distinct UTC days the account used it on, this event's day included. */
  readonly days: number;
  /** How it first came: a successful login, another event, a verified one-time code, "this was me". */
  readonly via: FirstSeenVia;
  /** The owner proved it: a one-time code verified, or "this was me" on an alert. */
  readonly proven: boolean;
  /**
   * Proven, or in use for a while: first seen at least the trust period ago (VIGIL_TRUST_AFTER_DAYS,
   * default 7) and used on at least two days; or among the first things the account ever used.
   */
  readonly trusted: boolean;
}

export interface FamiliarityFacts {
  readonly device: Familiarity | null;
  readonly network: Familiarity | null;
  readonly country: Familiarity | null;
  readonly paymentMethod: Familiarity | null;
  /** When the account's first established activity was (undefined before it has any). */
  readonly accountFirstSeenAt?: number;
}

export interface Enrichment {
  readonly ipScope?: IpScope;
  /** IPv4 /24 or IPv6 /48 the address belongs to: the "network" novelty is measured on it. */
  readonly network?: string;
  readonly geo?: GeoInfo;
  readonly userAgent?: UserAgentInfo;
  readonly novelty: Novelty;
  /** Ages of the device, network, country and payment method for this account (absent on events stored before it existed). */
  readonly familiarity?: FamiliarityFacts;
  /**
   * The kinds of allow- and block-list entries the event matched (`ip`, `country`, …), set by
   * detection for the rules (custom rules read `enrichment.lists.block`); not stored.
   */
  readonly lists?: { readonly allow: readonly string[]; readonly block: readonly string[] };
}

/** An event as stored: its id, when Vigil received it, what enrichment found and what was answered. */
export interface StoredEvent extends ActivityEvent {
  readonly id: string;
  readonly receivedAt: number;
  readonly enrichment: Enrichment;
  readonly result: EventResult;
}

/** What detection sees: the validated event, its id and its enrichment. */
export interface DetectionEvent extends ActivityEvent {
  readonly id: string;
  readonly enrichment: Enrichment;
}
