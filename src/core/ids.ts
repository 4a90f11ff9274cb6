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

/** The prefix of the ids Vigil gives events: detection keeps those packed (see packId). */
export const EVENT_ID_PREFIX = 'evt';

/**
 * An id of newId's layout in four 32-bit words, for what keeps ids by the million (detection's
 * remembered events): its 26 characters are 128 bits (the first carries 3, since the time has 48), and
 * four small integers in an object's fields are 32 bytes where the id's text is a 48-byte string and
 * the field pointing to it. Only the exact text newId writes packs (the prefix, an underscore, 26
 * characters of its alphabet, the first at most 7), so unpacking gives back the same text; any other
 * id is kept as text by the caller.
 */
export const PACKED_ID_WORDS = 4;

/** Each character's value in the alphabet, -1 for any other character (lower case included). */
const ALPHABET_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) ALPHABET_VALUES[ALPHABET.charCodeAt(i)] = i;
const PACKED = new Int32Array(PACKED_ID_WORDS);

/**
 * Writes the id's words into `into` from `at` (signed, as V8 keeps small integers) and returns true,
 * or returns false, writing nothing, when the id is not `prefix_` and 26 characters as newId makes them.
 */
export function packId(prefix: string, id: string, into: Int32Array, at = 0): boolean {
  const start = prefix.length + 1;
  if (id.length !== start + TIME_CHARS + RANDOM_CHARS || id.charCodeAt(prefix.length) !== 0x5f || !id.startsWith(prefix)) return false;
  // Bits in arrival order, 3 of the first character then 5 of each, shifted into the word being
  // filled; a value that does not fit in it ends it, and its low bits begin the next one. Integer
  // operations only: the first version divided doubles and took a few microseconds an id.
  let word = 0;
  let filled = 0;
  let w = 0;
  for (let i = 0; i < TIME_CHARS + RANDOM_CHARS; i++) {
    const code = id.charCodeAt(start + i);
    const v = code < 128 ? (ALPHABET_VALUES[code] as number) : -1;
    if (v < 0 || (i === 0 && v > 7)) return false;
    const width = i === 0 ? 3 : 5;
    if (filled + width <= 32) {
      word = (word << width) | v;
      filled += width;
    } else {
      const low = filled + width - 32;
      PACKED[w++] = (word << (32 - filled)) | (v >>> low);
      word = v & ((1 << low) - 1);
      filled = low;
    }
    if (filled === 32) {
      PACKED[w++] = word | 0;
      word = 0;
      filled = 0;
    }
  }
  into.set(PACKED, at);
  return true;
}

/** The character codes of the id being unpacked (prefix, separator, 26 characters), reused. */
const UNPACKED: number[] = [];

/** The id's text back from the words packId wrote. */
export function unpackId(prefix: string, w0: number, w1: number, w2: number, w3: number): string {
  const out = UNPACKED;
  out.length = 0;
  for (let k = 0; k < prefix.length; k++) out.push(prefix.charCodeAt(k));
  out.push(0x5f); // '_'
  // The word being read, and how many of its low bits are still unread.
  let word = w0 >>> 0;
  let unread = 32;
  let next = 1;
  for (let i = 0; i < TIME_CHARS + RANDOM_CHARS; i++) {
    const width = i === 0 ? 3 : 5;
    let v: number;
    if (unread >= width) {
      v = (word >>> (unread - width)) & ((1 << width) - 1);
      unread -= width;
    } else {
      const following = (next === 1 ? w1 : next === 2 ? w2 : w3) >>> 0;
      next++;
      const rest = width - unread;
      v = ((word & ((1 << unread) - 1)) << rest) | (following >>> (32 - rest));
      word = following;
      unread = 32 - rest;
    }
    out.push(ALPHABET_CODES[v] as number);
  }
  // One flat string of the codes, made at once.
  return String.fromCharCode.apply(null, out);
}

/**
 * The texts of packed ids read lately, by what holds the words: made again from the words at each
 * read otherwise (a string and an array of codes each time), where the same few holders are read
 * over and over (the events behind an attack's findings, the marks of a user under attack). Bounded:
 * dropped all at once when full, which costs only making texts again.
 */
export class RecentIdTexts<Holder extends object> {
  private readonly texts = new Map<Holder, string>();

  constructor(
    private readonly prefix: string,
    private readonly capacity: number,
  ) {}

  /** The text of the id these words hold, for this holder of them. */
  textOf(holder: Holder, w0: number, w1: number, w2: number, w3: number): string {
    let text = this.texts.get(holder);
    if (text === undefined) {
      text = unpackId(this.prefix, w0, w1, w2, w3);
      if (this.texts.size >= this.capacity) this.texts.clear();
      this.texts.set(holder, text);
    }
    return text;
  }
}

/**
 * Whether `id` is the id these words hold: packed and compared, no text made. The last id asked about
 * is packed once for all the words it is compared with (a rule compares the event it scores with a
 * timeline's).
 */
export function isPackedId(prefix: string, id: string, w0: number, w1: number, w2: number, w3: number): boolean {
  if (id !== lastQuery || prefix !== lastQueryPrefix) {
    lastQueryPacked = packId(prefix, id, PACKED_QUERY);
    lastQuery = id;
    lastQueryPrefix = prefix;
  }
  return lastQueryPacked && PACKED_QUERY[0] === w0 && PACKED_QUERY[1] === w1 && PACKED_QUERY[2] === w2 && PACKED_QUERY[3] === w3;
}
const PACKED_QUERY = new Int32Array(PACKED_ID_WORDS);
let lastQuery: string | undefined;
let lastQueryPrefix: string | undefined;
let lastQueryPacked = false;
