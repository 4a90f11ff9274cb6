import { describe, expect, it } from 'vitest';
import { HOUR } from '../../core/time.js';
import type { GeoInfo } from '../../domain/activity-event.js';
import { haversineKm } from '../../domain/geo.js';
import { type ImpossibleTravelConfig, impossibleTravelRule as rule } from './impossible-travel.js';
import { type Case, ev, judge, problemsOf, T0 } from './test-kit.js';

const LONDON: GeoInfo = { country: 'GB', city: 'London', latitude: 51.5074, longitude: -0.1278, accuracyKm: 0 };
const NEW_YORK: GeoInfo = { country: 'US', city: 'New York', latitude: 40.7128, longitude: -74.006, accuracyKm: 0 };
const TOKYO: GeoInfo = { country: 'JP', city: 'Tokyo', latitude: 35.6762, longitude: 139.6503, accuracyKm: 0 };
const LONDON_NY_KM = haversineKm(51.5074, -0.1278, 40.7128, -74.006);
const login = (geo: GeoInfo | undefined, hoursBefore = 0) =>
  ev('login.succeeded', { occurredAt: T0 - hoursBefore * HOUR, ...(geo !== undefined && { geo }) });

const cases: Case<ImpossibleTravelConfig>[] = [
  {
    name: 'London, then New York 2 h later: high',
    past: [login(LONDON, 2)],
    event: login(NEW_YORK),
    hit: {
      severity: 'high',
      message: 'Login from New York, US 2 h after a login from London, GB: 5,570 km apart, 2,785 km/h',
      evidence: expect.objectContaining({ distanceKm: 5570, adjustedDistanceKm: 5570, speedKmh: 2785, elapsedMs: 2 * HOUR }),
      suggestedActions: ['confirm_with_user_by_otp', 'lock_account'],
    },
  },
  {
    name: 'both accuracy radii are taken off the distance',
    past: [login({ ...LONDON, accuracyKm: 50 }, 2)],
    event: login({ ...NEW_YORK, accuracyKm: 500 }),
    hit: { message: 'Login from New York, US 2 h after a login from London, GB: 5,020 km apart, 2,510 km/h' },
  },
  { name: 'an 8 h flight is possible', past: [login(LONDON, 8)], event: login(NEW_YORK), hit: undefined },
  {
    name: 'exactly the maximum speed does not fire',
    past: [login(LONDON, 2)],
    event: login(NEW_YORK),
    config: { maxSpeedKmh: LONDON_NY_KM / 2 },
    hit: undefined,
  },
  {
    name: 'just above the maximum speed fires',
    past: [login(LONDON, 2)],
    event: login(NEW_YORK),
    config: { maxSpeedKmh: LONDON_NY_KM / 2 - 0.001 },
    hit: { severity: 'high' },
  },
  {
    name: 'simultaneous logins far apart: infinite speed',
    past: [login(LONDON)],
    event: login(NEW_YORK),
    hit: {
      message: 'Login from New York, US at the same time as a login from London, GB: 5,570 km apart',
      evidence: expect.objectContaining({ speedKmh: null, elapsedMs: 0 }),
    },
  },
  {
    name: 'a distance exactly at the minimum is judged',
    past: [login(LONDON)],
    event: login(NEW_YORK),
    config: { minDistanceKm: LONDON_NY_KM },
    hit: { severity: 'high' },
  },
  {
    name: 'a distance below the minimum is ignored, however fast',
    past: [login(LONDON)],
    event: login(NEW_YORK),
    config: { minDistanceKm: LONDON_NY_KM + 0.001 },
    hit: undefined,
  },
  {
    name: 'nearby places within the accuracy radii are ignored',
    past: [login({ ...LONDON, accuracyKm: 50 })],
    event: login({ country: 'GB', city: 'Oxford', latitude: 51.752, longitude: -1.2577, accuracyKm: 50 }),
    hit: undefined,
  },
  {
    name: 'previous login exactly at the window edge counts',
    past: [login(LONDON, 24)],
    event: login(NEW_YORK),
    config: { maxSpeedKmh: 100 },
    hit: { message: 'Login from New York, US 24 h after a login from London, GB: 5,570 km apart, 232 km/h' },
  },
  {
    name: 'previous login 1 ms outside the window does not',
    past: [ev('login.succeeded', { occurredAt: T0 - 24 * HOUR - 1, geo: LONDON })],
    event: login(NEW_YORK),
    config: { maxSpeedKmh: 100 },
    hit: undefined,
  },
  {
    name: 'compares with the latest login that has a location',
    past: [login(LONDON, 3), login(undefined, 1)],
    event: login(NEW_YORK),
    hit: { message: 'Login from New York, US 3 h after a login from London, GB: 5,570 km apart, 1,857 km/h' },
  },
  { name: 'the latest located login is what counts', past: [login(LONDON, 3), login(NEW_YORK, 1)], event: login(NEW_YORK), hit: undefined },
  {
    name: "failed logins (anyone's attempts) are not a location of the user",
    past: [ev('login.failed', { occurredAt: T0 - HOUR, geo: LONDON })],
    event: login(NEW_YORK),
    hit: undefined,
  },
  {
    name: 'out of order: a login later than a late event is not compared with it',
    past: [login(LONDON, 2), ev('login.succeeded', { occurredAt: T0 + HOUR, geo: TOKYO })],
    event: login(NEW_YORK),
    hit: { message: 'Login from New York, US 2 h after a login from London, GB: 5,570 km apart, 2,785 km/h' },
  },
  {
    name: 'places without a city are named by country',
    past: [login({ country: 'GB', latitude: 51.5074, longitude: -0.1278 }, 2)],
    event: login({ country: 'US', latitude: 40.7128, longitude: -74.006 }),
    hit: { message: 'Login from US 2 h after a login from GB: 5,570 km apart, 2,785 km/h' },
  },
  { name: 'a login without coordinates is not judged', past: [login(LONDON, 1)], event: login({ country: 'US' }), hit: undefined },
  { name: 'a first login is not judged', event: login(NEW_YORK), hit: undefined },
  { name: 'only successful logins are judged', past: [login(LONDON, 1)], event: ev('transaction', { geo: NEW_YORK }), hit: undefined },
];

describe('impossible-travel', () => {
  it.each(cases)('$name', (c) => {
    const hit = judge(rule, c);
    if (c.hit === undefined) expect(hit).toBeUndefined();
    else expect(hit && { ...hit, problems: problemsOf(hit) }).toMatchObject({ ...c.hit, problems: [] });
  });

  it.each([
    [0, 0, 0, 0, 0],
    [0, 0, 0, 180, Math.PI * 6371],
    [90, 0, -90, 0, Math.PI * 6371],
    [51.5074, -0.1278, 40.7128, -74.006, 5570.2],
  ])('haversine (%d, %d) → (%d, %d) is %d km', (lat1, lon1, lat2, lon2, km) => {
    expect(haversineKm(lat1, lon1, lat2, lon2)).toBeCloseTo(km, 0);
  });
});
