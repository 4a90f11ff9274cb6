import http from 'node:http';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';

/**
 * Issue 15, row 8: two clients holding 21,000 half-open connections stopped every request for a
 * minute, and nothing was logged. Open connections are now capped per client address and overall;
 * a connection over a cap is closed at once, with one warning per burst.
 */
let t: TestApp;
let port = 0;
const sockets: net.Socket[] = [];

beforeEach(async () => {
  t = await startTestApp({ env: { VIGIL_MAX_CONNECTIONS_PER_CLIENT: '5', VIGIL_MAX_CONNECTIONS: '8' } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as net.AddressInfo).port;
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await t.close();
});

/** A connection that sends nothing (half-open, as a flood holds them), from a local address. */
function idle(localAddress = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress }, () => resolve(s));
    s.once('error', reject);
    sockets.push(s);
  });
}

/** Whether the server closes this connection before it sends anything. */
const closedBy = (s: net.Socket) => new Promise<boolean>((resolve) => s.once('close', () => resolve(true)));

function health(localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', localAddress, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
  });
}

/** The server sees a client's close a moment later: asks again until served (at most 5 s). */
async function servedEventually(localAddress: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const status = await health(localAddress).catch(() => 0);
    if (status !== 0) return status;
    await new Promise((r) => setTimeout(r, 50));
  }
  return 0;
}

describe('connection limits', () => {
  it('close a client’s connections over its cap at once, log it once, and leave other clients served', async () => {
    const warn = vi.spyOn(t.app.log, 'warn');
    for (let i = 0; i < 5; i++) await idle('127.0.0.1');
    const extra = await Promise.all([idle('127.0.0.1'), idle('127.0.0.1')]);
    expect(await Promise.all(extra.map(closedBy))).toEqual([true, true]);
    expect(warn.mock.calls.filter(([, message]) => String(message).includes('this client holds its maximum'))).toHaveLength(1);
    expect(warn.mock.calls[0]?.[0]).toMatchObject({ client: '127.0.0.1', limit: 5 });

    // Another client is still served.
    expect(await health('127.0.0.2')).toBe(200);
  });

  it('close connections over the server’s total, whichever client opens them', async () => {
    for (let i = 0; i < 4; i++) await idle('127.0.0.3');
    for (let i = 0; i < 4; i++) await idle('127.0.0.4');
    const over = await idle('127.0.0.5');
    expect(await closedBy(over)).toBe(true);
    // Once one closes, a new client gets in.
    (sockets[0] as net.Socket).destroy();
    expect(await servedEventually('127.0.0.6')).toBe(200);
  });
});
