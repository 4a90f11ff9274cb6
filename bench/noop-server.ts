/**
 * The ceiling for bench/run.ts: a Fastify 5 server that does nothing but parse a small JSON body with
 * Fastify's default parser and answer {"ok":true}. Whatever Vigil does per request costs the gap
 * between this and POST /v1/events under the same load.
 *
 * Usage: node --import tsx bench/noop-server.ts   (NOOP_PORT, NOOP_HOST from the environment)
 */
import Fastify from 'fastify';

const port = Number(process.env.NOOP_PORT ?? '0');
const host = process.env.NOOP_HOST ?? '127.0.0.1';

const app = Fastify({ logger: false });

app.get('/healthz', async () => ({ status: 'ok' }));
app.post('/noop', async () => ({ ok: true }));

const stop = async () => {
  await app.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

try {
  await app.listen({ host, port });
} catch (error) {
  process.stderr.write(`noop-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
