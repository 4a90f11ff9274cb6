import type { Config } from '../config/config.js';
import { ensureFirstPeople } from '../demo/first-people.js';
import { seedDemo } from '../demo/seed-demo.js';
import type { SnapshotFileRead } from '../store/snapshot-file-reader.js';
import { createSystem } from '../system.js';
import { buildApp } from './app.js';
import { createServerLogger, systemLoggerOver } from './json-logger.js';
import { compileSchemasInBackground } from './schema-compilers.js';

/**
 * Starts Vigil and stops it gracefully: on SIGINT/SIGTERM it stops accepting connections, lets
 * requests in flight finish (their events are committed before they are answered), then closes.
 */
export async function serve(
  config: Config,
  options: { readonly detectionSnapshotReadAhead?: Promise<SnapshotFileRead> } = {},
): Promise<void> {
  const log = createServerLogger(config.logLevel);
  const systemLog = systemLoggerOver(log);
  // api and worker roles join the distributed mode here (README, "Running on several machines"). Its
  // modules (NATS's client among them) are loaded only then: one process on its own starts faster.
  const alone = await createSystem(config, {
    detectionSnapshots: true,
    logger: systemLog,
    ...(options.detectionSnapshotReadAhead !== undefined && { detectionSnapshotReadAhead: options.detectionSnapshotReadAhead }),
  });
  const system = config.role === 'all' ? alone : await (await import('../distributed.js')).joinCluster(alone, systemLog);
  const app = await buildApp(system, { logger: log });
  if (config.demo) await seedDemo(system, app.log);
  app.log.info(
    config.demo
      ? 'member simulator: on (VIGIL_DEMO=true): members can send simulated events for their own account; set VIGIL_DEMO=false in production'
      : 'member simulator: off (VIGIL_DEMO=false)',
  );
  await ensureFirstPeople(system);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    try {
      await app.close();
      await system.close();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  await app.listen({ host: config.host, port: config.port });
  // Route schemas are compiled when first needed (schema-compilers.ts): the rest now, a turn at a time.
  compileSchemasInBackground((error) => app.log.error({ err: error }, 'a route schema cannot be compiled'));
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  app.log.info(
    `Vigil listening on http://${config.host}:${port} (role: ${config.role}, database: ${config.database.dialect}); API docs at /docs`,
  );
  // Single sign-on: read the provider's discovery document now, so that a wrong issuer shows in the
  // log at start rather than at the first sign-in (which retries it). The issuer's host only, no secret.
  if (system.oidc) {
    const oidc = system.oidc;
    oidc.discover().then(
      () => app.log.info(`single sign-on: ${config.oidc?.issuer.origin} discovered`),
      (error: unknown) =>
        app.log.warn(
          `single sign-on: ${config.oidc?.issuer.origin} cannot be discovered yet (${error instanceof Error ? error.message : String(error)})`,
        ),
    );
  }
}
