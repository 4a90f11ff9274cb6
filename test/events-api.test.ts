import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => t.close());

const login = (over: Record<string, unknown> = {}) => ({
  type: 'login.succeeded',
  user: 'alice',
  ip: '81.2.69.160',
  device: 'laptop',
  userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  ...over,
});

async function storedEvents(user = 'alice') {
  const r = await t.get(`/v1/users/${user}/events?limit=500`);
  expect(r.statusCode).toBe(200);
  return r.json().events as Array<Record<string, any>>;
}

describe('POST /v1/events: one event', () => {
  it('answers with the final result shape and stores the event with its enrichment', async () => {
    const r = await t.send(login({ timestamp: '2026-01-02T03:04:05Z', attributes: { plan: 'gold', tags: ['a'] } }));
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-request-id']).toMatch(/^req_/);
    const body = r.json();
    expect(body).toEqual({ id: expect.stringMatching(/^evt_/), decision: 'allow', risk: 0, severity: 'none', reasons: [] });

    const [event] = await storedEvents();
    expect(event).toMatchObject({
      id: body.id,
      type: 'login.succeeded',
      user: 'alice',
      timestamp: '2026-01-02T03:04:05.000Z',
      attributes: { plan: 'gold', tags: ['a'] },
      decision: 'allow',
      enrichment: {
        ipScope: 'public',
        network: '81.2.69.0/24',
        geo: { country: 'GB', latitude: expect.any(Number), longitude: expect.any(Number), accuracyKm: expect.any(Number) },
        userAgent: { browser: 'Chrome', os: 'Windows', deviceClass: 'desktop' },
        novelty: { hasHistory: false, newDevice: true, newCountry: true, newNetwork: true },
      },
    });
  });

  it('marks the second login from the same place as familiar', async () => {
    await t.send(login());
    await t.send(login({ ip: '81.2.69.161' }));
    const [latest] = await storedEvents();
    expect(latest?.enrichment.novelty).toEqual({ hasHistory: true, newDevice: false, newCountry: false, newNetwork: false });
  });

  it('is idempotent: the same id twice is stored once and answered the same', async () => {
    const first = await t.send(login({ id: 'login-42' }));
    const second = await t.send(login({ id: 'login-42', device: 'other' }));
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual(first.json());
    expect(first.json().id).toBe('login-42');
    expect(await storedEvents()).toHaveLength(1);
  });

  it('stores an id once when it is sent concurrently', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => t.send(login({ id: 'race-1' }))));
    expect(new Set(answers.map((a) => a.statusCode))).toEqual(new Set([200]));
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(await storedEvents()).toHaveLength(1);
  });
});

describe('POST /v1/events: bad input', () => {
  const cases: Array<[string, unknown, number, string, string | undefined]> = [
    ['an unknown type', login({ type: 'login.maybe' }), 400, 'unknown_event_type', '/type'],
    ['a missing user', { type: 'logout' }, 400, 'missing_field', '/user'],
    ['a user of the wrong type', login({ user: 7 }), 400, 'invalid_event', '/user'],
    ['a timestamp that is not ISO 8601', login({ timestamp: '24/11/2026' }), 400, 'invalid_timestamp', '/timestamp'],
    ['a timestamp far in the future', login({ timestamp: '2999-01-01T00:00:00Z' }), 400, 'timestamp_in_future', '/timestamp'],
    ['a negative amount', { type: 'transaction', user: 'a', amount: -5, currency: 'EUR' }, 400, 'invalid_amount', '/amount'],
    ['an invalid IP', login({ ip: '1.2.3' }), 400, 'invalid_ip', '/ip'],
    ['an unknown field', login({ userid: 'x' }), 400, 'unknown_field', '/userid'],
  ];
  it.each(cases)('refuses %s with a stable code and the field, and stores nothing', async (_n, body, status, code, path) => {
    const r = await t.send(body);
    expect(r.statusCode).toBe(status);
    const { error } = r.json();
    expect(error).toMatchObject({ code, requestId: r.headers['x-request-id'] });
    expect(error.path).toBe(path);
    expect(await t.system.events.countEvents()).toBe(0);
  });

  it('lists the allowed types in the message for an unknown type', async () => {
    const r = await t.send(login({ type: 'purchase' }));
    expect(r.json().error.message).toContain('transaction, payment.failed, page.viewed');
  });

  it('names the line of malformed JSON', async () => {
    const r = await t.send('{\n  "type": "logout",\n  "user": alice\n}');
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({ code: 'invalid_json', line: 3 });
  });

  it('refuses an empty body and prototype-poisoning keys', async () => {
    expect((await t.send('')).statusCode).toBe(400);
    const poisoned = await t.send('{"type":"logout","user":"a","attributes":{"__proto__":{"admin":true}}}');
    expect(poisoned.statusCode).toBe(400);
    expect(poisoned.json().error.code).toBe('invalid_json');
  });

  it('answers 413 for a body over the size limit, and stores nothing', async () => {
    const big = { events: Array.from({ length: 900 }, (_, i) => login({ user: `u${i}`, attributes: { pad: 'x'.repeat(6000) } })) };
    const r = await t.send(big);
    expect(r.statusCode).toBe(413);
    expect(r.json().error.code).toBe('payload_too_large');
    expect(await t.system.events.countEvents()).toBe(0);
  });

  it('answers 415 for an unsupported content type', async () => {
    const r = await t.send('type=logout', { contentType: 'application/x-www-form-urlencoded' });
    expect(r.statusCode).toBe(415);
    expect(r.json().error.code).toBe('unsupported_media_type');
  });
});

describe('POST /v1/events: JSON batches', () => {
  it('stores the valid events and reports the invalid ones by index (207)', async () => {
    const r = await t.send({ events: [login(), login({ ip: 'nope' }), login({ user: 'bob' }), { type: 'x' }] });
    expect(r.statusCode).toBe(207);
    const body = r.json();
    expect(body.accepted).toBe(2);
    expect(body.rejected).toBe(2);
    expect(body.results[0]).toMatchObject({ decision: 'allow', id: expect.any(String) });
    expect(body.results[1]).toEqual({ error: { code: 'invalid_ip', message: expect.any(String), path: '/ip' } });
    expect(body.results[3].error.code).toBe('unknown_event_type');
    expect(await t.system.events.countEvents()).toBe(2);
  });

  it('stores nothing with atomic=true when one event is invalid', async () => {
    const r = await t.send({ events: [login(), login({ timestamp: 'soon' })] }, { query: 'atomic=true' });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.errors).toEqual([
      { index: 1, code: 'invalid_timestamp', message: expect.any(String), path: '/events/1/timestamp' },
    ]);
    expect(await t.system.events.countEvents()).toBe(0);
  });

  it('stores all events with atomic=true when all are valid', async () => {
    const r = await t.send({ events: [login(), login({ user: 'bob' })] }, { query: 'atomic=true' });
    expect(r.statusCode).toBe(200);
    expect(r.json().results).toHaveLength(2);
    expect(await t.system.events.countEvents()).toBe(2);
  });

  it('answers 413 for more than 1000 events', async () => {
    const r = await t.send({ events: Array.from({ length: 1001 }, () => ({ type: 'logout', user: 'a' })) });
    expect(r.statusCode).toBe(413);
    expect(r.json().error).toMatchObject({ code: 'batch_too_large', path: '/events' });
    expect(await t.system.events.countEvents()).toBe(0);
  });

  it('answers 400 when no event is valid', async () => {
    const r = await t.send({ events: [{ type: 'logout' }] });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.errors[0]).toMatchObject({ index: 0, code: 'missing_field', path: '/events/0/user' });
  });

  it('answers repeats of an id, in the batch and across batches, with the first answer', async () => {
    const first = await t.send({ events: [login({ id: 'e1' }), login({ id: 'e1' }), login({ id: 'e2' })] });
    expect(first.statusCode).toBe(200);
    const [a, b, c] = first.json().results;
    expect(b).toEqual(a);
    expect(c.id).toBe('e2');
    const again = await t.send({ events: [login({ id: 'e2' }), login({ id: 'e3' })] });
    expect(again.json().results[0]).toEqual(c);
    expect(await t.system.events.countEvents()).toBe(3);
  });
});

describe('POST /v1/events: NDJSON streams', () => {
  const ndjson = (lines: string[]) => t.send(lines.join('\n'), { contentType: 'application/x-ndjson' });

  it('stores valid lines and reports the others with their line numbers', async () => {
    const r = await ndjson([
      JSON.stringify(login()),
      '{"type":"logout","user":',
      '',
      JSON.stringify(login({ ip: '999.1.1.1' })),
      JSON.stringify(login({ user: 'bob' })),
    ]);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      accepted: 2,
      rejected: 2,
      errorsTruncated: false,
      errors: [
        { line: 2, code: 'invalid_ndjson', message: expect.stringContaining('Line 2') },
        { line: 4, code: 'invalid_ip', message: expect.any(String), path: '/ip' },
      ],
    });
    expect(await t.system.events.countEvents()).toBe(2);
  });

  it('handles a stream longer than one chunk, in order', async () => {
    const lines = Array.from({ length: 2500 }, (_, i) =>
      JSON.stringify({
        type: 'page.viewed',
        user: 'alice',
        path: `/p/${i}`,
        timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      }),
    );
    const r = await ndjson(lines);
    expect(r.json()).toMatchObject({ accepted: 2500, rejected: 0 });
    const newest = await t.get('/v1/users/alice/events?limit=1');
    expect(newest.json().events[0].path).toBe('/p/2499');
  });

  it('refuses atomic=true for a stream', async () => {
    const r = await t.send(JSON.stringify(login()), { contentType: 'application/x-ndjson', query: 'atomic=true' });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe('atomic_not_supported');
  });
});

describe('OpenAPI', () => {
  it('serves the document generated from the validating schemas at /docs', async () => {
    const ui = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/events', '/v1/users/{user}/events']));
    const schemas = JSON.stringify(doc);
    expect(schemas).toContain('login.succeeded');
    expect(schemas).toContain('paymentMethod');
  });
});
