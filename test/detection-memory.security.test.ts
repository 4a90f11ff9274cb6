/**
 * Hardening issue, row 9: detection state is bounded by bytes (VIGIL_DETECTION_MEMORY_MB), not by
 * counts of keys, and /healthz says how much of the budget is used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { startTestApp, type TestApp } from './support/app.js';

interface Health {
  status: string;
  detectionMemory: { budgetBytes: number; bytes: number; keys: number; evictedKeys: number };
}

describe('the detection byte budget', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { VIGIL_DETECTION_MEMORY_MB: '16' } });
  });
  afterAll(async () => t.close());

  const health = async (): Promise<Health> => (await t.app.inject({ method: 'GET', url: '/healthz' })).json() as Health;

  it('is reported in /healthz, empty at start', async () => {
    const h = await health();
    expect(h.status).toBe('ok');
    expect(h.detectionMemory).toMatchObject({ budgetBytes: 16 * 1024 * 1024, keys: 0, evictedKeys: 0 });
    // No key yet: only the budget's own columns, room for its first sixteen keys.
    expect(h.detectionMemory.bytes).toBeGreaterThan(0);
    expect(h.detectionMemory.bytes).toBeLessThan(1024);
  });

  it('holds under a flood of new users, IPs and devices, forgetting the least recently active first', async () => {
    // 24,000 events from users, addresses and devices never seen before: about twice the budget.
    for (let batch = 0; batch < 48; batch++) {
      const events = Array.from({ length: 500 }, (_, i) => {
        const n = batch * 500 + i;
        return {
          type: 'login.failed',
          user: `flood-${n}`,
          ip: `81.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
          device: `flood-device-${n}`,
          userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
        };
      });
      const res = await t.send({ events });
      expect(res.statusCode).toBe(200);
    }
    const { detectionMemory } = await health();
    expect(detectionMemory.bytes).toBeGreaterThan(8 * 1024 * 1024);
    expect(detectionMemory.bytes).toBeLessThanOrEqual(detectionMemory.budgetBytes);
    expect(detectionMemory.evictedKeys).toBeGreaterThan(0);
    const { history } = t.system;
    expect(history.forUser('flood-23999', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(1);
    expect(history.forUser('flood-0', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });
});

it('refuses a budget below 16 MB or one that is not a whole number, naming the variable', () => {
  for (const value of ['8', 'lots', '512.5']) {
    expect(() => loadConfig({ VIGIL_DETECTION_MEMORY_MB: value })).toThrow(ConfigError);
    expect(() => loadConfig({ VIGIL_DETECTION_MEMORY_MB: value })).toThrow(/VIGIL_DETECTION_MEMORY_MB/);
  }
  expect(loadConfig({}).detectionMemoryMb).toBe(512);
});
