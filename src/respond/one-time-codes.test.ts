import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../test/support/database.js';
import { ServerSecret } from '../auth/server-secret.js';
import { err, ok } from '../core/result.js';
import { SqlAccountStore } from '../store/account-store.js';
import { type DatabaseHandle, openDatabase } from '../store/database.js';
import { OneTimeCodes } from './one-time-codes.js';
import type { MessageSender } from './ports.js';

// The real account store on the suite's database (SQLite, or PostgreSQL when VIGIL_TEST_DATABASE_URL is set).
const NOW = Date.parse('2026-11-24T12:00:00Z');
const clock = { now: () => NOW };
let db: TestDatabase;
let handle: DatabaseHandle;
const audited: Array<[action: string, details: Record<string, unknown>]> = [];
const audit = {
  record: async (_actor: string, action: string, _subject: string, details: Record<string, unknown> = {}) =>
    audited.push([action, details]),
};

beforeEach(async () => {
  db = await freshDatabase();
  handle = await openDatabase(db.target, { migrate: true });
  audited.length = 0;
});
afterEach(async () => {
  await handle.close();
  await db.drop();
});

function codesSentThrough(sender: MessageSender) {
  const accounts = new SqlAccountStore(handle);
  return { accounts, codes: new OneTimeCodes({ accounts, sender, audit, secret: ServerSecret.fromBytes(Buffer.alloc(32, 3)), clock }) };
}

describe('one-time codes and their sender', () => {
  it('a transport that did not take the message is a delivery_failed answer, and the code is retired', async () => {
    // The sender answers with a value, as the notifier does: nothing is thrown for an expected failure.
    const { accounts, codes } = codesSentThrough({ send: async () => err({ reason: 'SMTP server refused the connection' }) });
    const sent = await codes.send('alice', { email: 'alice@example.com' }, 'unlock', { actor: 'vigil' });
    expect(sent).toEqual({
      ok: false,
      error: { code: 'delivery_failed', message: 'The email could not be sent: SMTP server refused the connection' },
    });
    expect((await accounts.latestCode('alice', 'unlock'))?.usedAt).toBe(NOW);
    expect(audited).toEqual([['code.failed', expect.objectContaining({ purpose: 'unlock', channel: 'email', stage: 'delivery' })]]);
  });

  it('sends to the account’s own contact, masked in the answer', async () => {
    const messages: string[] = [];
    const { accounts, codes } = codesSentThrough({
      send: async (m) => {
        messages.push(m.to);
        return ok({});
      },
    });
    await accounts.setContact('bob', { phone: '+447700900123' }, NOW);
    const sent = await codes.sendToOwner('bob', 'confirm', { actor: 'user:bob' });
    expect(sent.ok && sent.value).toMatchObject({ channel: 'sms', to: '+44********23' });
    expect(messages).toEqual(['+447700900123']);
  });
});
