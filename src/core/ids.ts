import { randomFillSync } from 'node:crypto';

// Crockford base32: no I, L, O, U, so ids survive being read aloud or copied by hand.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ALPHABET_CODES = Buffer.from(ALPHABET, 'latin1');

// Random bytes are drawn from the CSPRNG in blocks: one syscall per 256 ids instead of one per id,
// which matters on the ingest path where every event gets an id.
const POOL = Buffer.alloc(16 * 256);
let poolOffset = POOL.length;

/** Prefixes are short words (`evt`, `alrt`, `key`…): room for any of them, the separator and 26 characters. */
const MAX_PREFIX = 64;
const ID = Buffer.alloc(MAX_PREFIX + 1 + 26);
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
const MAX_TIME = 2 ** 48;

/**
 * A prefixed, time-sortable id (`evt_01J…`): 48 bits of milliseconds then 80 random bits, the
 * ULID layout. Sortable ids keep the events table's primary-key index append-mostly.
 *
 * The characters are written into one buffer and read out as one flat string: appending them one
 * by one made a chain of some thirty string pieces per id (one per character), all garbage but the
 * last, on the path every event takes.
 */
export function newId(prefix: string, now = Date.now()): string {
  if (prefix.length > MAX_PREFIX) throw new RangeError(`id prefix longer than ${MAX_PREFIX} characters: ${prefix}`);
  // Whole milliseconds of the 48 bits the layout has: anything else would write characters outside the alphabet.
  let t = Math.floor(now);
  if (!(t >= 0 && t < MAX_TIME)) throw new RangeError(`an id's time must be milliseconds from 0 to 2^48, got ${now}`);
  const start = ID.write(prefix, 0, 'latin1');
  ID[start] = 0x5f; // '_'
  for (let i = start + TIME_CHARS; i > start; i--) {
    ID[i] = ALPHABET_CODES[t % 32] as number;
    t = Math.floor(t / 32);
  }
  if (poolOffset + RANDOM_CHARS > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const random = start + 1 + TIME_CHARS;
  for (let i = 0; i < RANDOM_CHARS; i++) ID[random + i] = ALPHABET_CODES[(POOL[poolOffset + i] as number) & 31] as number;
  poolOffset += RANDOM_CHARS;
  return ID.toString('latin1', 0, random + RANDOM_CHARS);
}
