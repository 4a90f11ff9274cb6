import { describe, expect, it } from 'vitest';
import type { DetectionEvent, Familiarity, UserAgentInfo } from '../domain/activity-event.js';
import { DetectionEventView, type PastEvent, toPastEvent } from './history.js';
import { MemoryHistory } from './memory-history.js';
import { StoredEvent } from './stored-event.js';

const t0 = Date.parse('2026-12-07T10:00:00Z');
const DAY = 86_400_000;

/** Every field of a PastEvent (a Record: a field added to PastEvent does not compile until listed here). */
const EVERY_FIELD: Record<keyof PastEvent, true> = {
  id: true,
  type: true,
  user: true,
  occurredAt: true,
  session: true,
  device: true,
  ip: true,
  network: true,
  country: true,
  city: true,
  latitude: true,
  longitude: true,
  accuracyKm: true,
  amount: true,
  currency: true,
  merchant: true,
  paymentMethod: true,
  category: true,
  path: true,
  userAgent: true,
  ua: true,
  newDevice: true,
  newCountry: true,
  untrustedSource: true,
  deviceAgeMs: true,
  untrustedNetwork: true,
};
const FIELDS = Object.keys(EVERY_FIELD) as Array<keyof PastEvent>;
const answers = (e: PastEvent) => Object.fromEntries(FIELDS.map((f) => [f, e[f]]));

const known = (trusted: boolean, ageMs: number): Familiarity => ({
  firstSeenAt: t0 - ageMs,
  ageMs,
  days: 3,
  via: 'login',
  proven: false,
  trusted,
});
const ua: UserAgentInfo = {
  browser: 'Firefox',
  browserVersion: '133',
  os: 'Linux',
  deviceClass: 'desktop',
  summary: 'Firefox 133 on Linux (desktop)',
};

/** Events of every shape the record path meets: with and without place, browser, purchase, familiarity. */
const EVENTS: DetectionEvent[] = [
  {
    id: 'evt_login',
    type: 'login.succeeded',
    user: 'u1',
    occurredAt: t0,
    session: 's1',
    device: 'd1',
    ip: '81.2.69.160',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
    enrichment: {
      ipScope: 'public',
      network: '81.2.69.0/24',
      geo: { country: 'GB', city: 'London', latitude: 51.5142, longitude: -0.0931, accuracyKm: 10 },
      userAgent: ua,
      novelty: { hasHistory: true, newDevice: false, newCountry: null, newNetwork: true },
      familiarity: { device: known(true, 40 * DAY), network: known(false, 0), country: null, paymentMethod: null },
    },
  },
  {
    id: 'evt_purchase',
    type: 'transaction',
    user: 'u1',
    occurredAt: t0 + 60_000,
    amount: 49.99,
    currency: 'EUR',
    merchant: 'Books',
    paymentMethod: 'card_1',
    path: '/checkout',
    attributes: { merchantCategory: 'books' },
    enrichment: {
      novelty: { hasHistory: true, newDevice: null, newCountry: null, newNetwork: null },
      familiarity: { device: null, network: null, country: null, paymentMethod: known(false, 0) },
    },
  },
  {
    id: 'evt_odd_category',
    type: 'transaction',
    user: 'u2',
    occurredAt: t0 + 120_000,
    amount: 5,
    currency: 'USD',
    attributes: { merchantCategory: 'x'.repeat(65) },
    enrichment: { geo: { country: 'US' }, novelty: { hasHistory: false, newDevice: true, newCountry: true, newNetwork: null } },
  },
  {
    id: 'evt_view',
    type: 'page.viewed',
    user: 'u2',
    occurredAt: t0 + 180_000,
    path: '/account',
    attributes: { merchantCategory: 42 },
    enrichment: { novelty: { hasHistory: true, newDevice: null, newCountry: null, newNetwork: null } },
  },
];

describe('DetectionEventView', () => {
  it('answers every field as toPastEvent’s copy does', () => {
    for (const e of EVENTS) expect(answers(new DetectionEventView(e))).toEqual(answers(toPastEvent(e)));
    // The cases that matter: a category only when plausible, trust and age only when familiarity says.
    expect(new DetectionEventView(EVENTS[1] as DetectionEvent).category).toBe('books');
    expect(new DetectionEventView(EVENTS[2] as DetectionEvent).category).toBeUndefined();
    // The category's bounds, by value: 64 characters are kept, 65 and the empty text are not.
    const withCategory = (merchantCategory: unknown) =>
      new DetectionEventView({ ...(EVENTS[1] as DetectionEvent), attributes: { merchantCategory } }).category;
    expect(withCategory('y'.repeat(64))).toBe('y'.repeat(64));
    expect(withCategory('y'.repeat(65))).toBeUndefined();
    expect(withCategory('')).toBeUndefined();
    expect(new DetectionEventView(EVENTS[0] as DetectionEvent)).toMatchObject({
      untrustedSource: false,
      deviceAgeMs: 40 * DAY,
      untrustedNetwork: true,
    });
    expect(new DetectionEventView(EVENTS[3] as DetectionEvent)).toMatchObject({
      untrustedSource: undefined,
      deviceAgeMs: undefined,
      untrustedNetwork: undefined,
    });
  });

  it('recorded into a history, keeps what the copy keeps, in the history’s own form', () => {
    const viaView = new MemoryHistory();
    const viaCopy = new MemoryHistory();
    for (const e of EVENTS) {
      viaView.record(new DetectionEventView(e));
      viaCopy.record(toPastEvent(e));
    }
    for (const user of ['u1', 'u2']) {
      const kept = viaView.forUser(user, 0, t0 + DAY);
      expect(kept.map(answers)).toEqual(viaCopy.forUser(user, 0, t0 + DAY).map(answers));
      expect(kept.length).toBe(2);
      // The view itself is never kept: it holds the whole event and its enrichment.
      for (const e of kept) expect(e).toBeInstanceOf(StoredEvent);
    }
    expect(viaView.memory().bytes).toBe(viaCopy.memory().bytes);
    // The profile keeps the last login in the history's form too.
    expect(viaView.profileOf('u1')?.lastLogin).toBeInstanceOf(StoredEvent);
    expect(answers(viaView.profileOf('u1')?.lastLogin as PastEvent)).toEqual(answers(viaCopy.profileOf('u1')?.lastLogin as PastEvent));
  });
});
