import { randomFillSync } from 'node:crypto';

// Crockford base32: no I, L, O, U, so ids survive being read aloud or copied by hand.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

// Random bytes are drawn from the CSPRNG in blocks: one syscall per 256 ids instead of one per id,
// which matters on the ingest path where every event gets an id.
const POOL = Buffer.alloc(16 * 256);
let poolOffset = POOL.length;

/**
 * A prefixed, time-sortable id (`evt_01J…`): 48 bits of milliseconds then 80 random bits, the
 * ULID layout. Sortable ids keep the events table's primary-key index append-mostly.
 */
export function newId(prefix: string, now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  if (poolOffset + 16 > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  let rand = '';
  for (let i = 0; i < 16; i++) rand += ALPHABET[(POOL[poolOffset + i] as number) & 31];
  poolOffset += 16;
  return `${prefix}_${time}${rand}`;
}
