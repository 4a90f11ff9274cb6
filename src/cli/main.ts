#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { ROLES, type Role } from '../auth/api-keys.js';
import { type Config, ConfigError, loadConfig } from '../config/config.js';
import { serve } from '../http/server.js';
import { openDatabase } from '../store/database.js';
import { verifyAudit } from './audit.js';
import { importFile } from './import.js';
import { createKey, listKeys, revokeKey } from './keys.js';

/** Config errors end the command with the variable named and exit code 2, before anything starts. */
function config(): Config {
  try {
    return loadConfig();
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
  .description('Real-time security alerts and response for online shops and payment apps.')
  .showHelpAfterError();

program
  .command('serve')
  .description('Start the HTTP API (configured by VIGIL_* environment variables; see README).')
  .action(async () => serve(config()));

program
  .command('migrate')
  .description('Apply pending database migrations and exit (serve also does this on start).')
  .action(async () => {
    const handle = await openDatabase(config().database, { migrate: true });
    await handle.close();
    process.stdout.write('vigil: database is up to date.\n');
  });

program
  .command('import')
  .argument('<file>', 'an .ndjson/.jsonl file (one event per line) or a .csv file with a header row')
  .option('--format <format>', 'ndjson or csv (default: from the file extension)')
  .description('Validate, enrich and store events from a file, as POST /v1/events would.')
  .action(async (file: string, options: { format?: string }) => {
    process.exitCode = await importFile(config(), file, options.format);
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
  .action(async (options: { role: Role; name: string }) => createKey(config(), options.role, options.name));
keys
  .command('list')
  .description('List keys (prefix, role, state); never the secrets.')
  .action(async () => listKeys(config()));
keys
  .command('revoke')
  .argument('<id>', 'the key id, as shown by keys list')
  .description('Revoke a key; running servers refuse it within 30 seconds.')
  .action(async (id: string) => {
    process.exitCode = await revokeKey(config(), id);
  });

const audit = program.command('audit').description('The hash-chained audit trail.');
audit
  .command('verify')
  .description('Re-hash the whole audit chain; exit 1 naming the first broken entry.')
  .action(async () => {
    process.exitCode = await verifyAudit(config());
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`vigil: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
