import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.js';

const PG = 'postgres://postgres@127.0.0.1:5432/vigil';

function error(env: Record<string, string>, role?: 'api' | 'worker'): ConfigError {
  try {
    loadConfig(env, role ? { role } : {});
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('no configuration error');
}

describe('distributed mode configuration', () => {
  it('defaults to one process, 64 partitions, prefix vigil', () => {
    const config = loadConfig({ VIGIL_DATABASE_URL: 'sqlite::memory:' });
    expect(config).toMatchObject({ role: 'all', partitions: 64, natsPrefix: 'vigil', shareAcks: 'auto' });
    expect(config.natsUrl).toBeUndefined();
  });

  it('refuses the api and worker roles on SQLite, naming the variable', () => {
    const e = error({ VIGIL_ROLE: 'worker', VIGIL_NATS_URL: 'nats://127.0.0.1:4222' });
    expect(e.variable).toBe('VIGIL_ROLE');
    expect(e.message).toBe('VIGIL_ROLE: the worker role needs PostgreSQL: set VIGIL_DATABASE_URL to a postgres:// URL (it is sqlite).');
    // `vigil serve --role api` is the same as VIGIL_ROLE=api.
    expect(error({ VIGIL_NATS_URL: 'nats://127.0.0.1:4222' }, 'api').variable).toBe('VIGIL_ROLE');
  });

  it('refuses the api and worker roles without NATS, naming the variable', () => {
    const e = error({ VIGIL_DATABASE_URL: PG, VIGIL_ROLE: 'api' });
    expect(e.message).toBe('VIGIL_NATS_URL: the api role needs NATS JetStream: set VIGIL_NATS_URL, e.g. nats://127.0.0.1:4222.');
  });

  it('reads the role, NATS, partitions and prefix', () => {
    const config = loadConfig(
      {
        VIGIL_DATABASE_URL: PG,
        VIGIL_NATS_URL: 'nats://127.0.0.1:4222',
        VIGIL_PARTITIONS: '16',
        VIGIL_NATS_PREFIX: 'shop_1',
        VIGIL_SHARE_ACKS: 'on',
      },
      { role: 'worker' },
    );
    expect(config).toMatchObject({
      role: 'worker',
      natsUrl: 'nats://127.0.0.1:4222',
      partitions: 16,
      natsPrefix: 'shop_1',
      shareAcks: 'on',
    });
  });

  it('refuses wrong values', () => {
    expect(error({ VIGIL_ROLE: 'leader' }).variable).toBe('VIGIL_ROLE');
    expect(error({ VIGIL_PARTITIONS: '0' }).variable).toBe('VIGIL_PARTITIONS');
    expect(error({ VIGIL_NATS_URL: 'http://127.0.0.1:4222' }).variable).toBe('VIGIL_NATS_URL');
    expect(error({ VIGIL_NATS_PREFIX: 'a.b' }).variable).toBe('VIGIL_NATS_PREFIX');
    expect(error({ VIGIL_SHARE_ACKS: 'always' }).variable).toBe('VIGIL_SHARE_ACKS');
    expect(error({ VIGIL_METRICS_TOKEN: 'short' }).variable).toBe('VIGIL_METRICS_TOKEN');
  });
});
