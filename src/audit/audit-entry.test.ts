import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type AuditDraft,
  type AuditEntry,
  auditDetails,
  canonicalJson,
  chainDrafts,
  GENESIS_HASH,
  hashEntry,
  verifyChain,
} from './audit-entry.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

const draft = (i: number, details: AuditDraft['details'] = { n: i }): AuditDraft => ({
  at: 1_700_000_000_000 + i,
  actor: 'vigil',
  action: 'account.locked',
  subject: `account:u${i}`,
  details,
});

/** Five chained entries, #1 to #5. */
const chain = (): AuditEntry[] =>
  chainDrafts(
    undefined,
    [1, 2, 3, 4, 5].map((i) => draft(i)),
  );

describe('hashEntry', () => {
  it('is SHA-256 over the documented canonical text, written out by hand', () => {
    const entry = {
      seq: 1,
      at: 1_700_000_000_000,
      actor: 'cli',
      action: 'key.created' as const,
      subject: 'key:key_1',
      details: { role: 'admin', keyId: 'key_1', prefix: 'vgl_admin_abcd…' },
    };
    const text =
      '{"action":"key.created","actor":"cli","at":1700000000000,' +
      '"details":{"keyId":"key_1","prefix":"vgl_admin_abcd…","role":"admin"},' +
      `"prevHash":"${'0'.repeat(64)}","seq":1,"subject":"key:key_1"}`;
    expect(hashEntry(GENESIS_HASH, entry)).toBe(sha256(text));
    expect(GENESIS_HASH).toBe('0'.repeat(64));
  });

  it('sorts keys at every depth, keeps array order, and writes no whitespace', () => {
    const prev = 'ab'.repeat(32);
    const entry = {
      seq: 42,
      at: 5,
      actor: 'ops (key_X)',
      action: 'alert.resolved' as const,
      subject: 'alert:alrt_1',
      details: { z: [3, { y: true, b: null }, 'é"\n'], a: { d: -1.5, c: 'x' } },
    };
    const text =
      '{"action":"alert.resolved","actor":"ops (key_X)","at":5,' +
      '"details":{"a":{"c":"x","d":-1.5},"z":[3,{"b":null,"y":true},"é\\"\\n"]},' +
      `"prevHash":"${prev}","seq":42,"subject":"alert:alrt_1"}`;
    expect(hashEntry(prev, entry)).toBe(sha256(text));
  });

  it('does not depend on the order details were written in, nor on a round trip through JSON', () => {
    const a = { ...draft(1), seq: 1, details: { b: 1, a: { d: 2, c: [1, 2] } } };
    const b = { ...draft(1), seq: 1, details: { a: { c: [1, 2], d: 2 }, b: 1 } };
    const reparsed = { ...a, details: JSON.parse(JSON.stringify(a.details)) };
    expect(hashEntry(GENESIS_HASH, a)).toBe(hashEntry(GENESIS_HASH, b));
    expect(hashEntry(GENESIS_HASH, reparsed)).toBe(hashEntry(GENESIS_HASH, a));
    expect(canonicalJson(b.details)).toBe('{"a":{"c":[1,2],"d":2},"b":1}');
  });

  it('changes with every field, the previous hash included', () => {
    const base = { ...draft(1), seq: 1 };
    const h = hashEntry(GENESIS_HASH, base);
    expect(hashEntry('1'.repeat(64), base)).not.toBe(h);
    expect(hashEntry(GENESIS_HASH, { ...base, seq: 2 })).not.toBe(h);
    expect(hashEntry(GENESIS_HASH, { ...base, at: base.at + 1 })).not.toBe(h);
    expect(hashEntry(GENESIS_HASH, { ...base, actor: 'cli' })).not.toBe(h);
    expect(hashEntry(GENESIS_HASH, { ...base, action: 'account.unlocked' })).not.toBe(h);
    expect(hashEntry(GENESIS_HASH, { ...base, subject: 'account:other' })).not.toBe(h);
    expect(hashEntry(GENESIS_HASH, { ...base, details: { n: 2 } })).not.toBe(h);
  });
});

describe('chainDrafts', () => {
  it('numbers after the tail and links each entry to the one before', () => {
    const [first, second] = chain();
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
    expect(second).toMatchObject({ seq: 2, prevHash: first?.hash });
    const more = chainDrafts({ seq: 5, hash: 'f'.repeat(64) }, [draft(6)]);
    expect(more[0]).toMatchObject({ seq: 6, prevHash: 'f'.repeat(64) });
    expect(more[0]?.hash).toBe(hashEntry('f'.repeat(64), { ...draft(6), seq: 6 }));
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain, and an empty one', () => {
    expect(verifyChain(chain())).toEqual({ ok: true, entries: 5 });
    expect(verifyChain([])).toEqual({ ok: true, entries: 0 });
  });

  it('continues a chain from a given previous hash and number', () => {
    const all = chain();
    const third = all[2] as AuditEntry;
    expect(verifyChain(all.slice(3), third.hash, 4)).toEqual({ ok: true, entries: 2 });
    expect(verifyChain(all.slice(3), GENESIS_HASH, 4)).toEqual({ ok: false, entries: 0, broken: { seq: 4, reason: 'chain break' } });
  });

  it('finds an edited entry as a hash mismatch at that entry', () => {
    const all = chain();
    all[2] = { ...(all[2] as AuditEntry), details: { n: 999 } };
    expect(verifyChain(all)).toEqual({ ok: false, entries: 2, broken: { seq: 3, reason: 'hash mismatch' } });
  });

  it('finds an edited hash as a hash mismatch at that entry', () => {
    const all = chain();
    all[1] = { ...(all[1] as AuditEntry), hash: 'e'.repeat(64) };
    expect(verifyChain(all)).toEqual({ ok: false, entries: 1, broken: { seq: 2, reason: 'hash mismatch' } });
  });

  it('finds an entry rewritten with a recomputed hash as a chain break at the next one', () => {
    const all = chain();
    const edited = { ...(all[2] as AuditEntry), actor: 'someone else' };
    all[2] = { ...edited, hash: hashEntry(edited.prevHash, edited) };
    expect(verifyChain(all)).toEqual({ ok: false, entries: 3, broken: { seq: 4, reason: 'chain break' } });
  });

  it('names the missing number when an entry was deleted', () => {
    const all = chain();
    expect(verifyChain([...all.slice(0, 2), ...all.slice(3)])).toEqual({ ok: false, entries: 2, broken: { seq: 3, reason: 'gap' } });
    expect(verifyChain(all.slice(1))).toEqual({ ok: false, entries: 0, broken: { seq: 1, reason: 'gap' } });
  });
});

describe('auditDetails', () => {
  it.each([
    [{ code: '123456' }, '/code'],
    [{ otpCode: '123456' }, '/otpCode'],
    [{ secret: 'x' }, '/secret'],
    [{ clientSecret: 'x' }, '/clientSecret'],
    [{ password: 'x' }, '/password'],
    [{ newPassword: 'x' }, '/newPassword'],
    [{ token: 'x' }, '/token'],
    [{ accessToken: 'x' }, '/accessToken'],
    [{ key: 'vgl_admin_…' }, '/key'],
    [{ KEY: 'vgl_admin_…' }, '/KEY'],
    [{ outer: { inner: [{ ok: 1 }, { Code: '1' }] } }, '/outer/inner/1/Code'],
  ])('refuses a key that names a secret, at any depth: %o', (details, path) => {
    expect(() => auditDetails(details)).toThrow(`refused key ${path}`);
  });

  it('lets identifying keys through', () => {
    const ok = { codeId: 'otp_1', keyId: 'key_1', prefix: 'vgl_admin_ab…', keys: 2, monkey: 'no', purpose: 'unlock' };
    expect(auditDetails(ok)).toEqual(ok);
  });

  it('drops undefined members, writes dates as ISO 8601, and refuses what JSON cannot hold', () => {
    expect(auditDetails({ a: undefined, b: [undefined, 1], at: new Date(0) })).toEqual({ b: [null, 1], at: '1970-01-01T00:00:00.000Z' });
    expect(() => auditDetails({ n: Number.NaN })).toThrow(TypeError);
    expect(() => auditDetails({ n: Number.POSITIVE_INFINITY })).toThrow(TypeError);
    expect(() => auditDetails({ m: new Map() })).toThrow(TypeError);
    expect(() => auditDetails({ f: () => 1 })).toThrow(TypeError);
    expect(() => auditDetails({ b: BigInt(1) })).toThrow(TypeError);
  });
});
