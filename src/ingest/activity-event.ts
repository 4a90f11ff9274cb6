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

export interface Enrichment {
  readonly ipScope?: IpScope;
  /** IPv4 /24 or IPv6 /48 the address belongs to: the "network" novelty is measured on it. */
  readonly network?: string;
  readonly geo?: GeoInfo;
  readonly userAgent?: UserAgentInfo;
  readonly novelty: Novelty;
}

/** An event as stored: its id, when Vigil received it, what enrichment found and what was answered. */
export interface StoredEvent extends ActivityEvent {
  readonly id: string;
  readonly receivedAt: number;
  readonly enrichment: Enrichment;
  readonly result: EventResult;
}
