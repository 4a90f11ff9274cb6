/**
 * Memory held by detection state per 100,000 active accounts: the engine with every built-in rule
 * (carried risk included), allow and block lists, snoozes and the per-rule counters, fed ten events
 * per account (logins, page views, a transaction), measured as heap growth after a full garbage
 * collection. Run with --expose-gc (npm run bench does). Adds its figures to
 * bench/results.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AlertBook } from '../src/detect/alert-book.js';
import { DetectionEngine } from '../src/detect/engine.js';
import { ListBook, type ListEntry } from '../src/detect/lists.js';
import { DEFAULT_LIMITS, MemoryHistory } from '../src/detect/memory-history.js';
import { RuleSet } from '../src/detect/rule-set.js';
import { RuleStats } from '../src/detect/rule-stats.js';
import { BUILTIN_RULES } from '../src/detect/rules/index.js';
import { DEFAULT_SCORING } from '../src/detect/scoring.js';
import { SnoozeBook } from '../src/detect/snooze-book.js';
import type { Enrichment, Familiarity } from '../src/domain/activity-event.js';
import type { EventType } from '../src/domain/event-schema.js';

const ACCOUNTS = 100_000;
const gc = (globalThis as { gc?: () => void }).gc;
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
const familiarity = { device: known, network: known, country: known, paymentMethod: null };
const enrichment = (i: number): Enrichment => ({
  ipScope: 'public',
  network: `81.${i % 250}.${(i >> 8) % 250}.0/24`,
  geo: { country: 'GB', city: 'London', latitude: 51.5, longitude: -0.1, accuracyKm: 50 },
  novelty: { hasHistory: true, newDevice: false, newCountry: false, newNetwork: false },
  familiarity,
});

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
const before = process.memoryUsage().heapUsed;
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
    const ip = `81.${i % 250}.${(i >> 8) % 250}.${round}`;
    engine.score(
      {
        id: `e${events++}`,
        type,
        user: `user${i}`,
        occurredAt: t0 + round * 600_000 + (i % 1000),
        ip,
        device: `dev${i}`,
        session: `s${i}`,
        ...(type === 'transaction' && { amount: 20 + (i % 50), currency: 'EUR' }),
        ...(type === 'page.viewed' && { path: `/shop/${i % 100}` }),
      },
      enrichment(i),
    );
  }
}
const elapsedMs = performance.now() - started;
gc();
const after = process.memoryUsage().heapUsed;
const mb = (after - before) / 1024 / 1024;
const result = {
  accounts: ACCOUNTS,
  eventsScored: events,
  heapGrowthMbPer100kAccounts: Math.round(mb * 10) / 10,
  scoringEventsPerSecOneCore: Math.round((events / elapsedMs) * 1000),
  tracked: history.size(),
  // The byte budget's own estimate of the same state (VIGIL_DETECTION_MEMORY_MB is compared with it):
  // the heap growth also holds open alerts, rule counters and the engine's other caches.
  budgetEstimateMb: Math.round((history.memory().bytes / 1024 / 1024) * 10) / 10,
  budgetEvictedKeys: history.memory().evictedKeys,
};
console.log(
  `detection memory: ${result.heapGrowthMbPer100kAccounts} MB per 100,000 active accounts (10 events each), of which the byte budget estimates ${result.budgetEstimateMb} MB; scoring alone ${result.scoringEventsPerSecOneCore} events/s on one core`,
);

/**
 * The byte budget under load: the same million events into a history whose budget is a quarter of
 * what they need. The heap must stay near the budget, the least recently active keys going first.
 */
function budgetUnderLoad(budgetMb: number) {
  gc?.();
  const start = process.memoryUsage().heapUsed;
  const bounded = new MemoryHistory({ ...DEFAULT_LIMITS, budgetBytes: budgetMb * 1024 * 1024 });
  let n = 0;
  for (let round = 0; round < types.length; round++) {
    for (let i = 0; i < ACCOUNTS; i++) {
      bounded.record({
        id: `e${n++}`,
        type: types[round] as EventType,
        user: `user${i}`,
        occurredAt: t0 + round * 600_000 + (i % 1000),
        ip: `81.${i % 250}.${(i >> 8) % 250}.${round}`,
        device: `dev${i}`,
        session: `s${i}`,
      });
    }
  }
  gc?.();
  const heapMb = (process.memoryUsage().heapUsed - start) / 1024 / 1024;
  const usage = bounded.memory();
  return {
    budgetMb,
    heapGrowthMb: Math.round(heapMb * 10) / 10,
    estimateMb: Math.round((usage.bytes / 1024 / 1024) * 10) / 10,
    keysKept: usage.keys,
    keysEvicted: usage.evictedKeys,
  };
}
const budget = budgetUnderLoad(128);
console.log(
  `detection byte budget: ${budget.budgetMb} MB budget, ${ACCOUNTS * types.length} events: heap grew ${budget.heapGrowthMb} MB (estimate ${budget.estimateMb} MB), ${budget.keysKept} keys kept, ${budget.keysEvicted} evicted`,
);
const file = path.join(import.meta.dirname, 'results.json');
const existing = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
fs.writeFileSync(file, `${JSON.stringify({ ...existing, detectionMemory: { ...result, budget } }, null, 2)}\n`);
