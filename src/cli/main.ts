#!/usr/bin/env node
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { ROLES, type Role } from '../auth/api-keys.js';
import { type Config, ConfigError, loadConfig, SERVE_ROLES, type ServeRole } from '../config/config.js';
import { type Contamination, parseContamination } from '../logins/login-scoring.js';
import { DatabaseOpenError } from '../store/database-errors.js';
import { TRAIN_KINDS, type TrainKind } from './train-kinds.js';

// Each command's implementation is imported when that command runs: `--version`, `--help` and a
// configuration error answer without loading the server, the database drivers or the geo-IP data.

/** The version in package.json: one place, read at run time from beside dist/ or src/. */
function packageVersion(): string {
  const file = fileURLToPath(new URL('../../package.json', import.meta.url));
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

/** Config errors end the command with the variable named and exit code 2, before anything starts. */
function config(overrides: { readonly role?: ServeRole } = {}): Config {
  try {
    return loadConfig(process.env, overrides);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`vigil: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

const program = new Command()
  .name('vigil')
  .version(packageVersion(), '-V, --version', 'print the version of Vigil')
  .description('Real-time security alerts and response for online shops and payment apps.')
  .showHelpAfterError();

program
  .command('serve')
  .description('Start the HTTP API (configured by VIGIL_* environment variables; see README).')
  .option(
    '--role <role>',
    `${SERVE_ROLES.join(', ')} (default: VIGIL_ROLE, or all): api and worker are the distributed mode`,
    (value: string) => {
      if (!(SERVE_ROLES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of: ${SERVE_ROLES.join(', ')}.`);
      return value as ServeRole;
    },
  )
  .action(async (options: { role?: ServeRole }) => {
    const settings = config(options.role ? { role: options.role } : {});
    // The detection snapshot is read and hashed in a thread of its own while the server's modules load.
    const file = settings.detectionSnapshotFile;
    const detectionSnapshotReadAhead =
      file === undefined ? undefined : (await import('../store/detection-snapshots.js')).DetectionSnapshots.readAhead(file);
    await (await import('../http/server.js')).serve(
      settings,
      detectionSnapshotReadAhead === undefined ? {} : { detectionSnapshotReadAhead },
    );
  });

program
  .command('migrate')
  .description('Apply pending database migrations and exit (serve also does this on start).')
  .action(async () => {
    const settings = config();
    const { openDatabase } = await import('../store/database.js');
    const handle = await openDatabase(settings.database, { migrate: true });
    await handle.close();
    process.stdout.write('vigil: database is up to date.\n');
  });

program
  .command('import')
  .argument('<file>', 'an .ndjson/.jsonl file (one event per line) or a .csv file with a header row')
  .option('--format <format>', 'ndjson or csv (default: from the file extension)')
  .option('--url <url>', 'send through a running Vigil, e.g. http://127.0.0.1:8080, so its detection learns the events at once')
  .option('--key <key>', 'an ingest or admin key of that Vigil (default: VIGIL_INGEST_KEY)')
  .description('Validate, enrich and store events from a file, as POST /v1/events would. Into a database a server is using, pass --url.')
  .action(async (file: string, options: { format?: string; url?: string; key?: string }) => {
    const settings = config();
    process.exitCode = await (await import('./import.js')).importFile(settings, file, options);
  });

program
  .command('backup')
  .argument('<file>', 'the new backup file (refused if it exists)')
  .description('Copy the SQLite database, WAL included, while the server runs (SQLite online backup); for PostgreSQL use pg_dump.')
  .action(async (file: string) => {
    const settings = config();
    process.exitCode = await (await import('./backup.js')).backupDatabase(settings, file);
  });

const keys = program.command('keys').description('Manage API keys.');
keys
  .command('create')
  .requiredOption('--role <role>', `one of: ${ROLES.join(', ')}`, (value: string): Role => {
    if (!(ROLES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of: ${ROLES.join(', ')}.`);
    return value as Role;
  })
  .option('--name <name>', 'a label to recognise the key by', '')
  .description('Create a key and print it once; only its hash is stored.')
  .action(async (options: { role: Role; name: string }) => {
    const settings = config();
    await (await import('./keys.js')).createKey(settings, options.role, options.name);
  });
keys
  .command('list')
  .description('List keys (prefix, role, state); never the secrets.')
  .action(async () => {
    const settings = config();
    await (await import('./keys.js')).listKeys(settings);
  });
keys
  .command('revoke')
  .argument('<id>', 'the key id, as shown by keys list')
  .description('Revoke a key; running servers refuse it within 30 seconds.')
  .action(async (id: string) => {
    const settings = config();
    process.exitCode = await (await import('./keys.js')).revokeKey(settings, id);
  });

program
  .command('train')
  .description('Train anomaly models from stored events; with --activate, running servers switch to them within 30 s.')
  .option(
    '--kind <kind>',
    `one of: ${TRAIN_KINDS.join(', ')}`,
    (value: string): TrainKind => {
      if (!(TRAIN_KINDS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of: ${TRAIN_KINDS.join(', ')}.`);
      return value as TrainKind;
    },
    'all',
  )
  .option('--activate', 'make each new model the active one of its kind', false)
  .option('--days <days>', 'days of stored events to learn from (1 to 365, default 90)', (value: string): number => {
    const days = Number(value);
    if (!Number.isInteger(days) || days < 1 || days > 365) throw new InvalidArgumentError('must be a whole number of days, 1 to 365.');
    return days;
  })
  .action(async (options: { kind: TrainKind; activate: boolean; days?: number }) => {
    const settings = config();
    process.exitCode = await (await import('./train.js')).trainModels(settings, options);
  });

program
  .command('score-logins')
  .argument('<file>', 'a login-activity CSV with a header row: user_id and timestamp, and ip_address, location, device_type… when present')
  .option('--contamination <share>', 'auto (score above 0.5, the default) or the share of rows to flag, e.g. 0.05', (value: string) => {
    const parsed = parseContamination(value);
    if (!parsed.ok) throw new InvalidArgumentError(parsed.error.message);
    return parsed.value;
  })
  .option('--out <file>', 'write every row with anomaly_score, anomaly_flag and reasons to this CSV')
  .option('--no-store', 'score only: store nothing and email nobody')
  .option('--charset <charset>', "the file's charset: utf-8 (default), iso-8859-1, iso-8859-15 or windows-1252")
  .description('Score logins with an Isolation Forest as POST /v1/logins/score does; store flagged ones and email the admins.')
  .action(async (file: string, options: { contamination?: Contamination; out?: string; store: boolean; charset?: string }) => {
    const settings = config();
    process.exitCode = await (await import('./score-logins.js')).scoreLoginsFile(settings, file, {
      ...(options.charset !== undefined && { charset: options.charset }),
      contamination: options.contamination ?? 'auto',
      store: options.store,
      ...(options.out !== undefined && { out: options.out }),
    });
  });

/** A whole number within bounds, for options such as --minutes. */
const wholeNumber = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
  return n;
};

/**
 * A past minute start, for `simulate --start`: with the same start and seed a run sends the same
 * counts at the same times of day, whatever the hour it is run at.
 */
const minuteStart = (value: string) => {
  const time = Date.parse(value);
  // An explicit zone: without one, Date.parse reads the machine's local time.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(time))
    throw new InvalidArgumentError('must be an ISO 8601 time with its zone, e.g. 2025-07-15T12:00Z.');
  if (time % 60_000 !== 0) throw new InvalidArgumentError('must be the start of a minute (no seconds).');
  return time;
};

const monitor = program.command('monitor').description('The transaction-volume monitor: per-minute counts per status.');
monitor
  .command('train')
  .argument('<file>', 'a CSV with a header row timestamp,status,count (timestamps "YYYY-MM-DD HH:MM:SS" in UTC, or ISO 8601)')
  .description('Learn the baselines of reported counts afresh from a history; a bad line refuses the whole file (exit 2).')
  .action(async (file: string) => {
    const settings = config();
    process.exitCode = await (await import('./monitor.js')).trainMonitor(settings, file);
  });
monitor
  .command('simulate')
  .option('--minutes <n>', 'live minutes to send, with four incidents injected (40 to 1440)', wholeNumber(40, 1440), 120)
  .option('--history-days <n>', 'days of synthetic history sent first, so there is a baseline (0 to 14; 0: none)', wholeNumber(0, 14), 2)
  .option('--seed <n>', 'random seed: the same seed sends the same counts (0 to 2147483648)', wholeNumber(0, 2 ** 31), 42)
  .option('--start <time>', 'first live minute, ISO 8601 in UTC, e.g. 2025-07-15T12:00Z (default: the live minutes end now)', minuteStart)
  .option('--url <url>', 'a running Vigil, e.g. http://127.0.0.1:8080 (default: in process, on a throwaway database)')
  .option('--key <key>', 'an ingest key of that Vigil')
  .description('Send synthetic minutes with injected incidents and log the anomalies and alerts; exit 1 if an incident is missed.')
  .action(async (options: { minutes: number; historyDays: number; seed: number; start?: number; url?: string; key?: string }) => {
    process.exitCode = await (await import('./monitor.js')).simulateMonitor(options);
  });

const audit = program.command('audit').description('The hash-chained audit trail.');
audit
  .command('verify')
  .description('Re-hash the whole audit chain; exit 1 naming the first broken entry.')
  .action(async () => {
    const settings = config();
    process.exitCode = await (await import('./audit.js')).verifyAudit(settings);
  });

program.parseAsync().catch((error: unknown) => {
  // The database URL is configuration: named as such, with the exit code of a configuration error.
  if (error instanceof DatabaseOpenError) {
    process.stderr.write(`vigil: configuration error: VIGIL_DATABASE_URL: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`vigil: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
