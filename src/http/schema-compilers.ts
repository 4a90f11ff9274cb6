import { AjvCompiler } from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type BuildValidator = NonNullable<CompilersFactory['buildValidator']>;
type BuildSerializer = NonNullable<CompilersFactory['buildSerializer']>;

/**
 * Route schemas compiled once per process, not once per app. Fastify's default compilers start from
 * scratch for each instance (a new Ajv, every validator and response serializer generated again), and
 * Vigil's routes took about 0.4 s of CPU to compile. One process builds one app in production, but the
 * suite builds one per test (over a thousand a CI run), and the bench several.
 *
 * Compiled code is kept by the schema's content (its JSON: what Ajv and fast-json-stringify read),
 * since routes build some schemas as they are registered, and by the shared schemas and options it
 * was compiled with. The compilers themselves are Fastify's defaults.
 */
function sharedAcrossApps<Builder extends BuildValidator | BuildSerializer>(build: Builder): Builder {
  const compiledFor = new Map<string, Map<string, unknown>>();
  return ((externalSchemas: unknown, options: unknown) => {
    const compile = (build as (e: unknown, o: unknown) => (route: { schema: unknown }) => unknown)(externalSchemas, options);
    const setting = JSON.stringify([externalSchemas ?? null, options ?? null]);
    let compiled = compiledFor.get(setting);
    if (!compiled) {
      compiled = new Map();
      compiledFor.set(setting, compiled);
    }
    const cache = compiled;
    return (route: { schema: unknown }) => {
      const content = JSON.stringify(route.schema);
      let code = cache.get(content);
      if (code === undefined) {
        code = compile(route);
        cache.set(content, code);
      }
      return code;
    };
  }) as Builder;
}

/** Fastify's `schemaController` option: its default compilers, shared by every app of the process. */
export const sharedSchemaCompilers: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    buildValidator: sharedAcrossApps(AjvCompiler()),
    buildSerializer: sharedAcrossApps(SerializerSelector()),
  },
};
