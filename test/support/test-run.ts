import { randomBytes } from 'node:crypto';

/**
 * The test run and the PostgreSQL schema names made from it. Kept apart from database.ts, which
 * chooses the suite's database: the distributed mode's tests name their schemas the same way on a
 * PostgreSQL of their own, and whatever imports database.ts runs on both legs of CI
 * (scripts/test-legs.ts follows the imports).
 */

/**
 * The test run: the pid of vitest's main process, set by the global setup (workers inherit it).
 * PostgreSQL schemas are named after it, so that a run drops its own and those of runs that died,
 * never those of another checkout's run going on beside it on the same database.
 */
export const testRun = (): string => process.env.VIGIL_TEST_RUN ?? String(process.pid);

/** The schema the global setup migrates once and dumps, for each test's schema to start from. */
export const templateSchema = (): string => `vigil_test_template_${testRun()}`;

/** A test's own schema: `t_<run>_<random>`. */
export const testSchemaName = (): string => `t_${testRun()}_${randomBytes(6).toString('hex')}`;
