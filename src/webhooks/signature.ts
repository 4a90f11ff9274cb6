import { createHmac, timingSafeEqual } from 'node:crypto';
import { err, ok, type Result } from '../core/result.js';

/**
 * Webhook signatures, as Stripe signs its webhooks:
 *
 *     Vigil-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * The key is the whole secret string as given at registration (`whsec_…`, UTF-8). The timestamp is
 * inside the signed text, so a captured request cannot be replayed later with a fresh `t`; the
 * receiver refuses timestamps outside its tolerance. Every retry is signed again with its own `t`.
 * Several `v1=` may appear (for a later secret rotation): one matching is enough.
 *
 * This file is the check client apps copy: it depends on nothing but node:crypto.
 */
export const SIGNATURE_HEADER = 'Vigil-Signature';
export const DELIVERY_HEADER = 'Vigil-Delivery';
export const EVENT_HEADER = 'Vigil-Event';

export type SignatureFailure = 'malformed header' | 'timestamp outside tolerance' | 'signature mismatch';

function hmacHex(secret: string, timestampSec: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestampSec}.`).update(body).digest('hex');
}

/** The `Vigil-Signature` header value for a body sent at `timestampSec`. */
export function sign(secret: string, timestampSec: number, body: string | Buffer): string {
  return `t=${timestampSec},v1=${hmacHex(secret, timestampSec, body)}`;
}

export interface VerifyInput {
  /** The `Vigil-Signature` header as received. */
  readonly header: string | undefined;
  /** The raw body, exactly as received: verify before parsing, never a re-serialised object. */
  readonly body: string | Buffer;
  readonly secret: string;
  /** How far `t` may be from now, either way; 5 minutes by default. */
  readonly toleranceSec?: number;
  readonly nowSec?: number;
}

/** Checks a delivery's signature; on success, the signed timestamp. */
export function verifySignature(input: VerifyInput): Result<{ readonly timestampSec: number }, SignatureFailure> {
  const { header, body, secret, toleranceSec = 300, nowSec = Math.floor(Date.now() / 1000) } = input;
  if (typeof header !== 'string' || header.length > 1000) return err('malformed header');
  let timestampSec: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq < 1) return err('malformed header');
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value) || timestampSec !== undefined) return err('malformed header');
      timestampSec = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(value)) return err('malformed header');
      signatures.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (v0, a later v2) are ignored, so a sender may add one without breaking receivers.
  }
  if (timestampSec === undefined || signatures.length === 0) return err('malformed header');

  const expected = Buffer.from(hmacHex(secret, timestampSec, body), 'hex');
  // Constant time: both buffers are 32 bytes, and every candidate is compared, matching or not.
  let matched = false;
  for (const candidate of signatures) matched = timingSafeEqual(candidate, expected) || matched;
  if (!matched) return err('signature mismatch');
  if (Math.abs(nowSec - timestampSec) > toleranceSec) return err('timestamp outside tolerance');
  return ok({ timestampSec });
}
