/**
 * Issue 15, rows 6, 12, 16 and 17: bad input gets a clear 4xx with a stable code, the field and the
 * line, and nothing half-written; never a 500.
 */
import type { FastifyRequest } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTimestamp } from '../src/core/timestamp.js';
import { problemFromError } from '../src/http/errors.js';
import { MAX_ATTRIBUTES_DEPTH } from '../src/ingest/validate-event.js';
import { ADMIN_KEY, startTestApp, type TestApp } from './support/app.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => t.close());

/** `levels` nested containers, alternating objects and arrays, the outermost an object. */
function nested(levels: number): Record<string, unknown> {
  let value: unknown = 1;
  for (let i = levels; i >= 1; i--) value = i % 2 === 1 ? { a: value } : [value];
  return value as Record<string, unknown>;
}
const logout = (over: Record<string, unknown> = {}) => ({ type: 'logout', user: 'alice', ...over });
/** Text too deep for any recursive walk or parser, yet well under the 64 KiB NDJSON line limit. */
const deepText = (levels: number) => `{"type":"logout","user":"alice","attributes":{"x":${'['.repeat(levels)}${']'.repeat(levels)}}}`;

describe('row 6: deeply nested attributes', () => {
  it('refuses 1,500 levels in one event with 400 invalid_event naming the path, and stores nothing', async () => {
    const r = await t.send(logout({ attributes: nested(1500) }));
    expect(r.statusCode).toBe(400);
    const error = r.json().error;
    expect(error.code).toBe('invalid_event');
    expect(error.path).toBe(`/attributes${'/a/0'.repeat(MAX_ATTRIBUTES_DEPTH / 2)}`);
    expect(error.message).toContain(`more than ${MAX_ATTRIBUTES_DEPTH} levels`);
    expect(await t.system.events.countEvents()).toBe(0);
  });

  it('accepts exactly the limit and refuses one level more', async () => {
    expect((await t.send(logout({ attributes: nested(MAX_ATTRIBUTES_DEPTH) }))).statusCode).toBe(200);
    expect((await t.send(logout({ attributes: nested(MAX_ATTRIBUTES_DEPTH + 1) }))).statusCode).toBe(400);
  });

  it('answers 400, not 500, for nesting deep enough to overflow the stack (parsable or not)', async () => {
    const parsable = await t.send(deepText(30_000));
    expect(parsable.statusCode).toBe(400);
    expect(parsable.json().error).toMatchObject({ code: 'invalid_event', path: expect.stringMatching(/^\/attributes\/x\/0\/0/) });

    const malformed = await t.send(`{"type":"logout","user":"alice","attributes":${'['.repeat(100_000)}`);
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toMatchObject({ code: 'invalid_json', line: 1 });
    expect(await t.system.events.countEvents()).toBe(0);
  });

  it('rejects the deep event of a batch by index and keeps the others', async () => {
    const r = await t.send({ events: [logout(), logout({ attributes: nested(1500) }), logout({ user: 'bob' })] });
    expect(r.statusCode).toBe(207);
    const body = r.json();
    expect(body).toMatchObject({ accepted: 2, rejected: 1 });
    expect(body.results[1].error).toMatchObject({ code: 'invalid_event', path: expect.stringMatching(/^\/attributes\//) });
    expect(await t.system.events.countEvents()).toBe(2);
  });

  it('rejects too-deep NDJSON lines by line number after 5,000 good lines, storing each good line once', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify(logout({ user: `u${i % 100}` })));
    lines.push(JSON.stringify(logout({ attributes: nested(1500) }))); // line 5,001: parses, too deep
    lines.push(deepText(30_000)); // line 5,002: parses, deep enough to overflow a recursive walk
    lines.push(`{"type":"logout","user":"alice","attributes":${'['.repeat(60_000)}`); // 5,003: overflows the error locator
    lines.push(JSON.stringify(logout({ user: 'last' }))); // line 5,004
    const r = await t.send(lines.join('\n'), { contentType: 'application/x-ndjson' });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ accepted: 5001, rejected: 3, errorsTruncated: false });
    // Unparsable lines are reported as read, invalid events as their chunk is scored: order by line.
    expect([...body.errors].sort((a, b) => a.line - b.line)).toEqual([
      { line: 5001, code: 'invalid_event', message: expect.stringContaining('nested'), path: expect.stringMatching(/^\/attributes\//) },
      { line: 5002, code: 'invalid_event', message: expect.stringContaining('nested'), path: expect.stringMatching(/^\/attributes\//) },
      { line: 5003, code: 'invalid_ndjson', message: 'Line 5003: JSON is nested too deeply.' },
    ]);
    expect(await t.system.events.countEvents()).toBe(5001);
  }, 60_000);
});

describe('row 12: user ids up to 256 characters work on every route', () => {
  const call = (method: 'GET' | 'POST', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_KEY}` }, ...(payload && { payload }) });

  it('ingests, reads, locks and unlocks a 256-character user id', async () => {
    const user = 'u'.repeat(256);
    expect((await t.send(logout({ user }))).statusCode).toBe(200);
    const path = `/v1/accounts/${user}`;
    const read = await call('GET', path);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ user, locked: false });
    const events = await call('GET', `/v1/users/${user}/events`);
    expect(events.statusCode).toBe(200);
    expect(events.json().events).toHaveLength(1);

    expect((await call('POST', `${path}/lock`, { reason: 'test' })).json()).toMatchObject({ locked: true });
    const unlocked = await call('POST', `${path}/unlock`, { reason: 'verified' });
    expect(unlocked.statusCode).toBe(200);
    expect(unlocked.json()).toMatchObject({ user, locked: false });
  });

  it('reads a 256-character id of 3-byte characters (2,304 characters percent-encoded)', async () => {
    const user = '€'.repeat(256);
    expect((await t.send(logout({ user }))).statusCode).toBe(200);
    const read = await call('GET', `/v1/users/${encodeURIComponent(user)}/events`);
    expect(read.statusCode).toBe(200);
    expect(read.json().events[0].user).toBe(user);
  });

  it('still refuses 257 characters, as ingest does, with a 400', async () => {
    const user = 'u'.repeat(257);
    expect((await t.send(logout({ user }))).statusCode).toBe(400);
    const read = await call('GET', `/v1/accounts/${user}`);
    expect(read.statusCode).toBe(400);
  });
});

describe('row 16: time-zone offsets', () => {
  it('refuses offsets outside ±23:59', async () => {
    for (const zone of ['+99:99', '+24:00', '-24:00', '+05:60', '+9999']) {
      expect(parseTimestamp(`2026-01-01T00:00:00${zone}`), zone).toBeUndefined();
    }
    const r = await t.send(logout({ timestamp: '2026-01-01T00:00:00+99:99' }));
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({ code: 'invalid_timestamp', path: '/timestamp' });
  });

  it('accepts the extremes', () => {
    expect(parseTimestamp('2026-01-01T23:59:00+23:59')).toBe(Date.UTC(2026, 0, 1));
    expect(parseTimestamp('2026-01-01T00:00:00-23:59')).toBe(Date.UTC(2026, 0, 1, 23, 59));
    expect(parseTimestamp('2026-01-01T05:30:00+0530')).toBe(Date.UTC(2026, 0, 1));
  });
});

describe('row 17: content types, status codes and id characters', () => {
  it('answers text/plain with 415 unsupported_media_type, as documented', async () => {
    const r = await t.send(JSON.stringify(logout()), { contentType: 'text/plain' });
    expect(r.statusCode).toBe(415);
    expect(r.json().error.code).toBe('unsupported_media_type');
    expect(await t.system.events.countEvents()).toBe(0);
  });

  it('reports a 403 or 404 from another library (static files) by its status, not as invalid_json', () => {
    const request = { routeOptions: {} } as unknown as FastifyRequest;
    const forbidden = Object.assign(new Error('Forbidden'), { statusCode: 403 });
    expect(problemFromError(forbidden, request)).toEqual({ problem: { code: 'forbidden', message: 'Forbidden' }, internal: false });
    const missing = Object.assign(new Error('Not Found'), { statusCode: 404 });
    expect(problemFromError(missing, request).problem.code).toBe('not_found');
  });

  it('refuses control characters and unpaired surrogates in ids, naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ user: 'a\u0000b' }, '/user'],
      [{ user: 'a\ud800b' }, '/user'],
      [{ user: '\udc00' }, '/user'],
      [{ device: 'pc\u0007' }, '/device'],
      [{ session: 's\n1' }, '/session'],
      [{ email: 'a\u0000@b.c' }, '/email'],
    ];
    for (const [over, path] of cases) {
      const r = await t.send(logout(over));
      expect(r.statusCode, path).toBe(400);
      expect(r.json().error).toMatchObject({ code: 'invalid_event', path });
    }
    expect(await t.system.events.countEvents()).toBe(0);
    // A surrogate pair (an emoji) is a real character.
    expect((await t.send(logout({ user: 'ann😀' }))).statusCode).toBe(200);
  });
});
