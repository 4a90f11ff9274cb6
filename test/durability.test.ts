import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, INGEST_KEY } from './support/app.js';
import { freshDatabase, type TestDatabase } from './support/database.js';
import { PROCESS_TEST_TIMEOUT_MS, type RunningServer, startServer } from './support/process.js';

let db: TestDatabase;
let server: RunningServer | undefined;
beforeEach(async () => {
  db = await freshDatabase();
});
afterEach(async () => {
  // Also after a failed or timed-out test; test/support/children.ts kills what a hung stop() leaves.
  await server?.stop();
  server = undefined;
  await db.drop();
});

const env = () => ({ VIGIL_DATABASE_URL: db.url, VIGIL_INGEST_KEY: INGEST_KEY, VIGIL_ADMIN_KEY: ADMIN_KEY, VIGIL_DEMO: 'false' });

const post = (s: RunningServer, body: unknown) =>
  fetch(`${s.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function countFor(s: RunningServer, user: string): Promise<number> {
  const r = await fetch(`${s.url}/v1/users/${user}/events?limit=500`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  expect(r.status).toBe(200);
  return ((await r.json()) as { events: unknown[] }).events.length;
}

describe('durability', () => {
  it('keeps every acknowledged event when the server is killed with SIGKILL the next instant', {
    timeout: PROCESS_TEST_TIMEOUT_MS,
  }, async () => {
    server = await startServer(env());
    // 200 concurrent single events and 2 batches: every one that got a 2xx must be there after the kill.
    const singles = Array.from({ length: 200 }, (_, i) =>
      post(server as RunningServer, { type: 'page.viewed', user: 'crash', path: `/s/${i}`, id: `s-${i}` }),
    );
    const batches = [0, 1].map((b) =>
      post(server as RunningServer, {
        events: Array.from({ length: 100 }, (_, i) => ({ type: 'page.viewed', user: 'crash', path: `/b/${b}/${i}`, id: `b-${b}-${i}` })),
      }),
    );
    const answers = await Promise.all([...singles, ...batches]);
    await server.kill9();
    expect(answers.every((a) => a.status === 200)).toBe(true);

    server = await startServer(env());
    expect(await countFor(server, 'crash')).toBe(400);
  });

  // Three server starts (each opens the geo-IP database and replays detection state): on a loaded
  // 2-core machine that has taken over 30 s, the default test timeout.
  it('keeps events across a graceful restart, and migrations are not re-applied', { timeout: PROCESS_TEST_TIMEOUT_MS }, async () => {
    server = await startServer(env());
    expect((await post(server, { type: 'logout', user: 'restart' })).status).toBe(200);
    await server.stop();
    server = await startServer(env());
    // On SQLite `vigil serve` keeps a detection snapshot beside the database, read at start in a thread
    // of its own while the server loads: the state came from it, not from a replay of the events.
    if (db.url.startsWith('sqlite:')) expect(server.output()).toMatch(/Detection state from the snapshot of .*, and 0 events after it/);
    expect(await countFor(server, 'restart')).toBe(1);
    // Novelty is remembered across the restart too: the same device is not new any more.
    expect((await post(server, { type: 'login.succeeded', user: 'restart', device: 'd1' })).status).toBe(200);
    await server.stop();
    server = await startServer(env());
    await post(server, { type: 'login.succeeded', user: 'restart', device: 'd1' });
    const r = await fetch(`${server.url}/v1/users/restart/events?limit=1`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    const [latest] = ((await r.json()) as { events: Array<{ enrichment: { novelty: { newDevice: boolean } } }> }).events;
    expect(latest?.enrichment.novelty.newDevice).toBe(false);
  });
});
