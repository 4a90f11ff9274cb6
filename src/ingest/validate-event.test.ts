import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../core/timestamp.js';
import { validateEvent } from './validate-event.js';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const base = { type: 'login.succeeded', user: 'alice' };

describe('validateEvent', () => {
  it('accepts a minimal event and stamps it with the time of receipt', () => {
    const r = validateEvent(base, NOW);
    expect(r).toEqual({ ok: true, value: { type: 'login.succeeded', user: 'alice', occurredAt: NOW } });
  });

  it('keeps every documented field and normalises currency and email case', () => {
    const r = validateEvent(
      {
        type: 'transaction',
        user: 'u1',
        id: 'ord-1',
        timestamp: '2026-11-24T10:00:00+02:00',
        session: 's',
        device: 'd',
        ip: '2001:db8::1',
        userAgent: 'curl/8',
        email: 'Alice@Example.COM',
        amount: 12.5,
        currency: 'eur',
        merchant: 'm',
        paymentMethod: 'card_1',
        attributes: { cart: [1, 2], nested: { a: true } },
      },
      NOW,
    );
    expect(r.ok && r.value).toMatchObject({
      occurredAt: Date.parse('2026-11-24T08:00:00Z'),
      currency: 'EUR',
      email: 'alice@example.com',
      attributes: { cart: [1, 2], nested: { a: true } },
    });
  });

  const bad: Array<[string, unknown, string, string | undefined]> = [
    ['not an object', [1, 2], 'invalid_event', undefined],
    ['unknown type', { ...base, type: 'login.maybe' }, 'unknown_event_type', '/type'],
    ['missing type', { user: 'a' }, 'missing_field', '/type'],
    ['missing user', { type: 'logout' }, 'missing_field', '/user'],
    ['empty user', { ...base, user: '' }, 'invalid_event', '/user'],
    ['user of the wrong type', { ...base, user: 42 }, 'invalid_event', '/user'],
    ['unknown field', { ...base, userId: 'a' }, 'unknown_field', '/userId'],
    ['timestamp without zone', { ...base, timestamp: '2026-11-24T10:00:00' }, 'invalid_timestamp', '/timestamp'],
    ['timestamp not a date', { ...base, timestamp: 'yesterday' }, 'invalid_timestamp', '/timestamp'],
    ['30 February', { ...base, timestamp: '2026-02-30T10:00:00Z' }, 'invalid_timestamp', '/timestamp'],
    ['timestamp 6 minutes ahead', { ...base, timestamp: '2026-11-24T12:06:00Z' }, 'timestamp_in_future', '/timestamp'],
    ['negative amount', { type: 'transaction', user: 'a', amount: -1, currency: 'EUR' }, 'invalid_amount', '/amount'],
    ['amount as text', { type: 'transaction', user: 'a', amount: '10', currency: 'EUR' }, 'invalid_amount', '/amount'],
    ['infinite amount', { type: 'transaction', user: 'a', amount: Number.POSITIVE_INFINITY, currency: 'EUR' }, 'invalid_amount', '/amount'],
    ['transaction without amount', { type: 'transaction', user: 'a' }, 'missing_field', '/amount'],
    ['amount without currency', { type: 'payment.failed', user: 'a', amount: 3 }, 'missing_field', '/currency'],
    ['bad currency', { type: 'transaction', user: 'a', amount: 3, currency: 'EURO' }, 'invalid_event', '/currency'],
    ['invalid IPv4', { ...base, ip: '300.1.1.1' }, 'invalid_ip', '/ip'],
    ['not an IP', { ...base, ip: 'example.com' }, 'invalid_ip', '/ip'],
    ['attributes not an object', { ...base, attributes: 'x' }, 'invalid_event', '/attributes'],
    ['attributes over 8 KiB', { ...base, attributes: { blob: 'x'.repeat(9000) } }, 'invalid_event', '/attributes'],
    ['id with spaces', { ...base, id: 'a b' }, 'invalid_event', '/id'],
  ];
  it.each(bad)('refuses %s', (_name, input, code, path) => {
    const r = validateEvent(input, NOW);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(code);
    expect(r.error.path).toBe(path);
    expect(r.error.message.length).toBeGreaterThan(5);
  });

  it('lists the allowed types when the type is unknown', () => {
    const r = validateEvent({ ...base, type: 'purchase' }, NOW);
    expect(!r.ok && r.error.message).toContain('login.succeeded, login.failed, logout');
  });

  it('accepts a timestamp up to 5 minutes ahead (clock drift)', () => {
    expect(validateEvent({ ...base, timestamp: '2026-11-24T12:04:59Z' }, NOW).ok).toBe(true);
  });
});

describe('parseTimestamp', () => {
  it.each([
    ['2026-11-24T09:30:00Z', Date.parse('2026-11-24T09:30:00Z')],
    ['2026-11-24T09:30:00.123456Z', Date.parse('2026-11-24T09:30:00.123Z')],
    ['2026-11-24 09:30:00+01:00', Date.parse('2026-11-24T08:30:00Z')],
    ['2026-11-24T09:30Z', Date.parse('2026-11-24T09:30:00Z')],
    ['2024-02-29T00:00:00Z', Date.parse('2024-02-29T00:00:00Z')],
    ['2000-02-29T23:59:59.9-05:30', Date.parse('2000-03-01T05:29:59.900Z')],
    ['2026-01-01t00:00:00.05+0100', Date.parse('2025-12-31T23:00:00.050Z')],
    ['1999-12-31T23:59:59.999z', Date.parse('1999-12-31T23:59:59.999Z')],
    ['0050-06-15T12:00:00Z', Date.parse('0050-06-15T12:00:00Z')],
    ['0000-02-29T00:00:00+01:00', Date.parse('0000-02-28T23:00:00Z')],
  ])('parses %s', (text, ms) => expect(parseTimestamp(text)).toBe(ms));

  it.each([
    '2026-11-24',
    '2026-13-01T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-11-24T09:60:00Z',
    '2026-11-24T24:00:00Z',
    '2026-11-24T09:30:00',
  ])('refuses %s', (text) => expect(parseTimestamp(text)).toBeUndefined());
});
