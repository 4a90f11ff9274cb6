import type { EventType } from '../ingest/event-schema.js';
import type { DetectionEvent } from './rule.js';

/** The compact copy of an earlier event that detection keeps in memory. */
export interface PastEvent {
  readonly id: string;
  readonly type: EventType;
  readonly user: string;
  readonly occurredAt: number;
  readonly session?: string;
  readonly device?: string;
  readonly ip?: string;
  readonly network?: string;
  readonly country?: string;
  readonly city?: string;
  readonly latitude?: number;
  readonly longitude?: number;
  readonly accuracyKm?: number;
  readonly amount?: number;
  readonly currency?: string;
  readonly merchant?: string;
  readonly paymentMethod?: string;
  readonly path?: string;
  readonly userAgent?: string;
  readonly newDevice?: boolean | null;
  readonly newCountry?: boolean | null;
}

/**
 * Read-only view of earlier events, by event time. Windows are `[from, to]` on `occurredAt`, so a
 * late event is judged against what happened before it, and replaying history in order gives the
 * same findings as live traffic. The event being scored is not in the history yet.
 */
export interface History {
  forUser(user: string, from: number, to: number): readonly PastEvent[];
  forIp(ip: string, from: number, to: number): readonly PastEvent[];
  forDevice(device: string, from: number, to: number): readonly PastEvent[];
  /** Amounts of this user's transactions in this currency before `before`, oldest first (at most 100). */
  transactionAmounts(user: string, currency: string, before: number): readonly number[];
  /** What the account's owner said of this device, IP or country after an alert, if anything. */
  trustOf(user: string, kind: TrustKind, value: string): TrustVerdict | undefined;
  /**
   * What the account usually does, over longer than the windows (its usual login hours, last login,
   * merchants), for the behaviour-anomaly features; undefined when nothing is known of it.
   */
  profileOf?(user: string): BehaviourProfile | undefined;
}

/**
 * The long-term habits of one account, in bounded memory: built from its successful logins and
 * transactions as they are recorded, and from the last 90 days of them at start.
 */
export interface BehaviourProfile {
  /** Minutes past midnight (UTC) of its latest successful logins, at most PROFILE_LOGINS, in no order. */
  readonly loginMinutes: ArrayLike<number>;
  /** Successful logins recorded, all told. */
  readonly logins: number;
  /** Its latest successful login by event time. */
  readonly lastLogin: PastEvent | undefined;
  /** Transactions recorded, all told. */
  readonly transactions: number;
  /** When its latest transaction happened (event time). */
  readonly lastTransactionAt: number | undefined;
  /** Merchants of its latest transactions, distinct, most recent last (at most PROFILE_MERCHANTS). */
  readonly merchants: readonly string[];
}

/** Logins whose hours make an account's usual hours: about a month of daily use. */
export const PROFILE_LOGINS = 32;
/** Merchants remembered per account: enough for "new merchant" on an ordinary shopper. */
export const PROFILE_MERCHANTS = 16;

export type TrustKind = 'device' | 'ip' | 'country';
/** `trusted` after "this was me" on an alert, `untrusted` after "this wasn't me". */
export interface TrustVerdict {
  readonly trust: 'trusted' | 'untrusted';
  readonly alertId?: string;
}

export function toPastEvent(e: DetectionEvent): PastEvent {
  const geo = e.enrichment.geo;
  // Assigned field by field: this runs for every event, and conditional spreads allocate.
  const p: { -readonly [K in keyof PastEvent]: PastEvent[K] } = {
    id: e.id,
    type: e.type,
    user: e.user,
    occurredAt: e.occurredAt,
    newDevice: e.enrichment.novelty.newDevice,
    newCountry: e.enrichment.novelty.newCountry,
  };
  if (e.session !== undefined) p.session = e.session;
  if (e.device !== undefined) p.device = e.device;
  if (e.ip !== undefined) p.ip = e.ip;
  if (e.enrichment.network !== undefined) p.network = e.enrichment.network;
  if (geo?.country !== undefined) p.country = geo.country;
  if (geo?.city !== undefined) p.city = geo.city;
  if (geo?.latitude !== undefined) p.latitude = geo.latitude;
  if (geo?.longitude !== undefined) p.longitude = geo.longitude;
  if (geo?.accuracyKm !== undefined) p.accuracyKm = geo.accuracyKm;
  if (e.amount !== undefined) p.amount = e.amount;
  if (e.currency !== undefined) p.currency = e.currency;
  if (e.merchant !== undefined) p.merchant = e.merchant;
  if (e.paymentMethod !== undefined) p.paymentMethod = e.paymentMethod;
  if (e.path !== undefined) p.path = e.path;
  if (e.userAgent !== undefined) p.userAgent = e.userAgent;
  return p;
}
