import { describe, expect, it } from 'vitest';
import { suspiciousBrowsingRule as rule, SENSITIVE_PATHS, type SuspiciousBrowsingConfig, sensitiveMatch } from './suspicious-browsing.js';
import { type Case, ev, judge, problemsOf, T0, times } from './test-kit.js';

/** `session` null: a view outside any session. */
const view = (path: string, secondsBefore = 0, session: string | null = 's1') =>
  ev('page.viewed', { path, occurredAt: T0 - secondsBefore * 1000, ip: '1.2.3.4', ...(session !== null && { session }) });
/** `n` earlier ordinary page views in session s1, one a second, ending a second before T0. */
const browsing = (n: number, session: string | null = 's1') => times(n, (i) => view(`/shop/item/${i}`, n - i, session));

describe('suspicious-browsing: sensitive paths', () => {
  it.each([
    ['/.env', '/.env'],
    ['/.env.local', '/.env'],
    ['/backend/.env', '/.env'],
    ['/WP-Admin/setup.php', '/wp-admin'],
    ['/wp-login.php', '/wp-login'],
    ['/admin', '/admin'],
    ['/admin/users', '/admin'],
    ['/api/admin.php', '/admin'],
    ['/.git/config', '/.git'],
    ['/phpMyAdmin/', '/phpmyadmin'],
    ['/shop/config', '/config'],
    ['/server-status', '/server-status'],
    ['/static/../../etc/passwd', '../'],
    ['/download?file=..%2F..%2Fetc%2Fpasswd', '../'],
    ['/a/%2E%2E/b', '%2e%2e'],
    ['/a/%2E%2E%2Fb', '%2e%2e'],
    ['/%61dmin', '/admin'],
    ['/%E0%A4%A/.env', '/.env'],
    ['/administration', undefined],
    ['/admins', undefined],
    ['/configurator', undefined],
    ['/shop/item/42', undefined],
    ['/blog/my-.environment', undefined],
  ])('%s → %s', (path, fragment) => {
    expect(sensitiveMatch(path, SENSITIVE_PATHS)).toBe(fragment);
  });
});

const cases: Case<SuspiciousBrowsingConfig>[] = [
  {
    name: 'probing a sensitive path: medium',
    event: view('/.env'),
    hit: {
      severity: 'medium',
      message: 'Probing sensitive path /.env',
      evidence: expect.objectContaining({ path: '/.env', matched: '/.env', pageViews: 1, ip: '1.2.3.4' }),
      suggestedActions: ['block_ip'],
    },
  },
  { name: 'an ordinary page', past: browsing(10), event: view('/shop/cart'), hit: undefined },
  {
    name: '61 views in a minute in one session: medium',
    past: browsing(60),
    event: view('/shop/cart'),
    hit: {
      severity: 'medium',
      message: '61 page views in 1 min in one session',
      evidence: expect.objectContaining({ pageViews: 61, maxViews: 60, session: 's1' }),
    },
  },
  { name: 'exactly 60 do not fire', past: browsing(59), event: view('/shop/cart'), hit: undefined },
  {
    name: 'a view exactly at the window edge counts',
    past: [view('/shop', 60), ...browsing(59)],
    event: view('/shop/cart'),
    hit: { message: '61 page views in 1 min in one session' },
  },
  {
    name: 'a view 1 ms outside the window does not',
    past: [view('/shop', 60.001), ...browsing(59)],
    event: view('/shop/cart'),
    hit: undefined,
  },
  {
    name: 'views in other sessions do not count',
    past: [...browsing(59), ...browsing(30, 's2')],
    event: view('/shop/cart'),
    hit: undefined,
  },
  {
    name: 'without a session, the user’s views are counted',
    past: [...browsing(30, null), ...browsing(30, 's2')],
    event: view('/shop/cart', 0, null),
    hit: { message: '61 page views in 1 min by this user' },
  },
  {
    name: 'probing and too fast at once',
    past: browsing(60),
    event: view('/.git/HEAD'),
    hit: { message: 'Probing sensitive path /.git/HEAD; 61 page views in 1 min in one session' },
  },
  {
    name: 'out of order: later views do not count',
    past: [...browsing(30), ...times(40, (i) => view('/shop', -(i + 1)))],
    event: view('/shop/cart'),
    hit: undefined,
  },
  {
    name: 'paths from the config',
    event: view('/internal/metrics'),
    config: { sensitivePaths: ['/internal'] },
    hit: { message: 'Probing sensitive path /internal/metrics' },
  },
  { name: 'no paths configured', event: view('/.env'), config: { sensitivePaths: [] }, hit: undefined },
  {
    name: 'rate from the config',
    past: browsing(5),
    event: view('/shop'),
    config: { maxViews: 5 },
    hit: { message: '6 page views in 1 min in one session' },
  },
  { name: 'other event types are not judged', event: ev('transaction', { path: '/.env' }), hit: undefined },
];

describe('suspicious-browsing', () => {
  it.each(cases)('$name', (c) => {
    const hit = judge(rule, c);
    if (c.hit === undefined) expect(hit).toBeUndefined();
    else expect(hit && { ...hit, problems: problemsOf(hit) }).toMatchObject({ ...c.hit, problems: [] });
  });
});
