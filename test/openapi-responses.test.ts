import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';

/**
 * Issue 17: every operation in the OpenAPI document says what a success answers. A 2xx response
 * with a body schema (JSON, or the event stream of GET /v1/feed), or a 204, on every operation;
 * demo mode, so that POST /v1/me/simulate is in the document too.
 */

interface Operation {
  readonly responses?: Record<string, { readonly description?: string; readonly content?: Record<string, { readonly schema?: object }> }>;
}

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { VIGIL_DEMO: 'true' } });
  await t.app.ready();
});
afterAll(async () => t.close());

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

function operations(): Array<{ name: string; operation: Operation }> {
  const spec = t.app.swagger() as { paths: Record<string, Record<string, Operation>> };
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
  );
}

/**
 * The success answers an operation documents with a body schema (204: without a body; 302: the
 * single sign-on routes, whose success is a redirect to the provider or back to the dashboard).
 */
function successSchemas(operation: Operation): string[] {
  return Object.entries(operation.responses ?? {})
    .filter(([status]) => /^2(\d\d|XX)$/i.test(status) || status === '302')
    .filter(
      ([status, response]) =>
        status === '204' || status === '302' || Object.values(response.content ?? {}).some((c) => c.schema !== undefined),
    )
    .map(([status]) => status);
}

describe('the OpenAPI document', () => {
  it('has a 2xx response schema on every operation', () => {
    const all = operations();
    expect(all.length).toBeGreaterThanOrEqual(57);
    const without = all.filter(({ operation }) => successSchemas(operation).length === 0).map(({ name }) => name);
    expect(without).toEqual([]);
  });

  it('describes JSON answers by their properties, not as any object', () => {
    const vague = operations().flatMap(({ name, operation }) =>
      Object.entries(operation.responses ?? {})
        .filter(([status]) => /^2\d\d$/.test(status) && status !== '204')
        .flatMap(([status, response]) => {
          const schema = response.content?.['application/json']?.schema as Record<string, unknown> | undefined;
          if (schema === undefined) return [];
          const described = 'properties' in schema || 'anyOf' in schema || 'oneOf' in schema || '$ref' in schema;
          return described ? [] : [`${name} ${status}`];
        }),
    );
    expect(vague).toEqual([]);
  });
});
