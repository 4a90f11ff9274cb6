import { describe, expect, it } from 'vitest';
import { isPackedId, newId, PACKED_ID_WORDS, packId, RecentIdTexts, unpackId } from './ids.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const AT = Date.parse('2026-12-07T10:30:00.123Z');

/** The milliseconds an id's ten time characters carry (ULID layout). */
const timeOf = (id: string) => [...(id.split('_')[1] as string).slice(0, 10)].reduce((t, c) => t * 32 + CROCKFORD.indexOf(c), 0);

describe('newId', () => {
  it('is the prefix, an underscore and 26 Crockford base32 characters', () => {
    expect(newId('evt', AT)).toMatch(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(newId('p', AT)).toMatch(/^p_[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('carries its time in its first ten characters, so ids sort by time', () => {
    expect(timeOf(newId('evt', AT))).toBe(AT);
    expect(timeOf(newId('evt', 0))).toBe(0);
    const times = [AT, AT + 1, AT + 31, AT + 32, AT + 86_400_000, AT + 1024 ** 3];
    const ids = times.map((t) => newId('evt', t));
    expect([...ids].reverse().sort()).toEqual(ids);
    expect(ids.map(timeOf)).toEqual(times);
  });

  it('differs at the same millisecond, across refills of its random pool', () => {
    // The pool holds 256 ids' worth of random bytes: 1,000 ids draw it four times.
    const ids = Array.from({ length: 1000 }, () => newId('evt', AT));
    expect(new Set(ids).size).toBe(1000);
    expect(new Set(ids.map((id) => id.slice(14))).size).toBe(1000);
  });

  it('keeps nothing of a longer prefix in a shorter one', () => {
    newId('webhook_delivery', AT);
    const short = newId('p', AT);
    expect(short).toMatch(/^p_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(timeOf(short)).toBe(AT);
  });

  it('refuses a time outside the 48 bits of whole milliseconds it has room for, and drops a fraction', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 48]) expect(() => newId('evt', bad)).toThrow(RangeError);
    expect(timeOf(newId('evt', AT + 0.9))).toBe(AT);
    expect(newId('evt', 2 ** 48 - 1)).toMatch(/^evt_7ZZZZZZZZZ[0-9A-HJKMNP-TV-Z]{16}$/);
  });

  it('refuses a prefix longer than it has room for', () => {
    expect(() => newId('x'.repeat(65), AT)).toThrow(RangeError);
    expect(newId('x'.repeat(64), AT)).toHaveLength(64 + 1 + 26);
  });
});

describe('packId', () => {
  const words = (id: string, prefix = 'evt') => {
    const into = new Int32Array(PACKED_ID_WORDS + 1).fill(7);
    return packId(prefix, id, into, 1) ? [...into] : undefined;
  };

  it('packs every id newId makes into four words and unpacks the same text', () => {
    const times = [0, 1, 31, 32, AT, AT + 86_400_000, 2 ** 32, 2 ** 40 + 5, 2 ** 48 - 1];
    const ids = times.flatMap((t) => Array.from({ length: 200 }, () => newId('evt', t)));
    const seen = new Set<string>();
    for (const id of ids) {
      const w = words(id) as number[];
      // Written from the offset given, the slot before left as it was.
      expect(w[0]).toBe(7);
      const [, w0, w1, w2, w3] = w as [number, number, number, number, number];
      expect(unpackId('evt', w0, w1, w2, w3)).toBe(id);
      expect(isPackedId('evt', id, w0, w1, w2, w3)).toBe(true);
      seen.add(w.join(','));
    }
    // Distinct ids, distinct words: nothing of the 128 bits is lost.
    expect(seen.size).toBe(new Set(ids).size);
  });

  it('unpacks the extremes of every word: the largest time and random part, and all zeros', () => {
    const top = `evt_7${'Z'.repeat(25)}`;
    const w = words(top) as number[];
    expect(w.slice(1)).toEqual([-1, -1, -1, -1]);
    expect(unpackId('evt', -1, -1, -1, -1)).toBe(top);
    expect(words(`evt_${'0'.repeat(26)}`)?.slice(1)).toEqual([0, 0, 0, 0]);
    expect(unpackId('evt', 0, 0, 0, 0)).toBe(`evt_${'0'.repeat(26)}`);
  });

  it('refuses any other id, so that a packed id always unpacks to the text it came from', () => {
    const id = newId('evt', AT);
    for (const other of [
      id.toLowerCase(), // the same value in lower case: it would come back in upper case
      `alrt_${id.slice(4)}`,
      `evt-${id.slice(4)}`,
      id.slice(0, -1),
      `${id}0`,
      `${id.slice(0, -1)}I`, // not in the alphabet (I, L, O, U)
      `${id.slice(0, -1)}U`,
      `evt_8${id.slice(5)}`, // a first character past 7: more than 48 bits of time
      `${id.slice(0, -1)}\u00e9`,
      'login-7781',
      '',
    ])
      expect(words(other), other).toBeUndefined();
    expect(isPackedId('evt', 'login-7781', 0, 0, 0, 0)).toBe(false);
    const [, w0, w1, w2, w3] = words(id) as [number, number, number, number, number];
    expect(isPackedId('evt', newId('evt', AT), w0, w1, w2, w3)).toBe(false);
  });

  it('compares ids asked about in turn, each against the words of the other', () => {
    const a = newId('evt', AT);
    const b = newId('evt', AT);
    const [, ...wa] = words(a) as number[];
    const [, ...wb] = words(b) as number[];
    const is = (id: string, w: number[]) => isPackedId('evt', id, ...(w as [number, number, number, number]));
    expect([is(a, wa), is(a, wb), is(b, wa), is(b, wb), is(a, wa), is('login-7781', wa), is(a, wa)]).toEqual([
      true,
      false,
      false,
      true,
      true,
      false,
      true,
    ]);
    // The same text under another prefix is another id.
    expect(isPackedId('alrt', a, ...(wa as [number, number, number, number]))).toBe(false);
  });

  it('takes other prefixes, and an id under one prefix is not one under another', () => {
    const id = newId('alrt', AT);
    const [, w0, w1, w2, w3] = words(id, 'alrt') as [number, number, number, number, number];
    expect(unpackId('alrt', w0, w1, w2, w3)).toBe(id);
    expect(words(id, 'evt')).toBeUndefined();
  });
});

describe('RecentIdTexts', () => {
  it('gives each holder the text of its words, made once while kept, and holds no more than its capacity', () => {
    const texts = new RecentIdTexts<object>('evt', 2);
    const ids = [newId('evt', AT), newId('evt', AT + 1), newId('evt', AT + 2)];
    const holders = ids.map(() => ({}));
    const wordsOf = ids.map((id) => {
      const into = new Int32Array(PACKED_ID_WORDS);
      expect(packId('evt', id, into)).toBe(true);
      return [...into] as [number, number, number, number];
    });
    const read = (k: number) => texts.textOf(holders[k] as object, ...(wordsOf[k] as [number, number, number, number]));
    expect([read(0), read(1)]).toEqual([ids[0], ids[1]]);
    // Kept: the same holder is answered from the cache, even with other words (which no holder has).
    expect(texts.textOf(holders[0] as object, 0, 0, 0, 0)).toBe(ids[0]);
    // A third holder starts it over: the first one's text is made again from its words.
    expect(read(2)).toBe(ids[2]);
    expect(texts.textOf(holders[0] as object, ...(wordsOf[1] as [number, number, number, number]))).toBe(ids[1]);
  });
});
