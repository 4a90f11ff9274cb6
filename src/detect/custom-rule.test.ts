import { describe, expect, it } from 'vitest';
import type { DetectionEvent, Enrichment } from '../domain/activity-event.js';
import { compileCustomRule, validateDefinition } from './custom-rule.js';
import { MemoryHistory } from './memory-history.js';

const enrichment: Enrichment = {
  geo: { country: 'NG', city: 'Lagos' },
  novelty: { hasHistory: true, newDevice: true, newCountry: false, newNetwork: false },
};
let n = 0;
const ev = (over: Partial<DetectionEvent>): DetectionEvent => ({
  id: `e${n++}`,
  type: 'transaction',
  user: 'u1',
  occurredAt: Date.parse('2026-11-24T10:00:00Z'),
  amount: 100,
  currency: 'EUR',
  enrichment,
  ...over,
});

const base = {
  name: 'Big from NG',
  type: 'transaction',
  eventTypes: ['transaction'],
  severity: 'high',
  channels: ['dashboard'],
  enabled: true,
};

function compile(def: unknown) {
  const checked = validateDefinition(def);
  if (!checked.ok) throw new Error(checked.error.message);
  return compileCustomRule('rule_t', checked.value);
}

describe('custom rule definitions', () => {
  it.each([
    [{ ...base, eventTypes: [] }, '/eventTypes'],
    [{ ...base, eventTypes: ['buy'] }, '/eventTypes/0'],
    [{ ...base, conditions: [{ field: 'amount', op: 'gt', value: 'big' }] }, '/conditions/0/value'],
    [{ ...base, conditions: [{ field: 'amount', op: 'between', value: 1 }] }, '/conditions/0/op'],
    [{ ...base, conditions: [{ field: 'password', op: 'eq', value: 1 }] }, '/conditions/0/field'],
    [{ ...base, conditions: [{ field: 'path', op: 'matches', value: '(a)\\1' }] }, '/conditions/0/value'],
    [{ ...base, conditions: [{ field: 'path', op: 'matches', value: '([' }] }, '/conditions/0/value'],
    [{ ...base, conditions: [{ field: 'ip', op: 'in', value: [] }] }, '/conditions/0/value'],
    [{ ...base, aggregate: { fn: 'sum', groupBy: 'user', windowSeconds: 60, op: 'gt', value: 1 } }, '/aggregate/field'],
    [{ ...base, severity: 'urgent' }, '/severity'],
  ])('refuses %o, naming %s', (def, path) => {
    const r = validateDefinition(def);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('invalid_rule');
      expect(r.error.path).toBe(path);
    }
  });
});

describe('custom rule evaluation', () => {
  const history = new MemoryHistory();
  it.each([
    [{ field: 'amount', op: 'gt', value: 99 }, true],
    [{ field: 'amount', op: 'gt', value: 100 }, false],
    [{ field: 'amount', op: 'gte', value: 100 }, true],
    [{ field: 'enrichment.geo.country', op: 'in', value: ['NG', 'GH'] }, true],
    [{ field: 'enrichment.novelty.newDevice', op: 'eq', value: true }, true],
    [{ field: 'currency', op: 'neq', value: 'EUR' }, false],
    [{ field: 'attributes.channel', op: 'eq', value: 'app' }, true],
    [{ field: 'attributes.tags', op: 'contains', value: 'gift' }, true],
    [{ field: 'merchant', op: 'matches', value: '^crypto' }, true],
    [{ field: 'merchant', op: 'contains', value: 'EXCH' }, true],
    [{ field: 'session', op: 'eq', value: 'x' }, false],
  ])('%o → fires %s', (condition, fires) => {
    const rule = compile({ ...base, conditions: [condition] });
    const hit = rule.evaluate(
      ev({ merchant: 'crypto-exchange', attributes: { channel: 'app', tags: ['gift', 'x'] } }),
      history,
      rule.defaults,
    );
    expect(hit !== undefined).toBe(fires);
  });

  it('ignores other event types', () => {
    const rule = compile({ ...base, conditions: [] });
    expect(rule.evaluate(ev({ type: 'logout' }), history, rule.defaults)).toBeUndefined();
  });

  it('counts matching events per group over its window, on event time', () => {
    const rule = compile({ ...base, aggregate: { fn: 'count', groupBy: 'ip', windowSeconds: 600, op: 'gte', value: 3 } });
    const t0 = Date.parse('2026-11-24T10:00:00Z');
    const seq = [0, 60_000, 120_000].map((dt) => ev({ ip: '1.2.3.4', occurredAt: t0 + dt }));
    const hits = seq.map((e) => {
      const hit = rule.evaluate(e, history, rule.defaults);
      rule.observe?.(e, rule.defaults);
      return hit;
    });
    expect(hits.map((h) => h !== undefined)).toEqual([false, false, true]);
    expect(hits[2]?.subject).toEqual({ kind: 'ip', value: '1.2.3.4' });
    expect(hits[2]?.message).toContain('= 3 in 10 min');
    // 11.5 minutes after the first, only the third is still in the window: with this event, 2.
    expect(rule.evaluate(ev({ ip: '1.2.3.4', occurredAt: t0 + 11.5 * 60_000 }), history, rule.defaults)).toBeUndefined();
    expect(rule.evaluate(ev({ ip: '1.2.3.4', occurredAt: t0 + 10.5 * 60_000 }), history, rule.defaults)).toBeDefined();
    // Another IP has its own window.
    expect(rule.evaluate(ev({ ip: '9.9.9.9', occurredAt: t0 + 130_000 }), history, rule.defaults)).toBeUndefined();
  });

  it('sums and counts distinct values', () => {
    const sum = compile({ ...base, aggregate: { fn: 'sum', field: 'amount', groupBy: 'user', windowSeconds: 3600, op: 'gt', value: 250 } });
    const distinct = compile({
      ...base,
      aggregate: { fn: 'distinct', field: 'ip', groupBy: 'user', windowSeconds: 3600, op: 'gte', value: 3 },
    });
    const t0 = Date.parse('2026-11-24T10:00:00Z');
    const events = ['1.1.1.1', '2.2.2.2', '2.2.2.2', '3.3.3.3'].map((ip, i) => ev({ ip, occurredAt: t0 + i * 1000 }));
    const results = events.map((e) => {
      const r = [sum.evaluate(e, history, sum.defaults) !== undefined, distinct.evaluate(e, history, distinct.defaults) !== undefined];
      sum.observe?.(e, sum.defaults);
      distinct.observe?.(e, distinct.defaults);
      return r;
    });
    expect(results).toEqual([
      [false, false],
      [false, false],
      [true, false],
      [true, true],
    ]);
  });
});

describe('custom rule patterns (RE2 syntax, linear-time matching)', () => {
  const pageView = (path: string) => ev({ type: 'page.viewed', path });
  const onPath = (value: string) =>
    compile({ ...base, eventTypes: ['page.viewed'], conditions: [{ field: 'path', op: 'matches', value }] });
  const history = new MemoryHistory();

  // Both passed the old safety check and backtracked exponentially: `/` + 26 `a` + `!` took 1.8 s.
  it.each([
    ['(a|a)+$', `/${'a'.repeat(10_000)}!`, false],
    ['(a|a)+$', `/${'a'.repeat(10_000)}`, true],
    ['(\\d|\\d\\d)+$', `/${'1'.repeat(10_000)}!`, false],
    ['(\\d|\\d\\d)+$', `/${'1'.repeat(10_000)}`, true],
    ['(a+)+$', `/${'a'.repeat(10_000)}!`, false],
  ])('%s on a 10,000-character path answers %s without backtracking', (pattern, path, fires) => {
    const rule = onPath(pattern);
    expect(rule.evaluate(pageView(path), history, rule.defaults) !== undefined).toBe(fires);
  });

  it.each([
    // pattern, path, fires
    ['^/admin', '/admin/users', true],
    ['^/admin', '/x/admin', false],
    ['ADMIN', '/admin', false], // case-sensitive, as before
    ['(?i)ADMIN', '/admin', true],
    ['\\x{e9}t\\x{e9}$', '/été', true],
    ['^\\pL+$', 'été', true],
    ['[[:digit:]]{3}', '/a123', true],
    ['(?P<id>[0-9]+)$', '/u/42', true],
    ['^/(?:a|b){2,3}$', '/aba', true],
    ['\\bfoo\\b', '/foo/bar', true],
    ['^.$', '😀', true],
    ['a.b', 'a\nb', false], // `.` stops at a newline, as before
    ['(?s)a.b', 'a\nb', true],
  ])('accepts %j: %j → fires %s', (pattern, path, fires) => {
    const rule = onPath(pattern);
    expect(rule.evaluate(pageView(path), history, rule.defaults) !== undefined).toBe(fires);
  });

  it.each([
    ['(a)\\1', /backreference/],
    ['(?<n>a)\\k<n>', /backreference/],
    ['foo(?=bar)', /lookahead or lookbehind/],
    ['foo(?!bar)', /lookahead or lookbehind/],
    ['(?<=foo)bar', /lookahead or lookbehind/],
    ['(?<!foo)bar', /lookahead or lookbehind/],
    ['a++', /RE2 syntax/],
    ['a{1001}', /RE2 syntax/],
    ['([', /RE2 syntax/],
    ['\\u00e9', /RE2 syntax/], // RE2 writes it \x{e9}
  ])('refuses %j with invalid_rule naming the condition and why', (pattern, why) => {
    const r = validateDefinition({
      ...base,
      conditions: [
        { field: 'amount', op: 'gt', value: 1 },
        { field: 'path', op: 'matches', value: pattern },
      ],
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatchObject({ code: 'invalid_rule', path: '/conditions/1/value' });
      expect(r.error.message).toMatch(why);
      expect(r.error.message).toContain('conditions[1] (path matches)');
    }
  });
});
