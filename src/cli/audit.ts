import { AuditTrail } from '../audit/audit-trail.js';
import type { Config } from '../config/config.js';
import { systemClock } from '../core/clock.js';
import { SqlAuditStore } from '../store/audit-store.js';
import { openDatabase } from '../store/database.js';

/**
 * `vigil audit verify`: re-hashes the whole chain. Exit 0 when intact, 1 naming the first broken
 * entry, so a cron job or CI step can alert on it. Reads only; it never repairs anything.
 */
export async function verifyAudit(config: Config): Promise<number> {
  const handle = await openDatabase(config.database, { migrate: true });
  try {
    const result = await new AuditTrail(new SqlAuditStore(handle), systemClock).verify();
    if (!result.ok) {
      process.stdout.write(`audit chain broken at entry #${result.broken.seq}: ${result.broken.reason}\n`);
      process.stderr.write(`${result.entries} entries before it verified.\n`);
      return 1;
    }
    process.stdout.write(`audit chain intact: ${result.entries} entries\n`);
    // The head to keep elsewhere: deleting the newest entries can only be seen against an older head.
    if (result.head) process.stdout.write(`head: #${result.head.seq} ${result.head.hash}\n`);
    return 0;
  } finally {
    await handle.close();
  }
}
