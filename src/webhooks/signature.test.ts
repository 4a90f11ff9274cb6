import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sign, verifySignature } from './signature.js';

const secret = 'whsec_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';
const body = JSON.stringify({ id: 'whd_1', type: 'account.locked', createdAt: '2026-05-01T10:00:00.000Z', data: { user: 'alice' } });
const t = 1_777_629_600;

describe('sign', () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(sign(secret, t, body)).toBe(`t=${t},v1=${expected}`);
    expect(sign(secret, t, Buffer.from(body))).toBe(sign(secret, t, body));
  });
});

describe('verifySignature', () => {
  const header = sign(secret, t, body);

  it('accepts a good signature within the tolerance, either side of now', () => {
    expect(verifySignature({ header, body, secret, nowSec: t })).toEqual({ ok: true, value: { timestampSec: t } });
    expect(verifySignature({ header, body: Buffer.from(body), secret, nowSec: t + 300 }).ok).toBe(true);
    expect(verifySignature({ header, body, secret, nowSec: t - 300 }).ok).toBe(true);
  });

  it('accepts the header when one of several v1 signatures matches (secret rotation)', () => {
    const other = sign('whsec_old', t, body).split(',')[1];
    expect(verifySignature({ header: `t=${t},${other},${header.split(',')[1]}`, body, secret, nowSec: t }).ok).toBe(true);
  });

  it.each([
    ['a tampered body', { body: body.replace('alice', 'mallory') }, 'signature mismatch'],
    ['a body with one more space', { body: `${body} ` }, 'signature mismatch'],
    ['the wrong secret', { secret: 'whsec_somebody-else' }, 'signature mismatch'],
    ['a timestamp changed after signing', { header: header.replace(`t=${t}`, `t=${t + 1}`), nowSec: t + 1 }, 'signature mismatch'],
    ['a stale timestamp', { nowSec: t + 301 }, 'timestamp outside tolerance'],
    ['a timestamp from the future', { nowSec: t - 301 }, 'timestamp outside tolerance'],
    ['a tighter tolerance', { nowSec: t + 61, toleranceSec: 60 }, 'timestamp outside tolerance'],
    ['no header', { header: undefined }, 'malformed header'],
    ['an empty header', { header: '' }, 'malformed header'],
    ['no timestamp', { header: header.split(',')[1] }, 'malformed header'],
    ['no signature', { header: `t=${t}` }, 'malformed header'],
    ['a timestamp that is not a number', { header: header.replace(`t=${t}`, 't=soon') }, 'malformed header'],
    ['two timestamps', { header: `t=${t},${header}` }, 'malformed header'],
    ['a short signature', { header: `t=${t},v1=abcd` }, 'malformed header'],
    ['a signature that is not hex', { header: `t=${t},v1=${'z'.repeat(64)}` }, 'malformed header'],
    ['garbage', { header: 'Bearer whatever' }, 'malformed header'],
  ] as const)('rejects %s', (_name, change, reason) => {
    expect(verifySignature({ header, body, secret, nowSec: t, ...change })).toEqual({ ok: false, error: reason });
  });

  it('ignores schemes it does not know', () => {
    expect(verifySignature({ header: `${header},v0=legacy`, body, secret, nowSec: t }).ok).toBe(true);
  });
});
