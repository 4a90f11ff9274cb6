import { freshDatabase } from './database.js';
import { startVigilApp, type TestApp, type TestAppOptions } from './vigil-app.js';

// Re-exported for the tests that start a Vigil here; tests that never touch the suite's database
// import them from their own modules (see database.ts).
export { ADMIN_KEY, INGEST_KEY, TEST_SECRET_KEY } from './credentials.js';
export { sharedGeoIp } from './geoip.js';
export { PERSON_PASSWORD, type SignedInPerson, signIn, type TestApp, type TestAppOptions } from './vigil-app.js';

/** A whole Vigil (real store, real enrichment) behind app.inject(), on a fresh database of the suite's (database.ts). */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  return startVigilApp(await freshDatabase(), options);
}
