/**
 * Memory held by detection state per 100,000 active accounts: the engine with every built-in rule
 * (carried risk included), allow and block lists, snoozes and the per-rule counters, fed ten events
 * per account (logins, page views, a transaction, a logout), measured as heap and RSS growth after a
 * full garbage collection. The heap's figure includes typed arrays' buffers, which V8 keeps outside it
 * (the byte budget's columns, the population's rings). The mix is a day's: each account from its home address and country with
 * its browser, a third of them also from a phone on a mobile network, transactions of varied amounts
 * and currencies; every event parsed from its own JSON, as the API receives it (so its texts are its
 * own copies, as in the server). Then the byte budget under the same load: the heap must stay within
 * it. Run with --expose-gc (npm run bench does). Adds its figures to bench/results.json.
 * BENCH_ACCOUNTS (100,000) and BENCH_BUDGET_MB (a quarter of the estimate) change the load and the budget;
 * BENCH_IDS=client gives the events ids of the shop's own (see idOf).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { newId } from '../src/core/ids.js';
import { AlertBook } from '../src/detect/alert-book.js';
import { DetectionEngine } from '../src/detect/engine.js';
import { toPastEvent } from '../src/detect/history.js';
import { ListBook, type ListEntry } from '../src/detect/lists.js';
import { DEFAULT_LIMITS, MemoryHistory } from '../src/detect/memory-history.js';
import { RuleSet } from '../src/detect/rule-set.js';
import { RuleStats } from '../src/detect/rule-stats.js';
import { BUILTIN_RULES } from '../src/detect/rules/index.js';
import { DEFAULT_SCORING } from '../src/detect/scoring.js';
import { SnoozeBook } from '../src/detect/snooze-book.js';
import type { ActivityEvent, Enrichment, Familiarity, UserAgentInfo } from '../src/domain/activity-event.js';
import type { EventType } from '../src/domain/event-schema.js';

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 100_000);
/**
 * The events' ids: Vigil's own (`newId('evt')`, what an event sent without an id gets), or with
 * BENCH_IDS=client the shop's own idempotency keys, UUIDs here (kept as text: see StoredEvent).
 */
const CLIENT_IDS = process.env.BENCH_IDS === 'client';
const idOf = (n: number) => (CLIENT_IDS ? randomUUID() : newId('evt', Date.parse('2026-11-24T00:00:00Z') + n));
const gc = (globalThis as { gc?: () => void }).gc;
/** The heap and the typed arrays' buffers V8 keeps outside it: what detection state holds. */
const heldBytes = (m: NodeJS.MemoryUsage): number => m.heapUsed + m.arrayBuffers;
if (!gc) throw new Error('run with node --expose-gc');

const t0 = Date.parse('2026-11-24T00:00:00Z');
const known: Familiarity = {
  firstSeenAt: t0 - 40 * 86_400_000,
  ageMs: 40 * 86_400_000,
  days: 30,
  via: 'login',
  proven: false,
  trusted: true,
};
/**
 * The enrichment's familiarity of an event at `at`: everything known for 40 days, the device's age
 * measured from the event's time, as novelty (src/enrich/novelty.ts) measures it.
 */
const familiarityAt = (at: number) => ({
  device: { ...known, ageMs: at - known.firstSeenAt },
  network: known,
  country: known,
  paymentMethod: null,
});
const places = [
  ['GB', 'London', 51.5072, -0.1276, 'GBP'],
  ['FR', 'Paris', 48.8566, 2.3522, 'EUR'],
  ['DE', 'Berlin', 52.52, 13.405, 'EUR'],
  ['ES', 'Madrid', 40.4168, -3.7038, 'EUR'],
  ['IT', 'Milan', 45.4642, 9.19, 'EUR'],
  ['NL', 'Amsterdam', 52.3676, 4.9041, 'EUR'],
  ['US', 'New York', 40.7128, -74.006, 'USD'],
  ['US', 'Chicago', 41.8781, -87.6298, 'USD'],
  ['IE', 'Dublin', 53.3498, -6.2603, 'EUR'],
  ['PL', 'Warsaw', 52.2297, 21.0122, 'PLN'],
] as const;
const desktop = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
];
const mobile = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
];
// The enricher caches parsed user agents: one object per distinct text, shared by its events.
const parsed = new Map<string, UserAgentInfo>(
  [...desktop, ...mobile].map((ua, k) => [
    ua,
    {
      browser: `B${k}`,
      browserVersion: '131',
      os: k < 3 ? 'Windows' : 'iOS',
      osVersion: '10.0',
      deviceClass: k < 3 ? 'desktop' : 'mobile',
      summary: `B${k} 131/OS`,
    },
  ]),
);

/** Account i's event of this round, as the API would parse it, and its enrichment. */
function eventOf(
  i: number,
  round: number,
  type: EventType,
  id: string,
): { event: ActivityEvent & { readonly id: string }; enrichment: Enrichment } {
  const place = places[i % places.length] as (typeof places)[number];
  // A third of the accounts use a phone on a mobile network in the second half of the day.
  const onPhone = i % 3 === 0 && round >= 5;
  const ip = onPhone ? `100.${64 + (i % 64)}.${(i >> 6) % 250}.${1 + (i % 200)}` : `81.${i % 250}.${(i >> 8) % 250}.${1 + (i >> 16)}`;
  const userAgent = onPhone ? (mobile[i % mobile.length] as string) : (desktop[i % desktop.length] as string);
  const raw = {
    id,
    type,
    user: `user-${i}`,
    occurredAt: t0 + round * 600_000 + (i % 1000),
    ip,
    device: onPhone ? `phone-${i}` : `laptop-${i}`,
    session: `s-${i}-${round < 7 ? 'a' : 'b'}`,
    userAgent,
    ...(type === 'transaction' && {
      amount: 5 + ((i * 37) % 200) + 0.99,
      currency: place[4],
      merchant: `shop-${i % 500}`,
      paymentMethod: 'card',
    }),
    ...(type === 'page.viewed' && { path: `/shop/item/${(i + round) % 100}` }),
    enrichment: {
      ipScope: 'public',
      network: `${ip.slice(0, ip.lastIndexOf('.'))}.0/24`,
      geo: { country: place[0], city: place[1], latitude: place[2], longitude: place[3], accuracyKm: 20 },
      novelty: { hasHistory: true, newDevice: false, newCountry: false, newNetwork: false },
    },
  };
  const { enrichment, ...event } = JSON.parse(JSON.stringify(raw)) as ActivityEvent & { id: string; enrichment: Enrichment };
  return {
    event,
    enrichment: { ...enrichment, userAgent: parsed.get(userAgent) as UserAgentInfo, familiarity: familiarityAt(event.occurredAt) },
  };
}

// Lists and snoozes as a shop keeps them: a thousand blocked ranges and addresses, a few hundred
// allowed users and domains, a thousand travellers' snoozes; none matches most events.
const entry = (i: number, over: Partial<ListEntry>): ListEntry => ({
  id: `lst_${i}`,
  list: 'block',
  kind: 'ip',
  value: `10.${i >> 8}.${i & 255}.0/24`,
  reason: 'bench',
  rules: [],
  createdBy: 'bench',
  createdAt: t0,
  expiresAt: null,
  ...over,
});
const lists = new ListBook();
for (let i = 0; i < 1000; i++) lists.put(entry(i, {}));
for (let i = 0; i < 200; i++) lists.put(entry(1000 + i, { list: 'allow', kind: 'user', value: `vip${i}`, rules: ['large-transaction'] }));
for (let i = 0; i < 200; i++) lists.put(entry(1200 + i, { kind: 'email_domain', value: `spam${i}.example` }));
const snoozes = new SnoozeBook();
for (let i = 0; i < 1000; i++) {
  snoozes.put({
    id: `snz_${i}`,
    ruleId: 'new-login-context',
    user: `user${i * 97}`,
    until: t0 + 86_400_000,
    reason: 'bench',
    createdBy: 'bench',
    createdAt: t0,
    cancelledAt: null,
    cancelledBy: null,
  });
}
const counts = new RuleStats({ add: async () => {}, read: async () => [] }, { now: () => t0 });

gc();
const before = process.memoryUsage();
// Without a binding budget here, so that the figure per 100,000 accounts is what they cost; the
// budget is measured below.
const history = new MemoryHistory({ ...DEFAULT_LIMITS, budgetBytes: 64 * 1024 ** 3 });
const engine = new DetectionEngine({
  memory: { history, alerts: new AlertBook() },
  book: {
    rules: new RuleSet(
      BUILTIN_RULES.map((rule) => ({
        rule,
        kind: 'builtin' as const,
        config: rule.defaults,
        version: 0,
        updatedAt: null,
        updatedBy: null,
        mode: 'live' as const,
      })),
    ),
    lists,
    snoozes,
  },
  policy: DEFAULT_SCORING,
  clock: { now: () => t0 },
  onRuleError: (id, e) => {
    throw new Error(`${id}: ${String(e)}`);
  },
  ruleHits: counts,
});
const types: EventType[] = [
  'login.succeeded',
  'page.viewed',
  'page.viewed',
  'page.viewed',
  'transaction',
  'page.viewed',
  'logout',
  'login.succeeded',
  'page.viewed',
  'page.viewed',
];
const started = performance.now();
let events = 0;
for (let round = 0; round < types.length; round++) {
  const type = types[round] as EventType;
  for (let i = 0; i < ACCOUNTS; i++) {
    const { event, enrichment } = eventOf(i, round, type, idOf(events++));
    engine.score(event, enrichment);
  }
}
const elapsedMs = performance.now() - started;
gc();
const after = process.memoryUsage();
const perHundredThousand = (bytes: number) => Math.round((bytes / 1024 / 1024) * (100_000 / ACCOUNTS) * 10) / 10;
const result = {
  accounts: ACCOUNTS,
  ids: CLIENT_IDS ? 'the shop’s own (UUIDs)' : 'Vigil’s own',
  eventsScored: events,
  heapGrowthMbPer100kAccounts: perHundredThousand(heldBytes(after) - heldBytes(before)),
  // Of which typed arrays' buffers, outside V8's heap.
  arrayBuffersMbPer100kAccounts: perHundredThousand(after.arrayBuffers - before.arrayBuffers),
  // Resident memory also holds what the heap has freed but not returned, and typed arrays' buffers.
  rssGrowthMbPer100kAccounts: perHundredThousand(after.rss - before.rss),
  // Wall-clock figure on a shared machine: for orientation, not a target.
  scoringEventsPerSecOneCore: Math.round((events / elapsedMs) * 1000),
  tracked: history.size(),
  // Keys whose timeline is a list, and the lists serving them (one may serve several keys).
  timelineLists: history.timelineLists(),
  // The byte budget's own estimate of the same state (VIGIL_DETECTION_MEMORY_MB is compared with it):
  // the heap growth also holds open alerts, rule counters and the engine's other caches.
  budgetEstimateMb: Math.round((history.memory().bytes / 1024 / 1024) * 10) / 10,
  budgetEvictedKeys: history.memory().evictedKeys,
};
console.log(
  `detection memory: ${result.heapGrowthMbPer100kAccounts} MB of heap, ${result.rssGrowthMbPer100kAccounts} MB of RSS per 100,000 active accounts (10 events each, ${result.ids} ids; target 150 MB), of which the byte budget estimates ${result.budgetEstimateMb} MB; scoring alone ${result.scoringEventsPerSecOneCore} events/s on one core`,
);

/**
 * The byte budget under load: the same million events into a history whose budget is a quarter of
 * what they need. The heap must stay near the budget, the least recently active keys going first.
 */
function budgetUnderLoad(budgetMb: number) {
  gc?.();
  const start = heldBytes(process.memoryUsage());
  const bounded = new MemoryHistory({ ...DEFAULT_LIMITS, budgetBytes: budgetMb * 1024 * 1024 });
  let n = 0;
  for (let round = 0; round < types.length; round++) {
    for (let i = 0; i < ACCOUNTS; i++) {
      const { event, enrichment } = eventOf(i, round, types[round] as EventType, idOf(n++));
      bounded.record(toPastEvent({ ...event, enrichment }));
    }
  }
  gc?.();
  const heapMb = (heldBytes(process.memoryUsage()) - start) / 1024 / 1024;
  const usage = bounded.memory();
  return {
    budgetMb,
    heapGrowthMb: Math.round(heapMb * 10) / 10,
    estimateMb: Math.round((usage.bytes / 1024 / 1024) * 10) / 10,
    keysKept: usage.keys,
    keysEvicted: usage.evictedKeys,
    // The budget is a ceiling of the heap it keeps: the estimate stays under it, and so does the heap.
    respected: usage.bytes <= budgetMb * 1024 * 1024 && heapMb <= budgetMb,
  };
}
// A quarter of what the load needs (the estimate above), so that the budget binds.
const budget = budgetUnderLoad(Number(process.env.BENCH_BUDGET_MB ?? Math.max(16, Math.round(result.budgetEstimateMb / 4))));
console.log(
  `detection byte budget: ${budget.budgetMb} MB budget, ${ACCOUNTS * types.length} events: heap grew ${budget.heapGrowthMb} MB (estimate ${budget.estimateMb} MB), ${budget.keysKept} keys kept, ${budget.keysEvicted} evicted: ${budget.respected ? 'respected' : 'NOT RESPECTED'}`,
);
if (!budget.respected) process.exitCode = 1;
const file = path.join(import.meta.dirname, 'results.json');
const existing = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
fs.writeFileSync(file, `${JSON.stringify({ ...existing, detectionMemory: { ...result, budget } }, null, 2)}\n`);
