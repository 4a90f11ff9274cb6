import { type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchResultSchema, EventAnswerSchema, ProblemSchema, StreamSummarySchema } from '../src/http/schemas/index.js';
import { startTestApp, type TestApp } from './support/app.js';

/**
 * Issue 17: POST /v1/events keeps its fast path (no schema validation, answers written with
 * JSON.stringify), so its real answers are checked here against the schemas the OpenAPI document
 * publishes for it: one event, a duplicate, JSON batches (200 and 207), an NDJSON stream, and
 * refusals. The event answer is checked strictly: a field the schema does not name fails.
 */

const StrictEventResult = Type.Object(EventAnswerSchema.properties, { $id: 'EventResult', additionalProperties: false });
const REFERENCES: TSchema[] = [StrictEventResult];

function expectValid(schema: TSchema, res: LightMyRequestResponse): void {
  const body: unknown = res.json();
  const errors = [...Value.Errors(schema, REFERENCES, body)].map((e) => `${e.path}: ${e.message}`);
  expect(errors).toEqual([]);
}

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t.close());

const login = (over: Record<string, unknown> = {}) => ({
  type: 'login.succeeded',
  user: 'carol',
  ip: '81.2.69.160',
  device: 'laptop',
  ...over,
});
const failed = (n: number) => ({ type: 'login.failed', user: 'dave', ip: '81.2.69.170', device: `d${n}` });

describe('POST /v1/events answers as its schemas say', () => {
  it('one event, with and without findings, and its duplicate', async () => {
    const first = await t.send(login({ id: 'contract-1' }));
    expect(first.statusCode).toBe(200);
    expectValid(StrictEventResult, first);
    expectValid(StrictEventResult, await t.send(login({ id: 'contract-1' })));

    // A burst of failed logins earns findings, reasons with evidence, and an alert.
    let last: LightMyRequestResponse | undefined;
    for (let i = 0; i < 12; i++) last = await t.send(failed(i));
    expect(last?.json().reasons.length).toBeGreaterThan(0);
    expectValid(StrictEventResult, last as LightMyRequestResponse);
  });

  it('a JSON batch: 200 when all are stored, 207 with the refused ones by index', async () => {
    const ok = await t.send({ events: [login({ user: 'erin' }), login({ user: 'frank' })] });
    expect(ok.statusCode).toBe(200);
    expectValid(BatchResultSchema, ok);

    const mixed = await t.send({ events: [login({ user: 'gina' }), { type: 'login.succeeded' }, { type: 'nope', user: 'x' }] });
    expect(mixed.statusCode).toBe(207);
    expect(mixed.json().rejected).toBe(2);
    expectValid(BatchResultSchema, mixed);
  });

  it('an NDJSON stream, with a bad line', async () => {
    const lines = [JSON.stringify(login({ user: 'hank' })), '{not json', JSON.stringify(login({ user: 'ivy' }))].join('\n');
    const res = await t.send(lines, { contentType: 'application/x-ndjson' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 2, rejected: 1 });
    expectValid(StreamSummarySchema, res);
  });

  it('refusals: an invalid event, a batch with none valid, an atomic batch', async () => {
    const invalid = await t.send({ type: 'login.succeeded' });
    expect(invalid.statusCode).toBe(400);
    expectValid(ProblemSchema, invalid);

    const none = await t.send({ events: [{ type: 'nope' }] });
    expect(none.statusCode).toBe(400);
    expectValid(ProblemSchema, none);

    const atomic = await t.send({ events: [login({ user: 'jo' }), { type: 'nope' }] }, { query: 'atomic=true' });
    expect(atomic.statusCode).toBe(400);
    expect(atomic.json().error.errors).toHaveLength(1);
    expectValid(ProblemSchema, atomic);
  });
});
