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
}

export function toPastEvent(e: DetectionEvent): PastEvent {
  const geo = e.enrichment.geo;
  return {
    id: e.id,
    type: e.type,
    user: e.user,
    occurredAt: e.occurredAt,
    ...(e.session !== undefined && { session: e.session }),
    ...(e.device !== undefined && { device: e.device }),
    ...(e.ip !== undefined && { ip: e.ip }),
    ...(e.enrichment.network !== undefined && { network: e.enrichment.network }),
    ...(geo?.country !== undefined && { country: geo.country }),
    ...(geo?.city !== undefined && { city: geo.city }),
    ...(geo?.latitude !== undefined && { latitude: geo.latitude }),
    ...(geo?.longitude !== undefined && { longitude: geo.longitude }),
    ...(geo?.accuracyKm !== undefined && { accuracyKm: geo.accuracyKm }),
    ...(e.amount !== undefined && { amount: e.amount }),
    ...(e.currency !== undefined && { currency: e.currency }),
    ...(e.merchant !== undefined && { merchant: e.merchant }),
    ...(e.path !== undefined && { path: e.path }),
    ...(e.userAgent !== undefined && { userAgent: e.userAgent }),
    newDevice: e.enrichment.novelty.newDevice,
    newCountry: e.enrichment.novelty.newCountry,
  };
}
