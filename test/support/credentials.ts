/**
 * The keys a test's Vigil is configured with. Apart from app.ts, which starts a Vigil on the suite's
 * database: tests that start their own processes on PostgreSQL whatever the leg (the distributed
 * mode's) use the same keys without importing the suite's database (see database.ts).
 */
export const INGEST_KEY = 'test-ingest-key-0123456789abcdef';
export const ADMIN_KEY = 'test-admin-key-0123456789abcdefgh';
export const TEST_SECRET_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
