/**
 * Keys kept when a detection snapshot is restored into a budget smaller than it (the budget lowered
 * between two starts): 20,000 users' logins, each user with an address and a device (80,000 keys),
 * encoded, decoded and restored into budgets of a share of their estimate. The keys kept should be
 * about as many as fit, the most recently active; see ByteBudget.enforce. Deterministic; prints a
 * line per budget. `node --import tsx bench/restore-into-budget.ts`
 */
import { decodeSnapshot, encodeSnapshot, type SnapshotMeta } from '../src/detect/history-snapshot.js';
import { DEFAULT_LIMITS, MemoryHistory } from '../src/detect/memory-history.js';

const t0 = Date.parse('2026-11-24T00:00:00Z');
const USERS = 20_000;
const live = new MemoryHistory({ ...DEFAULT_LIMITS, budgetBytes: 4 * 1024 ** 3 });
for (let i = 0; i < USERS; i++) {
  for (let k = 0; k < 3; k++) {
    live.record({
      id: `e${i}-${k}`,
      type: 'login.succeeded',
      user: `user-${i}`,
      occurredAt: t0 + i * 1000 + k,
      ip: `81.1.${i >> 8}.${i & 255}`,
      device: `dev-${i}`,
      session: `s-${i}`,
    });
  }
}
const meta: SnapshotMeta = {
  takenAt: t0 + USERS * 1000,
  anchorEventId: `e${USERS - 1}-2`,
  retentionMs: DEFAULT_LIMITS.retentionMs,
  maxEventsPerKey: DEFAULT_LIMITS.maxEventsPerKey,
};
const bytes = encodeSnapshot(meta, live.exportState());
const full = live.memory();
const mb = (n: number) => (n / 1e6).toFixed(2);
console.log(`${full.keys} keys, estimated at ${mb(full.bytes)} MB, restored into a share of that:`);
for (const share of [0.25, 0.5, 0.6, 0.75, 0.9]) {
  const decoded = decodeSnapshot(bytes);
  if ('problem' in decoded) throw new Error(decoded.problem);
  const history = new MemoryHistory({ ...DEFAULT_LIMITS, budgetBytes: Math.round(full.bytes * share) });
  history.restore(decoded.state);
  const m = history.memory();
  console.log(`  ${share * 100}%: ${m.keys} keys kept, ${mb(m.bytes)} MB estimated (columns ${mb(m.columnBytes)} MB)`);
}
