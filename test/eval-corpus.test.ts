import { describe, expect, it } from 'vitest';
import { ATTACK_KINDS, EXPECTED_SEVERITY } from '../eval/attacks.js';
import { corpusCountries, generateCorpus } from '../eval/corpus.js';
import { buildGeoTable } from '../eval/geo-table.js';
import { type CorpusParams, HELD_OUT, TUNING } from '../eval/params.js';
import { EVENT_TYPES } from '../src/domain/vocabulary.js';
import { validateEvent } from '../src/ingest/validate-event.js';
import { sharedGeoIp } from './support/geoip.js';

/** The eval's corpus generator (eval/, `npm run eval`): no run through Vigil here, only the corpus. */
const small: CorpusParams = { ...TUNING, users: 150, days: 14, storiesPerKind: 3 };

describe('eval corpus', () => {
  it('is the same for the same seed, and different for another', async () => {
    const geoIp = await sharedGeoIp();
    const geo = buildGeoTable(geoIp, corpusCountries(small), small.seed, 1500);
    const a = generateCorpus(small, geo);
    const b = generateCorpus(small, buildGeoTable(geoIp, corpusCountries(small), small.seed, 1500));
    expect(b.events).toEqual(a.events);
    const c = generateCorpus({ ...small, seed: 2 }, geo);
    expect(c.events.map((e) => e.event)).not.toEqual(a.events.map((e) => e.event));
  });

  it('has the configured users and stories, every event labelled and valid, in time order', async () => {
    const geoIp = await sharedGeoIp();
    const corpus = generateCorpus(small, buildGeoTable(geoIp, corpusCountries(small), small.seed, 1500));
    expect(corpus.users).toHaveLength(small.users);
    expect(corpus.stories).toHaveLength(ATTACK_KINDS.length * small.storiesPerKind);
    for (const kind of ATTACK_KINDS) {
      expect(corpus.stories.filter((s) => s.kind === kind)).toHaveLength(small.storiesPerKind);
      expect(EXPECTED_SEVERITY[kind]).toMatch(/^(medium|high|critical)$/);
    }
    const labels = new Set(corpus.events.map((e) => e.label));
    expect([...labels].sort()).toEqual(['benign', ...ATTACK_KINDS].sort());
    // Every story's events are in the corpus, labelled with its kind, and no other event claims it.
    const byStory = new Map<string, number>();
    for (const e of corpus.events) if (e.story) byStory.set(e.story, (byStory.get(e.story) ?? 0) + 1);
    for (const s of corpus.stories) {
      expect(byStory.get(s.id)).toBe(s.events.length);
      expect(s.events.every((e) => e.label === s.kind)).toBe(true);
    }
    expect(corpus.events.filter((e) => e.label !== 'benign')).toHaveLength(corpus.stories.reduce((n, s) => n + s.events.length, 0));
    // Ordinary users do ordinary things: nearly all are active in two weeks (a few rarely come).
    const benignUsers = new Set(corpus.events.filter((e) => e.label === 'benign').map((e) => e.event.user));
    expect(benignUsers.size).toBeGreaterThanOrEqual(0.95 * small.users);
    expect([...benignUsers].every((u) => corpus.users.includes(u))).toBe(true);
    const types = new Set(corpus.events.map((e) => e.event.type));
    for (const t of ['login.succeeded', 'login.failed', 'page.viewed', 'transaction', 'payment.failed', 'password.changed'] as const)
      expect(types).toContain(t);
    for (const t of types) expect(EVENT_TYPES).toContain(t);

    for (let i = 1; i < corpus.events.length; i++) expect(corpus.events[i]?.at).toBeGreaterThanOrEqual(corpus.events[i - 1]?.at as number);
    const last = corpus.events[corpus.events.length - 1]?.at as number;
    for (const e of corpus.events) {
      const checked = validateEvent(e.event, last + 60_000);
      if (!checked.ok) throw new Error(`${checked.error.message}: ${JSON.stringify(e.event)}`);
    }
  });

  it("geo table addresses resolve to their country and city, for both corpora's countries", async () => {
    const geoIp = await sharedGeoIp();
    const countries = [...new Set([...corpusCountries(TUNING), ...corpusCountries(HELD_OUT)])];
    const table = buildGeoTable(geoIp, countries, 1, 1500);
    expect([...table.countries.keys()].sort()).toEqual([...countries].sort());
    for (const [country, cities] of table.countries) {
      expect(cities.length).toBeGreaterThan(0);
      for (const city of cities) {
        for (const ip of city.addresses) {
          const found = geoIp.lookup(ip, 4);
          expect({ ip, country: found?.country, city: found?.city }).toEqual({ ip, country, city: city.city });
        }
      }
    }
  });
});
