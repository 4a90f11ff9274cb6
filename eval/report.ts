import type { Severity } from '../src/domain/severity.js';
import { ATTACK_KINDS, type AttackKind, EXPECTED_SEVERITY } from './attacks.js';
import type { Corpus } from './corpus.js';
import type { RunOutput } from './runner.js';

const RANK: Readonly<Record<Severity, number>> = { none: 0, low: 1, medium: 2, high: 3, critical: 4 };
const atLeast = (s: Severity, floor: Severity) => RANK[s] >= RANK[floor];

/** The targets, as fractions. */
export const TARGETS = {
  /** Every attack kind: share of stories alerted at its severity or above. */
  attackAlerted: 0.95,
  /** Ordinary users with any alert at high or above. */
  benignHighUsers: 0,
  /** Ordinary users with any alert at medium or above. */
  benignMediumUsers: 0.02,
  /** Ordinary purchases answered challenge or block. */
  benignPurchasesStopped: 0.005,
} as const;

export interface KindFigures {
  readonly kind: AttackKind;
  readonly severity: Severity;
  readonly stories: number;
  /** Stories with an alert (raised or updated by one of their events) ending at `severity` or above. */
  readonly alerted: number;
  /** Stories with any alert at all. */
  readonly anyAlert: number;
  /** Stories whose last event was answered challenge or block. */
  readonly stopped: number;
  /** Rules in the answers to the stories' events: how many stories each took part in. */
  readonly rules: Readonly<Record<string, number>>;
  /** Stories not alerted at their severity, with the highest severity they did reach. */
  readonly missed: readonly { readonly story: string; readonly reached: Severity }[];
  readonly pass: boolean;
}

export interface RuleFigures {
  readonly rule: string;
  /** Ordinary events it was a reason on, and their users. */
  readonly events: number;
  readonly users: number;
  /** Ordinary users it took part in an event at medium or above for. */
  readonly usersAtMedium: number;
  /** Ordinary purchases it took part in stopping (challenge or block). */
  readonly purchasesStopped: number;
}

export interface CorpusReport {
  readonly name: string;
  readonly seed: number;
  readonly users: number;
  readonly days: number;
  readonly events: number;
  readonly seconds: number;
  readonly kinds: readonly KindFigures[];
  readonly benign: {
    readonly users: number;
    readonly events: number;
    /** Ordinary events of attacked accounts from the attack on: not counted. */
    readonly eventsNotCounted: number;
    readonly usersAtMedium: number;
    readonly usersAtHigh: number;
    readonly purchases: number;
    readonly purchasesStopped: number;
    readonly topRules: readonly RuleFigures[];
    readonly passHigh: boolean;
    readonly passMedium: boolean;
    readonly passPurchases: boolean;
  };
  readonly pass: boolean;
}

export function evaluate(corpus: Corpus, run: RunOutput): CorpusReport {
  const storyEvents = new Map<string, number[]>();
  corpus.events.forEach((e, i) => {
    if (e.story === undefined) return;
    let list = storyEvents.get(e.story);
    if (!list) {
      list = [];
      storyEvents.set(e.story, list);
    }
    list.push(i);
  });

  const kinds: KindFigures[] = ATTACK_KINDS.map((kind) => {
    const expected: Severity = EXPECTED_SEVERITY[kind];
    const stories = corpus.stories.filter((s) => s.kind === kind);
    let alerted = 0;
    let anyAlert = 0;
    let stopped = 0;
    const rules: Record<string, number> = {};
    const missed: { story: string; reached: Severity }[] = [];
    for (const s of stories) {
      const indexes = storyEvents.get(s.id) ?? [];
      let reached: Severity = 'none';
      const storyRules = new Set<string>();
      for (const i of indexes) {
        const r = run.results[i];
        if (!r) continue;
        for (const reason of r.reasons) storyRules.add(reason.rule);
        if (r.alertId === undefined) continue;
        const severity = run.alerts.get(r.alertId)?.severity ?? r.severity;
        if (RANK[severity] > RANK[reached]) reached = severity;
      }
      for (const rule of storyRules) rules[rule] = (rules[rule] ?? 0) + 1;
      if (reached !== 'none') anyAlert++;
      if (atLeast(reached, expected)) alerted++;
      else missed.push({ story: s.id, reached });
      const last = run.results[indexes[indexes.length - 1] ?? -1];
      if (last && last.decision !== 'allow') stopped++;
    }
    return {
      kind,
      severity: expected,
      stories: stories.length,
      alerted,
      anyAlert,
      stopped,
      rules,
      missed,
      pass: stories.length > 0 && alerted / stories.length >= TARGETS.attackAlerted,
    };
  });

  // Ordinary users: their own events only, and only before any attack on their account.
  const worst = new Map<string, Severity>(corpus.users.map((u) => [u, 'none']));
  const ruleStats = new Map<string, { events: number; users: Set<string>; usersAtMedium: Set<string>; purchasesStopped: number }>();
  let events = 0;
  let notCounted = 0;
  let purchases = 0;
  let purchasesStopped = 0;
  corpus.events.forEach((e, i) => {
    if (e.label !== 'benign') return;
    const user = e.event.user;
    if (e.at >= (corpus.attackedFrom.get(user) ?? Number.POSITIVE_INFINITY)) {
      notCounted++;
      return;
    }
    const r = run.results[i];
    if (!r) return;
    events++;
    const before = worst.get(user) ?? 'none';
    if (RANK[r.severity] > RANK[before]) worst.set(user, r.severity);
    const isPurchase = e.event.type === 'transaction';
    const stopped = r.decision !== 'allow';
    if (isPurchase) {
      purchases++;
      if (stopped) purchasesStopped++;
    }
    for (const reason of r.reasons) {
      let s = ruleStats.get(reason.rule);
      if (!s) {
        s = { events: 0, users: new Set(), usersAtMedium: new Set(), purchasesStopped: 0 };
        ruleStats.set(reason.rule, s);
      }
      s.events++;
      s.users.add(user);
      if (atLeast(r.severity, 'medium')) s.usersAtMedium.add(user);
      if (isPurchase && stopped) s.purchasesStopped++;
    }
  });
  const users = corpus.users.length;
  const usersAtMedium = [...worst.values()].filter((s) => atLeast(s, 'medium')).length;
  const usersAtHigh = [...worst.values()].filter((s) => atLeast(s, 'high')).length;
  const topRules = [...ruleStats.entries()]
    .map(([rule, s]) => ({
      rule,
      events: s.events,
      users: s.users.size,
      usersAtMedium: s.usersAtMedium.size,
      purchasesStopped: s.purchasesStopped,
    }))
    .sort(
      (a, b) =>
        b.usersAtMedium - a.usersAtMedium || b.purchasesStopped - a.purchasesStopped || b.users - a.users || a.rule.localeCompare(b.rule),
    );
  const passHigh = usersAtHigh <= TARGETS.benignHighUsers * users;
  const passMedium = usersAtMedium <= TARGETS.benignMediumUsers * users;
  const passPurchases = purchasesStopped <= TARGETS.benignPurchasesStopped * purchases;
  return {
    name: corpus.params.name,
    seed: corpus.params.seed,
    users,
    days: corpus.params.days,
    events: corpus.events.length,
    seconds: Math.round(run.seconds * 10) / 10,
    kinds,
    benign: {
      users,
      events,
      eventsNotCounted: notCounted,
      usersAtMedium,
      usersAtHigh,
      purchases,
      purchasesStopped,
      topRules,
      passHigh,
      passMedium,
      passPurchases,
    },
    pass: kinds.every((k) => k.pass) && passHigh && passMedium && passPurchases,
  };
}

const pct = (n: number, d: number) => (d === 0 ? '   n/a' : `${((100 * n) / d).toFixed(1).padStart(5)}%`);
const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');

/** The quality table, as printed by `npm run eval`. */
export function formatReport(r: CorpusReport): string {
  const lines: string[] = [];
  lines.push(
    `Corpus "${r.name}" (seed ${r.seed}): ${r.users.toLocaleString('en-US')} users, ${r.days} days, ${r.events.toLocaleString('en-US')} events, run in ${r.seconds} s`,
  );
  lines.push('');
  lines.push(
    `${'attack kind'.padEnd(27)} ${'severity'.padEnd(8)} ${'stories'.padStart(7)}  ${'alerted≥sev'.padStart(11)}  ${'any alert'.padStart(9)}  ${'stopped'.padStart(7)}  target  top rules`,
  );
  for (const k of r.kinds) {
    const top = Object.entries(k.rules)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 3)
      .map(([rule, n]) => `${rule} ${n}`)
      .join(', ');
    lines.push(
      `${k.kind.padEnd(27)} ${k.severity.padEnd(8)} ${String(k.stories).padStart(7)}  ${pct(k.alerted, k.stories).padStart(11)}  ${pct(k.anyAlert, k.stories).padStart(9)}  ${pct(k.stopped, k.stories).padStart(7)}  ${verdict(k.pass).padEnd(6)}  ${top || '-'}`,
    );
  }
  const b = r.benign;
  lines.push('');
  lines.push(
    `ordinary users ${b.users.toLocaleString('en-US')} (${b.events.toLocaleString('en-US')} events counted; ${b.eventsNotCounted.toLocaleString('en-US')} of attacked accounts from the attack on are not)`,
  );
  lines.push(
    `  with an alert at high or above  ${String(b.usersAtHigh).padStart(5)} ${pct(b.usersAtHigh, b.users)}   target 0        ${verdict(b.passHigh)}`,
  );
  lines.push(
    `  with an alert at medium or above${String(b.usersAtMedium).padStart(6)} ${pct(b.usersAtMedium, b.users)}   target ≤ 2%     ${verdict(b.passMedium)}`,
  );
  lines.push(
    `  purchases challenged or blocked ${String(b.purchasesStopped).padStart(6)} ${pct(b.purchasesStopped, b.purchases)}   target ≤ 0.5%   ${verdict(b.passPurchases)}   (of ${b.purchases.toLocaleString('en-US')} purchases)`,
  );
  lines.push('');
  lines.push('  rules on ordinary users        events   users  users≥medium  purchases stopped');
  for (const t of b.topRules.slice(0, 8)) {
    lines.push(
      `  ${t.rule.padEnd(28)} ${String(t.events).padStart(8)} ${String(t.users).padStart(7)} ${String(t.usersAtMedium).padStart(13)} ${String(t.purchasesStopped).padStart(18)}`,
    );
  }
  lines.push('');
  lines.push(`corpus "${r.name}": ${verdict(r.pass)}`);
  return lines.join('\n');
}
