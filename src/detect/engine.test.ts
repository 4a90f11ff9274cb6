import { describe, expect, it } from 'vitest';
import type { Enrichment } from '../domain/activity-event.js';
import type { EventType } from '../domain/event-schema.js';
import { AlertBook } from './alert-book.js';
import { DetectionEngine } from './engine.js';
import { ListBook, type ListEntry } from './lists.js';
import { DEFAULT_LIMITS, MemoryHistory } from './memory-history.js';
import type { Rule } from './rule.js';
import { RuleSet } from './rule-set.js';
import type { RuleMode } from './rule-stats.js';
import { accountTakeoverChainRule } from './rules/account-takeover-chain.js';
import { carriedRiskRule } from './rules/carried-risk.js';
import { credentialStuffingRule } from './rules/credential-stuffing.js';
import { largeTransactionRule } from './rules/large-transaction.js';
import { newLoginContextRule } from './rules/new-login-context.js';
import { familiar, T0 } from './rules/test-kit.js';
import { DEFAULT_SCORING } from './scoring.js';
import { SnoozeBook } from './snooze-book.js';

const MIN = 60_000;
const known = familiar(90 * 24 * 60, { days: 30 });

function engineWith(options: { modes?: Record<string, RuleMode>; lists?: ListBook; snoozes?: SnoozeBook } = {}) {
  const rules: Rule<any>[] = [newLoginContextRule, largeTransactionRule, accountTakeoverChainRule, carriedRiskRule];
  const counted: Array<[string, RuleMode, boolean]> = [];
  const history = new MemoryHistory({ ...DEFAULT_LIMITS, budgetBytes: 64 << 20 });
  const engine = new DetectionEngine({
    memory: { history, alerts: new AlertBook() },
    book: {
      rules: new RuleSet(
        rules.map((rule) => ({
          rule,
          kind: 'builtin' as const,
          config: rule.defaults,
          version: 0,
          updatedAt: null,
          updatedBy: null,
          mode: options.modes?.[rule.id] ?? 'live',
        })),
      ),
      ...(options.lists && { lists: options.lists }),
      ...(options.snoozes && { snoozes: options.snoozes }),
    },
    policy: DEFAULT_SCORING,
    clock: { now: () => T0 + 60 * MIN },
    onRuleError: (id, e) => {
      throw new Error(`${id}: ${String(e)}`);
    },
    ruleHits: { record: (id, _at, mode, opens) => counted.push([id, mode, opens]) },
  });
  let n = 0;
  const score = (type: EventType, minutes: number, fields: Record<string, unknown> = {}, enrichment: Partial<Enrichment> = {}) =>
    engine.score(
      { id: `e${++n}`, type, user: 'u1', occurredAt: T0 + minutes * MIN, device: 'laptop', ip: '81.2.69.160', ...fields },
      {
        novelty: { hasHistory: true, newDevice: false, newCountry: false, newNetwork: false },
        geo: { country: 'GB' },
        familiarity: { device: known, network: known, country: known, paymentMethod: null },
        ...enrichment,
      },
    );
  return { engine, score, counted, history };
}

/** A login from a device never seen, in Japan: medium under new-login-context's defaults. */
const strangerLogin = {
  novelty: { hasHistory: true, newDevice: true, newCountry: true, newNetwork: true },
  geo: { country: 'JP' },
  familiarity: { device: familiar(0), network: familiar(0), country: familiar(0), paymentMethod: null },
};
const stranger = (minutes: number) => ({
  ...strangerLogin,
  novelty: { hasHistory: true, newDevice: false, newCountry: false, newNetwork: false },
  familiarity: { device: familiar(minutes), network: familiar(minutes), country: familiar(minutes), paymentMethod: null },
});

describe('DetectionEngine: a story is one alert that grows', () => {
  it('the login, the change and the purchase land in one alert, severity only upwards, and the story is marked', () => {
    const { score, history } = engineWith();
    const login = score('login.succeeded', 0, { device: 'evil', session: 's' }, strangerLogin);
    const change = score('password.changed', 2, { device: 'evil', session: 's' }, stranger(2));
    const purchase = score('transaction', 8, { device: 'evil', session: 's', amount: 30, currency: 'EUR' }, stranger(8));
    expect(login.severity).toBe('medium');
    expect(change.reasons.map((r) => r.rule)).toEqual(['carried-risk']);
    expect(purchase).toMatchObject({ severity: 'critical', decision: 'block' });
    expect(change.alertId).toBe(login.alertId);
    expect(purchase.alertId).toBe(login.alertId);
    expect(purchase.alert).toMatchObject({ occurrences: 3, severity: 'critical' });
    expect(history.storyOf('u1', T0, T0 + 10 * MIN).map((m) => [m.severity, m.alertId])).toEqual([
      ['medium', login.alertId],
      ['medium', login.alertId],
      ['critical', login.alertId],
    ]);
  });

  it('warm() rebuilds the story from stored results, so carried risk survives a restart', () => {
    const { engine, score } = engineWith();
    const storedLogin = {
      id: 'old-login',
      type: 'login.succeeded' as const,
      user: 'u1',
      occurredAt: T0,
      device: 'evil',
      session: 's',
      enrichment: { ...strangerLogin },
      result: {
        id: 'old-login',
        decision: 'challenge' as const,
        risk: 58,
        severity: 'medium' as const,
        reasons: [
          {
            rule: 'new-login-context',
            severity: 'medium' as const,
            message: 'Login from a new device and a new country (JP)',
            evidence: {},
          },
        ],
        alertId: 'alrt_before_restart',
      },
    };
    engine.warm([storedLogin]);
    const change = score('password.changed', 2, { device: 'evil', session: 's' }, stranger(2));
    expect(change.reasons[0]).toMatchObject({ rule: 'carried-risk', evidence: expect.objectContaining({ earlierEventId: 'old-login' }) });
  });
});

describe('DetectionEngine: shadow mode, snoozes and lists', () => {
  const big = { amount: 9000, currency: 'EUR' };

  it('a shadow rule is recorded and counted, and adds nothing to risk, decision or alerts', () => {
    const { score, counted } = engineWith({ modes: { 'large-transaction': 'shadow' } });
    const first = score('transaction', 0, big);
    const second = score('transaction', 5, big);
    expect(first).toMatchObject({ decision: 'allow', risk: 0, severity: 'none', reasons: [] });
    expect(first.alertId).toBeUndefined();
    expect(first.suppressed).toEqual([expect.objectContaining({ rule: 'large-transaction', suppressedBy: 'shadow', severity: 'medium' })]);
    // The first would have raised an alert; the second, within the rule's window, would have joined it.
    expect(counted.filter(([id]) => id === 'large-transaction')).toEqual([
      ['large-transaction', 'shadow', true],
      ['large-transaction', 'shadow', false],
    ]);
    expect(second.suppressed?.[0]?.suppressedBy).toBe('shadow');
  });

  it('live findings are counted with whether they opened an alert', () => {
    const { score, counted } = engineWith();
    score('transaction', 0, big);
    score('transaction', 5, big);
    expect(counted.filter(([id]) => id === 'large-transaction')).toEqual([
      ['large-transaction', 'live', true],
      ['large-transaction', 'live', false],
    ]);
  });

  it("a snooze suppresses the rule for that user until it ends, not for anyone else's account", () => {
    const snoozes = new SnoozeBook();
    snoozes.put({
      id: 'snz_1',
      ruleId: 'new-login-context',
      user: 'u1',
      until: T0 + 60 * MIN + 1,
      reason: 'travelling to Japan',
      createdBy: 'user:u1',
      createdAt: T0,
      cancelledAt: null,
    } as never);
    const { score } = engineWith({ snoozes });
    const mine = score('login.succeeded', 0, {}, strangerLogin);
    expect(mine).toMatchObject({ severity: 'none', decision: 'allow' });
    expect(mine.suppressed).toEqual([expect.objectContaining({ rule: 'new-login-context', suppressedBy: 'snooze', ref: 'snz_1' })]);
    const theirs = score('login.succeeded', 0, { user: 'u2' }, strangerLogin);
    expect(theirs.severity).toBe('medium');
  });

  const entry = (over: Partial<ListEntry>): ListEntry => ({
    id: 'lst_1',
    list: 'block',
    kind: 'ip',
    value: '81.2.69.0/24',
    reason: 'fraud ring',
    rules: [],
    createdBy: 'admin',
    createdAt: T0,
    expiresAt: null,
    ...over,
  });

  it('a block entry blocks with a critical finding of its own', () => {
    const lists = new ListBook();
    lists.put(entry({}));
    const { score } = engineWith({ lists });
    const v = score('page.viewed', 0, { path: '/' });
    expect(v).toMatchObject({ decision: 'block', severity: 'critical' });
    expect(v.reasons[0]).toMatchObject({ rule: 'block-list', message: 'IP 81.2.69.0/24 is on the block list: fraud ring' });
  });

  it('an expired block entry does nothing', () => {
    const lists = new ListBook();
    lists.put(entry({ expiresAt: T0 + 60 * MIN }));
    const { score } = engineWith({ lists });
    expect(score('page.viewed', 0, { path: '/' }).decision).toBe('allow');
  });

  it('an allow entry stops the rules it names (recorded as suppressed), and only those', () => {
    const lists = new ListBook();
    lists.put(entry({ list: 'allow', kind: 'country', value: 'JP', rules: ['new-login-context'] }));
    const { score } = engineWith({ lists });
    const login = score('login.succeeded', 0, {}, strangerLogin);
    expect(login).toMatchObject({ severity: 'none', decision: 'allow' });
    expect(login.suppressed).toEqual([expect.objectContaining({ rule: 'new-login-context', suppressedBy: 'allow-list', ref: 'lst_1' })]);
    const purchase = score('transaction', 1, big, {
      ...strangerLogin,
      novelty: { hasHistory: true, newDevice: true, newCountry: true, newNetwork: true },
    });
    expect(purchase.reasons.map((r) => r.rule)).toContain('large-transaction');
  });

  it('custom rules see the kinds an event matched as enrichment.lists', () => {
    const lists = new ListBook();
    lists.put(entry({ list: 'allow', kind: 'user', value: 'u1', rules: ['carried-risk'] }));
    let seen: unknown;
    const probe: Rule<any> = {
      id: 'probe',
      title: 'probe',
      description: 'probe',
      alertType: 'security',
      configSchema: newLoginContextRule.configSchema,
      defaults: { enabled: true },
      windowMs: () => MIN,
      evaluate: (e) => {
        seen = e.enrichment.lists;
        return undefined;
      },
    };
    const engine = new DetectionEngine({
      memory: { history: new MemoryHistory(), alerts: new AlertBook() },
      book: {
        rules: new RuleSet([
          { rule: probe, kind: 'custom', config: { enabled: true }, version: 1, updatedAt: null, updatedBy: null, mode: 'live' },
        ]),
        lists,
      },
      policy: DEFAULT_SCORING,
      clock: { now: () => T0 },
      onRuleError: () => {},
    });
    engine.score(
      { id: 'x', type: 'page.viewed', user: 'u1', occurredAt: T0 },
      { novelty: { hasHistory: true, newDevice: null, newCountry: null, newNetwork: null } },
    );
    expect(seen).toEqual({ allow: ['user'], block: [] });
  });

  it('judges an IP across two engines as one, when each keeps what the other stored (the distributed mode)', () => {
    const worker = () => {
      const book = new AlertBook();
      const history = new MemoryHistory();
      const engine = new DetectionEngine({
        memory: { history, alerts: book },
        book: {
          rules: new RuleSet([
            {
              rule: credentialStuffingRule,
              kind: 'builtin',
              config: credentialStuffingRule.defaults,
              version: 0,
              updatedAt: null,
              updatedBy: null,
              mode: 'live',
            },
          ]),
        },
        policy: DEFAULT_SCORING,
        clock: { now: () => T0 + 60 * MIN },
        onRuleError: () => {},
      });
      return { engine, book, history };
    };
    const a = worker();
    const b = worker();
    const novelty = { hasHistory: true, newDevice: false, newCountry: false, newNetwork: false };
    const verdicts = [...Array(12).keys()].map((i) => {
      // Even accounts are worker a's, odd ones worker b's; each tells the other what it scored.
      const [own, other] = i % 2 === 0 ? [a, b] : [b, a];
      const event = { id: `s${i}`, type: 'login.failed' as const, user: `acct-${i}`, occurredAt: T0 + i * 20_000, ip: '81.2.69.160' };
      const verdict = own.engine.score(event, { novelty });
      other.engine.rememberSource({ ...event, enrichment: { novelty } });
      if (verdict.alert?.subject.kind === 'ip') other.book.statusChanged(verdict.alert);
      return verdict;
    });
    // The tenth account fires, on whichever worker; one alert about the IP, grown by each repeat.
    expect(verdicts.map((v) => v.reasons.map((r) => r.rule).join())).toEqual([
      ...Array(9).fill(''),
      'credential-stuffing',
      'credential-stuffing',
      'credential-stuffing',
    ]);
    expect(new Set(verdicts.slice(9).map((v) => v.alertId)).size).toBe(1);
    expect(verdicts.slice(9).map((v) => v.alert?.occurrences)).toEqual([1, 2, 3]);
    // Kept under the IP only: the other worker's accounts have no timeline here.
    expect(a.history.forUser('acct-1', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(a.history.forIp('81.2.69.160', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(12);
  });
});
