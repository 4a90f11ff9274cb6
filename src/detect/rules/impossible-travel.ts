import { type Static, Type } from '@sinclair/typebox';
import { HOUR } from '../../core/time.js';
import type { GeoInfo } from '../../domain/activity-event.js';
import { haversineKm } from '../../domain/geo.js';
import type { PastEvent } from '../history.js';
import type { Rule, RuleHit } from '../rule.js';
import { formatDuration, formatInteger, minutesToMs } from './format.js';

export const ImpossibleTravelConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    windowMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      description: 'How far back the previous successful login is looked for (1440 = 24 h).',
    }),
    maxSpeedKmh: Type.Number({
      minimum: 100,
      maximum: 100_000,
      description: 'Travel speed between two logins above which the second is flagged (an airliner does about 900 km/h).',
    }),
    minDistanceKm: Type.Number({
      minimum: 0,
      maximum: 20_000,
      description: 'Distances below this (after geolocation accuracy is taken off) are ignored.',
    }),
  },
  { additionalProperties: false },
);
export type ImpossibleTravelConfig = Static<typeof ImpossibleTravelConfigSchema>;

/**
 * Two successful logins further apart than anyone could travel in the time between them: one of
 * them is probably not the owner. Each location is only known to within its accuracy radius, so
 * both radii are taken off the distance first: the rule leans towards not alerting on imprecise
 * geolocation (a mobile carrier's IP placed in the wrong city).
 */
export const impossibleTravelRule: Rule<ImpossibleTravelConfig> = {
  id: 'impossible-travel',
  title: 'Impossible travel',
  description: 'Two successful logins of one account from places too far apart for the time between them.',
  alertType: 'security',
  configSchema: ImpossibleTravelConfigSchema,
  defaults: { enabled: true, windowMinutes: 1440, maxSpeedKmh: 1000, minDistanceKm: 100 },
  windowMs: (c) => minutesToMs(c.windowMinutes),

  evaluate(event, history, config): RuleHit | undefined {
    const geo = event.enrichment.geo;
    if (event.type !== 'login.succeeded' || geo?.latitude === undefined || geo.longitude === undefined) return undefined;
    const t = event.occurredAt;
    const previous = history
      .forUser(event.user, t - minutesToMs(config.windowMinutes), t)
      .findLast((e) => e.type === 'login.succeeded' && e.latitude !== undefined && e.longitude !== undefined);
    if (previous?.latitude === undefined || previous.longitude === undefined) return undefined;

    const distanceKm = haversineKm(previous.latitude, previous.longitude, geo.latitude, geo.longitude);
    const adjustedKm = Math.max(0, distanceKm - (previous.accuracyKm ?? 0) - (geo.accuracyKm ?? 0));
    if (adjustedKm < config.minDistanceKm || adjustedKm === 0) return undefined;
    const elapsedMs = t - previous.occurredAt;
    const speedKmh = elapsedMs === 0 ? Number.POSITIVE_INFINITY : adjustedKm / (elapsedMs / HOUR);
    if (speedKmh <= config.maxSpeedKmh) return undefined;
    // The owner confirmed this device in this country before ("this was me"): a VPN or a trip they know of.
    if (
      event.device !== undefined &&
      geo.country !== undefined &&
      history.trustOf(event.user, 'device', event.device)?.trust === 'trusted' &&
      history.trustOf(event.user, 'country', geo.country)?.trust === 'trusted'
    )
      return undefined;

    const here = place(geo);
    const there = place(previous);
    const km = formatInteger(adjustedKm);
    const message =
      elapsedMs === 0
        ? `Login from ${here} at the same time as a login from ${there}: ${km} km apart`
        : `Login from ${here} ${formatDuration(elapsedMs)} after a login from ${there}: ${km} km apart, ${formatInteger(speedKmh)} km/h`;
    return {
      severity: 'high',
      message,
      evidence: {
        from: there,
        to: here,
        distanceKm: Math.round(distanceKm),
        adjustedDistanceKm: Math.round(adjustedKm),
        accuracyKm: [previous.accuracyKm ?? null, geo.accuracyKm ?? null],
        elapsedMs,
        // JSON has no Infinity: simultaneous logins are reported as a null speed.
        speedKmh: Number.isFinite(speedKmh) ? Math.round(speedKmh) : null,
        maxSpeedKmh: config.maxSpeedKmh,
        previousIp: previous.ip ?? null,
        ip: event.ip ?? null,
      },
      relatedEventIds: [previous.id],
      suggestedActions: ['confirm_with_user_by_otp', 'lock_account'],
    };
  },
};

/** "New York, US", "US", or the coordinates when the place has no name. */
function place(p: Pick<GeoInfo, 'city' | 'country' | 'latitude' | 'longitude'> | PastEvent): string {
  const name = [p.city, p.country].filter((s) => s !== undefined && s !== '').join(', ');
  return name || `${p.latitude?.toFixed(2)}, ${p.longitude?.toFixed(2)}`;
}
