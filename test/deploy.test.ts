import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SERVE_NODE_FLAGS } from '../src/cli/node-flags.js';
import { type Config, loadConfig } from '../src/config/config.js';
import { BUILT_CLI } from './support/build-server.js';
import { ROOT } from './support/process.js';

/**
 * deploy/: the Docker Compose file and the systemd units of the distributed mode. Docker cannot pull
 * images on these machines, so the files are not run here; this test keeps them from drifting from
 * what the tests run and from what the configuration reads: each process's command is the one the
 * tests start, each VIGIL_ variable is one src/config/config.ts reads, and each process's environment
 * is accepted by loadConfig in its role.
 */
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/**
 * The command the tests (test/support/process.ts) and the bench run, relative to the checkout, with
 * the V8 flags `npm start` and the bench give the server.
 */
const CLI = path.relative(ROOT, BUILT_CLI);
const serveCommand = (role: 'api' | 'worker') => ['node', ...SERVE_NODE_FLAGS, CLI, 'serve', '--role', role];

/** The variables the configuration reads, from its source. */
const CONFIG_VARIABLES = new Set(read('src/config/config.ts').match(/VIGIL_[A-Z_]+/g));

/** Values for compose's ${NAME:?…} substitutions (deploy/.env in a real deployment). */
const SUBSTITUTIONS: Record<string, string> = {
  POSTGRES_PASSWORD: 'a-password-for-the-test',
  VIGIL_SECRET_KEY: 'ab'.repeat(32),
  VIGIL_METRICS_TOKEN: 'a-metrics-token-for-the-test',
};
const substitute = (value: string) =>
  value.replace(/\$\{([A-Z_]+)[^}]*\}/g, (_, name: string) => {
    const replacement = SUBSTITUTIONS[name];
    if (replacement === undefined) throw new Error(`compose.yaml substitutes \${${name}}, which the test does not know`);
    return replacement;
  });

interface ComposeService {
  readonly image?: string;
  readonly command?: string[];
  readonly environment?: Record<string, string>;
  readonly volumes?: string[];
}
const compose = parse(read('deploy/compose.yaml'), { merge: true }) as { services: Record<string, ComposeService> };
const vigilServices = (role: 'api' | 'worker') =>
  Object.entries(compose.services).filter(([, s]) => s.command?.includes('serve') && s.command.at(-1) === role);

describe('deploy/compose.yaml', () => {
  it('starts 2 api and 3 worker processes with the command the tests run', () => {
    expect(vigilServices('api').map(([name]) => name)).toEqual(['api-1', 'api-2']);
    expect(vigilServices('worker').map(([name]) => name)).toEqual(['worker-1', 'worker-2', 'worker-3']);
    for (const role of ['api', 'worker'] as const)
      for (const [, service] of vigilServices(role)) expect(service.command).toEqual(serveCommand(role));
    // Nothing else runs `serve`: no process of a role the file does not mean.
    expect(Object.values(compose.services).filter((s) => s.command?.includes('serve'))).toHaveLength(5);
  });

  it('gives each process only variables the configuration reads, which it accepts in its role', () => {
    const configs = (['api', 'worker'] as const).flatMap((role) =>
      vigilServices(role).map(([name, service]) => {
        const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, substitute(String(v))]));
        for (const variable of Object.keys(env)) expect(CONFIG_VARIABLES, `${name}: ${variable}`).toContain(variable);
        return loadConfig(env, { role });
      }),
    );
    for (const config of configs) {
      expect(config.database.dialect).toBe('postgres');
      expect(config.natsUrl).toBe('nats://nats:4222');
      expect(config.host).toBe('0.0.0.0');
      expect(config.demo).toBe(false);
    }
    expect(configs.map((c) => c.role)).toEqual(['api', 'api', 'worker', 'worker', 'worker']);
    // One deployment: the same partitions, prefix, database and secret everywhere.
    const shared: Array<(c: Config) => unknown> = [
      (c) => c.partitions,
      (c) => c.natsPrefix,
      (c) => c.databaseUrl,
      (c) => c.secretKey?.toString('hex'),
    ];
    for (const pick of shared) expect(new Set(configs.map(pick)).size).toBe(1);
  });

  it('keeps secrets out of the file: they come from deploy/.env', () => {
    const environment = vigilServices('api')[0]?.[1].environment ?? {};
    expect(environment.VIGIL_SECRET_KEY).toMatch(/^\$\{VIGIL_SECRET_KEY:\?/);
    expect(environment.VIGIL_METRICS_TOKEN).toMatch(/^\$\{VIGIL_METRICS_TOKEN:\?/);
    expect(environment.VIGIL_DATABASE_URL).toContain('${POSTGRES_PASSWORD:?');
  });

  it('runs NATS with JetStream syncing every write, and PostgreSQL', () => {
    expect(compose.services.nats?.volumes).toContain('./nats.conf:/etc/nats/nats.conf:ro');
    const nats = read('deploy/nats.conf');
    expect(nats).toMatch(/^jetstream \{[^}]*^\s*sync_interval: always$/ms);
    expect(compose.services.postgres?.image).toMatch(/^postgres:/);
  });
});

describe('deploy/systemd', () => {
  const exampleEnv = Object.fromEntries(
    read('deploy/vigil.env.example')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

  it('starts each role with the command the tests run, from the shared environment file', () => {
    for (const role of ['api', 'worker'] as const) {
      const unit = read(`deploy/systemd/vigil-${role}@.service`);
      expect(unit).toContain(`ExecStart=/usr/bin/${serveCommand(role).join(' ')}`);
      expect(unit).toContain('EnvironmentFile=/etc/vigil/vigil.env');
      expect(unit).toContain('Environment=VIGIL_PORT=%i');
    }
  });

  it('documents an environment file whose variables the configuration reads and accepts in both roles', () => {
    for (const variable of Object.keys(exampleEnv)) expect(CONFIG_VARIABLES, variable).toContain(variable);
    // The example leaves the secrets empty: an operator fills them in.
    expect(exampleEnv.VIGIL_SECRET_KEY).toBe('');
    const env = { ...exampleEnv, VIGIL_SECRET_KEY: SUBSTITUTIONS.VIGIL_SECRET_KEY, VIGIL_METRICS_TOKEN: SUBSTITUTIONS.VIGIL_METRICS_TOKEN };
    for (const role of ['api', 'worker'] as const) {
      const config = loadConfig(env, { role });
      expect(config.role).toBe(role);
      expect(config.database.dialect).toBe('postgres');
      expect(config.natsUrl).toBe(exampleEnv.VIGIL_NATS_URL);
    }
  });
});

describe('npm start', () => {
  it('runs the server with the V8 flags the distributed mode’s files and the bench give it', () => {
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(scripts.start).toBe(['node', ...SERVE_NODE_FLAGS, CLI, 'serve'].join(' '));
  });
});
