import { AjvCompiler } from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type BuildValidator = NonNullable<CompilersFactory['buildValidator']>;
type BuildSerializer = NonNullable<CompilersFactory['buildSerializer']>;
/**
 * A compiled validator or serializer, as Fastify calls it. Ajv's validators leave `errors` on
 * themselves, and Fastify reads their `schemaEnv` to pass a root value's parent (for coercion).
 */
type Compiled = ((...args: unknown[]) => unknown) & { errors?: unknown; schemaEnv?: unknown };

/** Schemas handed to Fastify and not compiled yet, in the order they were asked for. */
const pending = new Set<() => void>();

/**
 * Route schemas compiled once per process, not once per app, and each when it is first needed.
 *
 * Once per process: Fastify's default compilers start from scratch for each instance (a new Ajv,
 * every validator and response serializer generated again). One process builds one app in
 * production, but the suite builds one per test (over a thousand a CI run), and the bench several.
 * Compiled code is kept by the schema's content (its JSON: what Ajv and fast-json-stringify read),
 * since routes build some schemas as they are registered, and by the shared schemas and options it
 * was compiled with. The compilers themselves are Fastify's defaults.
 *
 * When first needed: Fastify asks for every route's validators and serializers as the app gets
 * ready, and compiling Vigil's took 0.4 to 0.5 s of CPU, a tenth of a restart (README, Restarts).
 * What Fastify gets is a stand-in that compiles the real function on its first call; the server then
 * compiles the rest in the background, one per turn of the event loop (`compileSchemasInBackground`),
 * and the suite's tests compile only what they use. A schema that cannot be compiled therefore fails
 * when it is first used or in that background pass, not at start: `compileAllSchemas` compiles every
 * one at once, and a test calls it on the app with every route.
 */
function sharedAcrossApps<Builder extends BuildValidator | BuildSerializer>(build: Builder): Builder {
  const compiledFor = new Map<string, Map<string, Compiled>>();
  return ((externalSchemas: unknown, options: unknown) => {
    const setting = JSON.stringify([externalSchemas ?? null, options ?? null]);
    let compiled = compiledFor.get(setting);
    if (!compiled) {
      compiled = new Map();
      compiledFor.set(setting, compiled);
    }
    const cache = compiled;
    // Made when first needed too: a new Ajv with every shared schema added is itself a cost.
    let compiler: ((route: { schema: unknown }) => Compiled) | undefined;
    const compilerNow = () => {
      compiler ??= (build as (e: unknown, o: unknown) => (route: { schema: unknown }) => Compiled)(externalSchemas, options);
      return compiler;
    };
    return (route: { schema: unknown }) => {
      const content = JSON.stringify(route.schema);
      let code = cache.get(content);
      if (code === undefined) {
        code = compiledOnFirstCall(() => compilerNow()(route));
        cache.set(content, code);
      }
      return code;
    };
  }) as Builder;
}

/** A function that compiles `compile`'s on its first call (or in `compileAllSchemas`) and is it from then on. */
function compiledOnFirstCall(compile: () => Compiled): Compiled {
  let real: Compiled | undefined;
  const compileNow = () => {
    if (real === undefined) {
      pending.delete(compileNow);
      real = compile();
    }
    return real;
  };
  const standIn: Compiled = (...args) => {
    const fn = compileNow();
    const result = fn(...args);
    // Fastify reads a failed validation's reasons from the function it called.
    standIn.errors = fn.errors;
    return result;
  };
  // What else Fastify reads of a validator, read from the real one (compiled for it, if need be).
  Object.defineProperty(standIn, 'schemaEnv', { get: () => compileNow().schemaEnv });
  pending.add(compileNow);
  return standIn;
}

/** How many schemas handed out are not compiled yet. */
export function schemasNotCompiled(): number {
  return pending.size;
}

/** Compiles every schema handed out so far; throws the first that cannot be compiled. */
export function compileAllSchemas(): void {
  for (const compileNow of [...pending]) compileNow();
}

/** Compiles the schemas handed out so far one per turn of the event loop, so that none waits for its first request. */
export function compileSchemasInBackground(onError: (error: unknown) => void): void {
  const next = () => {
    const compileNow = pending.values().next().value;
    if (compileNow === undefined) return;
    try {
      compileNow();
    } catch (error) {
      onError(error);
    }
    setImmediate(next);
  };
  setImmediate(next);
}

/** Fastify's `schemaController` option: its default compilers, shared by every app of the process. */
export const sharedSchemaCompilers: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    buildValidator: sharedAcrossApps(AjvCompiler()),
    buildSerializer: sharedAcrossApps(SerializerSelector()),
  },
};
