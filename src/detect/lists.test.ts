import { describe, expect, it } from 'vitest';
import type { DetectionEvent } from '../domain/activity-event.js';
import { LIST_KINDS, ListBook, type ListEntry, type ListKind, type ListName, NO_LIST_MATCHES, normaliseListValue } from './lists.js';

const NOW = Date.parse('2026-11-24T12:00:00Z');
let ids = 0;

function entry(kind: ListKind, value: string, more: Partial<ListEntry> & { list?: ListName } = {}): ListEntry {
  const normalised = normaliseListValue(kind, value);
  if ('message' in normalised) throw new Error(normalised.message);
  return {
    id: `lst_${++ids}`,
    list: 'block',
    kind,
    value: normalised.value,
    reason: 'test',
    rules: [],
    createdBy: 'test',
    createdAt: NOW - 1000,
    expiresAt: null,
    ...more,
  };
}

function event(fields: Partial<DetectionEvent> & { country?: string } = {}): DetectionEvent {
  const { country, ...rest } = fields;
  return {
    id: 'evt_1',
    type: 'login.succeeded',
    user: 'alice',
    occurredAt: NOW,
    enrichment: {
      novelty: { hasHistory: true, newDevice: null, newCountry: null, newNetwork: null },
      ...(country !== undefined && { geo: { country } }),
    },
    ...rest,
  };
}

function matched(book: ListBook, e: DetectionEvent, now = NOW): string[] {
  const m = book.matches(e, now);
  return [...m.block.map((x) => `block:${x.value}`), ...m.allow.map((x) => `allow:${x.value}`)];
}

describe('ListBook.matches', () => {
  const cases: Array<{ name: string; entry: [ListKind, string]; event: Partial<DetectionEvent> & { country?: string }; fires: boolean }> = [
    // ip: addresses and ranges
    { name: 'ip: the same address', entry: ['ip', '203.0.113.7'], event: { ip: '203.0.113.7' }, fires: true },
    { name: 'ip: another address', entry: ['ip', '203.0.113.7'], event: { ip: '203.0.113.8' }, fires: false },
    { name: 'ip: /32 is the address', entry: ['ip', '203.0.113.7/32'], event: { ip: '203.0.113.7' }, fires: true },
    { name: 'ip: /32 not its neighbour', entry: ['ip', '203.0.113.7/32'], event: { ip: '203.0.113.6' }, fires: false },
    { name: 'ip: /24 first address', entry: ['ip', '203.0.113.0/24'], event: { ip: '203.0.113.0' }, fires: true },
    { name: 'ip: /24 last address', entry: ['ip', '203.0.113.0/24'], event: { ip: '203.0.113.255' }, fires: true },
    { name: 'ip: /24 just after', entry: ['ip', '203.0.113.0/24'], event: { ip: '203.0.114.0' }, fires: false },
    { name: 'ip: /24 just before', entry: ['ip', '203.0.113.0/24'], event: { ip: '203.0.112.255' }, fires: false },
    { name: 'ip: /24 with host bits written', entry: ['ip', '203.0.113.99/24'], event: { ip: '203.0.113.1' }, fires: true },
    { name: 'ip: /0 matches every IPv4', entry: ['ip', '0.0.0.0/0'], event: { ip: '198.51.100.1' }, fires: true },
    { name: 'ip: IPv4 /0 not IPv6', entry: ['ip', '0.0.0.0/0'], event: { ip: '2001:db8::1' }, fires: false },
    { name: 'ip: /1 upper half', entry: ['ip', '128.0.0.0/1'], event: { ip: '255.255.255.255' }, fires: true },
    { name: 'ip: /1 not lower half', entry: ['ip', '128.0.0.0/1'], event: { ip: '127.255.255.255' }, fires: false },
    { name: 'ip: IPv4-mapped IPv6 event in IPv4 range', entry: ['ip', '203.0.113.0/24'], event: { ip: '::ffff:203.0.113.9' }, fires: true },
    { name: 'ip: IPv4-mapped IPv6 entry is IPv4', entry: ['ip', '::ffff:203.0.113.9'], event: { ip: '203.0.113.9' }, fires: true },
    { name: 'ip: IPv6 address', entry: ['ip', '2001:DB8::1'], event: { ip: '2001:db8:0:0:0:0:0:1' }, fires: true },
    {
      name: 'ip: IPv6 /48 inside',
      entry: ['ip', '2001:db8:abcd::/48'],
      event: { ip: '2001:db8:abcd:ffff:ffff:ffff:ffff:ffff' },
      fires: true,
    },
    { name: 'ip: IPv6 /48 first', entry: ['ip', '2001:db8:abcd::/48'], event: { ip: '2001:db8:abcd::' }, fires: true },
    { name: 'ip: IPv6 /48 next network', entry: ['ip', '2001:db8:abcd::/48'], event: { ip: '2001:db8:abce::1' }, fires: false },
    { name: 'ip: IPv6 /128', entry: ['ip', '2001:db8::1/128'], event: { ip: '2001:db8::2' }, fires: false },
    { name: 'ip: IPv6 /0 matches every IPv6', entry: ['ip', '::/0'], event: { ip: 'fe80::1' }, fires: true },
    { name: 'ip: IPv6 /0 not IPv4', entry: ['ip', '::/0'], event: { ip: '10.0.0.1' }, fires: false },
    { name: 'ip: none on the event', entry: ['ip', '0.0.0.0/0'], event: {}, fires: false },
    // exact kinds
    { name: 'device: same', entry: ['device', 'dev-1'], event: { device: 'dev-1' }, fires: true },
    { name: 'device: case matters', entry: ['device', 'dev-1'], event: { device: 'DEV-1' }, fires: false },
    { name: 'user: same', entry: ['user', 'alice'], event: { user: 'alice' }, fires: true },
    { name: 'user: another', entry: ['user', 'alice'], event: { user: 'alicia' }, fires: false },
    { name: 'payment_method: same', entry: ['payment_method', 'card_visa_4242'], event: { paymentMethod: 'card_visa_4242' }, fires: true },
    {
      name: 'payment_method: another',
      entry: ['payment_method', 'card_visa_4242'],
      event: { paymentMethod: 'card_visa_4243' },
      fires: false,
    },
    { name: 'email: case-insensitive', entry: ['email', 'Mallory@Example.COM'], event: { email: 'mallory@EXAMPLE.com' }, fires: true },
    { name: 'email: another', entry: ['email', 'mallory@example.com'], event: { email: 'mallory@example.org' }, fires: false },
    { name: 'email_domain: the domain', entry: ['email_domain', 'example.com'], event: { email: 'a@example.com' }, fires: true },
    { name: 'email_domain: a subdomain', entry: ['email_domain', 'example.com'], event: { email: 'a@mail.EXAMPLE.com' }, fires: true },
    { name: 'email_domain: deep subdomain', entry: ['email_domain', 'example.com'], event: { email: 'a@x.y.example.com' }, fires: true },
    {
      name: 'email_domain: not a suffix string',
      entry: ['email_domain', 'example.com'],
      event: { email: 'a@badexample.com' },
      fires: false,
    },
    { name: 'email_domain: not a child', entry: ['email_domain', 'mail.example.com'], event: { email: 'a@example.com' }, fires: false },
    {
      name: 'email_domain: local part ignored',
      entry: ['email_domain', 'example.com'],
      event: { email: 'example.com@other.org' },
      fires: false,
    },
    { name: 'country: same', entry: ['country', 'ru'], event: { country: 'RU' }, fires: true },
    { name: 'country: another', entry: ['country', 'RU'], event: { country: 'DE' }, fires: false },
    { name: 'country: none known', entry: ['country', 'RU'], event: {}, fires: false },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.fires ? 'fires' : 'does not fire'}`, () => {
      const book = new ListBook();
      book.put(entry(c.entry[0], c.entry[1]));
      expect(matched(book, event(c.event)).length > 0).toBe(c.fires);
    });
  }

  it('answers NO_LIST_MATCHES itself, allocating nothing, when the book is empty or nothing matches', () => {
    const book = new ListBook();
    expect(book.matches(event({ ip: '1.2.3.4' }), NOW)).toBe(NO_LIST_MATCHES);
    book.put(entry('ip', '10.0.0.0/8'));
    book.put(entry('email_domain', 'example.com'));
    expect(book.matches(event({ ip: '1.2.3.4', email: 'a@example.org' }), NOW)).toBe(NO_LIST_MATCHES);
  });

  it('separates allow and block, and reports every entry matched', () => {
    const book = new ListBook();
    book.put(entry('ip', '10.0.0.0/8'));
    book.put(entry('ip', '10.1.0.0/16', { list: 'allow', rules: ['impossible-travel'] }));
    book.put(entry('ip', '10.1.2.3'));
    book.put(entry('country', 'DE', { list: 'allow' }));
    book.put(entry('user', 'bob'));
    const m = book.matches(event({ ip: '10.1.2.3', country: 'DE' }), NOW);
    expect(m.block.map((e) => e.value).sort()).toEqual(['10.0.0.0/8', '10.1.2.3']);
    expect(m.allow.map((e) => e.value).sort()).toEqual(['10.1.0.0/16', 'DE']);
    expect(m.allow.find((e) => e.kind === 'ip')?.rules).toEqual(['impossible-travel']);
  });

  it('leaves out entries whose expiry has come: in force until the millisecond before', () => {
    const book = new ListBook();
    book.put(entry('user', 'alice', { expiresAt: NOW }));
    expect(matched(book, event(), NOW - 1)).toEqual(['block:alice']);
    expect(matched(book, event(), NOW)).toEqual([]);
    expect(matched(book, event(), NOW + 1)).toEqual([]);
    expect(book.matches(event(), NOW)).toBe(NO_LIST_MATCHES);
  });

  it('forgets removed entries, ranges and exact values alike, and replaces an entry put again under its id', () => {
    const book = new ListBook();
    const range = entry('ip', '10.0.0.0/8');
    const other = entry('ip', '10.0.0.0/8');
    const email = entry('email', 'a@example.com');
    book.load([range, other, email]);
    expect(book.size).toBe(3);
    expect(book.remove(range.id)).toBe(range);
    expect(matched(book, event({ ip: '10.2.3.4' }))).toEqual(['block:10.0.0.0/8']);
    book.remove(other.id);
    expect(matched(book, event({ ip: '10.2.3.4' }))).toEqual([]);
    book.remove(email.id);
    expect(book.remove(email.id)).toBeUndefined();
    expect(book.size).toBe(0);
    expect(book.matches(event({ ip: '10.2.3.4', email: 'a@example.com' }), NOW)).toBe(NO_LIST_MATCHES);

    const moved = entry('ip', '10.0.0.0/8');
    book.put(moved);
    book.put({ ...moved, value: '192.168.0.0/16' });
    expect(book.size).toBe(1);
    expect(matched(book, event({ ip: '10.2.3.4' }))).toEqual([]);
    expect(matched(book, event({ ip: '192.168.9.9' }))).toEqual(['block:192.168.0.0/16']);
  });

  it('skips, on load, an ip entry whose stored value does not parse', () => {
    const book = new ListBook();
    const bad = { ...entry('ip', '10.0.0.1'), value: 'not-an-ip' };
    expect(book.load([bad, entry('user', 'x')])).toEqual([bad]);
    expect(book.size).toBe(1);
  });
});

describe('normaliseListValue', () => {
  const ok: Array<[ListKind, string, string]> = [
    ['ip', ' 203.0.113.7 ', '203.0.113.7'],
    ['ip', '203.0.113.7/32', '203.0.113.7'],
    ['ip', '203.0.113.77/24', '203.0.113.0/24'],
    ['ip', '0.0.0.0/0', '0.0.0.0/0'],
    ['ip', '8.8.8.8/0', '0.0.0.0/0'],
    ['ip', '2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['ip', '2001:db8:abcd:1234::/48', '2001:db8:abcd::/48'],
    ['ip', '2001:db8::1/128', '2001:db8::1'],
    ['ip', '::/0', '::/0'],
    ['ip', '::ffff:10.1.2.3', '10.1.2.3'],
    ['ip', '::ffff:10.1.2.3/120', '10.1.2.0/24'],
    ['email', 'Mallory@Example.COM', 'mallory@example.com'],
    ['email_domain', 'Mail.Example.COM.', 'mail.example.com'],
    ['email_domain', '@example.com', 'example.com'],
    ['email_domain', 'xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['country', 'de', 'DE'],
    ['device', ' dev-1 ', 'dev-1'],
    ['user', 'A'.repeat(256), 'A'.repeat(256)],
    ['payment_method', 'card_visa_4242', 'card_visa_4242'],
  ];
  for (const [kind, raw, want] of ok) {
    it(`${kind} "${raw.slice(0, 40)}" → "${want.slice(0, 40)}"`, () => expect(normaliseListValue(kind, raw)).toEqual({ value: want }));
  }

  const bad: Array<[ListKind, string]> = [
    ['ip', '203.0.113'],
    ['ip', '127.1'],
    ['ip', '203.0.113.0/33'],
    ['ip', '203.0.113.0/'],
    ['ip', '203.0.113.0/-1'],
    ['ip', '2001:db8::/129'],
    ['ip', 'fe80::1%eth0'],
    ['ip', 'example.com'],
    ['email', 'mallory'],
    ['email', '@example.com'],
    ['email', 'mallory@'],
    ['email', 'mal lory@example.com'],
    ['email_domain', ''],
    ['email_domain', 'exa_mple.com'],
    ['email_domain', '-example.com'],
    ['email_domain', 'example..com'],
    ['email_domain', 'a@example.com'],
    ['country', 'DEU'],
    ['country', 'D1'],
    ['device', '   '],
    ['user', 'A'.repeat(257)],
  ];
  for (const [kind, raw] of bad) {
    it(`refuses ${kind} "${raw.slice(0, 40)}"`, () => expect(normaliseListValue(kind, raw)).toHaveProperty('message'));
  }

  it('knows every kind', () => {
    for (const kind of LIST_KINDS) expect(normaliseListValue(kind, '1.2.3.4')).toBeDefined();
  });
});
