import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { compileAllSchemas, schemasNotCompiled, sharedSchemaCompilers } from '../src/http/schema-compilers.js';
import { freshSqliteDatabase } from './support/sqlite-database.js';
import { startVigilApp, type TestApp } from './support/vigil-app.js';

/**
 * Route schemas are compiled when first needed (src/http/schema-compilers.ts): a start no longer
 * compiles every route's validators and serializers before it answers.
 */
const apps: TestApp[] = [];
afterAll(async () => {
  for (const a of apps) await a.close();
});

describe('route schemas compiled when first needed', () => {
  it('a validator compiles on its first request, and its reasons reach the answer', async () => {
    const app = Fastify({ schemaController: sharedSchemaCompilers });
    // A schema of this test's own: no other app of the process has compiled it.
    const body = { type: 'object', properties: { onlyInThisTest: { type: 'integer', minimum: 7 } }, required: ['onlyInThisTest'] };
    app.post('/t', { schema: { body, response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } } }, async () => ({
      ok: true,
      dropped: 'not in the response schema',
    }));
    const before = schemasNotCompiled();
    await app.ready();
    // Its validator and serializer were handed out, not compiled.
    expect(schemasNotCompiled()).toBeGreaterThan(before);
    const refused = await app.inject({ method: 'POST', url: '/t', payload: { onlyInThisTest: 3 } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toContain('must be >= 7');
    const answered = await app.inject({ method: 'POST', url: '/t', payload: { onlyInThisTest: 8 } });
    expect(answered.json()).toEqual({ ok: true });
    await app.close();
  });

  it('every schema of Vigil’s routes compiles', async () => {
    const vigil = await startVigilApp(await freshSqliteDatabase());
    apps.push(vigil);
    await vigil.app.ready();
    expect(() => compileAllSchemas()).not.toThrow();
    expect(schemasNotCompiled()).toBe(0);
  });

  it('a schema that cannot be compiled fails when everything is compiled', async () => {
    const app = Fastify({ schemaController: sharedSchemaCompilers });
    app.post('/bad', { schema: { body: { type: 'object', properties: { x: { type: 'no-such-type' } } } } }, async () => ({}));
    await app.ready();
    expect(() => compileAllSchemas()).toThrow();
    await app.close();
  });
});
