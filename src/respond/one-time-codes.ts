import { randomInt, timingSafeEqual } from 'node:crypto';
import type { AuditRecorder } from '../audit/ports.js';
import { ServerSecret } from '../auth/server-secret.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { err, ok, type Result } from '../core/result.js';
import type { AccountStore, CodeChannel, CodePurpose, Contact, MessageSender, StoredCode } from './ports.js';

export const CODE_TTL_MS = 10 * 60_000;
export const MAX_FAILED_ATTEMPTS = 5;
export const MIN_INTERVAL_MS = 60_000;
/**
 * Codes per account per day. With 5 tries per code, a guesser gets 50 tries a day at a 6-digit code:
 * a 1-in-20,000 chance, where the once-a-minute limit alone would allow 7,200 tries.
 */
export const MAX_CODES_PER_DAY = 10;

export interface SentCode {
  readonly codeId: string;
  readonly channel: CodeChannel;
  /** The destination, masked: enough for the user to recognise it, not to learn it. */
  readonly to: string;
  readonly expiresAt: number;
}

export type CodeProblem = Problem & { readonly retryAfterMs?: number; readonly attemptsLeft?: number };

/**
 * One-time codes: 6 digits from a CSPRNG, stored as an HMAC under the server's secret (never in clear,
 * never logged), valid 10 minutes, 5 wrong tries, at most one a minute and ten a day per account. Only
 * the newest code of a purpose counts: asking for a new one retires the old.
 */
export class OneTimeCodes {
  private readonly key: Buffer;

  constructor(
    private readonly deps: {
      readonly accounts: AccountStore;
      readonly sender: MessageSender;
      readonly audit: AuditRecorder;
      readonly secret: ServerSecret;
      readonly clock: Clock;
    },
  ) {
    this.key = deps.secret.subkey('one-time-codes');
  }

  async send(
    user: string,
    contact: Contact,
    purpose: CodePurpose,
    options: { readonly channel?: CodeChannel; readonly alertId?: string; readonly actor: string },
  ): Promise<Result<SentCode, CodeProblem>> {
    const channel: CodeChannel | undefined =
      options.channel ?? (contact.email !== undefined ? 'email' : contact.phone !== undefined ? 'sms' : undefined);
    const to = channel === 'email' ? contact.email : channel === 'sms' ? contact.phone : undefined;
    if (channel === undefined || to === undefined) {
      return err({
        code: 'no_contact',
        message: `No ${options.channel === 'sms' ? 'phone number' : options.channel === 'email' ? 'email address' : 'email address or phone number'} is known for ${user}: set one with PUT /v1/accounts/${encodeURIComponent(user)}/contact.`,
      });
    }
    const now = this.deps.clock.now();
    const last = await this.deps.accounts.latestCode(user, purpose);
    if (last && now - last.createdAt < MIN_INTERVAL_MS) {
      const retryAfterMs = MIN_INTERVAL_MS - (now - last.createdAt);
      return err({
        code: 'rate_limited',
        message: `A code was sent less than a minute ago; ask again in ${Math.ceil(retryAfterMs / 1000)} s.`,
        retryAfterMs,
      });
    }
    if ((await this.deps.accounts.countCodesSince(user, now - 86_400_000)) >= MAX_CODES_PER_DAY) {
      return err({
        code: 'rate_limited',
        message: `${MAX_CODES_PER_DAY} codes were sent to ${user} in the last 24 hours; ask an admin to unlock.`,
        retryAfterMs: 3_600_000,
      });
    }

    const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
    const id = newId('otp', now);
    const stored: StoredCode = {
      id,
      user,
      purpose,
      ...(options.alertId !== undefined && { alertId: options.alertId }),
      channel,
      codeHash: this.hash(id, code),
      createdAt: now,
      expiresAt: now + CODE_TTL_MS,
      failedAttempts: 0,
      usedAt: null,
    };
    await this.deps.accounts.insertCode(stored);
    const what = purpose === 'unlock' ? 'unlock your account' : 'confirm that the flagged activity was yours';
    const sent = await this.deps.sender.send({
      channel,
      to,
      user,
      subject: purpose === 'unlock' ? 'Your account unlock code' : 'Your confirmation code',
      text: `Your code to ${what} is ${code}. It expires in 10 minutes. If you did not ask for it, change your password.`,
    });
    if (!sent.ok) {
      // The code never reached anyone: retire it so it does not count against a retry.
      await this.deps.accounts.markCodeUsed(id, now);
      await this.deps.audit.record(options.actor, 'code.failed', `account:${user}`, { codeId: id, purpose, channel, stage: 'delivery' });
      return err({
        code: 'delivery_failed',
        message: `The ${channel === 'email' ? 'email' : 'SMS'} could not be sent: ${sent.error.reason}`,
      });
    }
    const masked = channel === 'email' ? maskEmail(to) : maskPhone(to);
    await this.deps.audit.record(options.actor, 'code.sent', `account:${user}`, { codeId: id, purpose, channel, to: masked });
    return ok({ codeId: id, channel, to: masked, expiresAt: stored.expiresAt });
  }

  /** Sends a code to the account's own contact (see `send`). */
  async sendToOwner(
    user: string,
    purpose: CodePurpose,
    options: { readonly channel?: CodeChannel; readonly alertId?: string; readonly actor: string },
  ): Promise<Result<SentCode, CodeProblem>> {
    const account = await this.deps.accounts.get(user);
    return this.send(user, account?.contact ?? {}, purpose, options);
  }

  /** Checks a code against the newest one of this purpose; uses it up on success. */
  async verify(
    user: string,
    purpose: CodePurpose,
    code: string,
    options: { readonly alertId?: string; readonly actor: string },
  ): Promise<Result<StoredCode, CodeProblem>> {
    const now = this.deps.clock.now();
    const latest = await this.deps.accounts.latestCode(user, purpose);
    const subject = `account:${user}`;
    if (!latest || latest.usedAt !== null || (options.alertId !== undefined && latest.alertId !== options.alertId)) {
      return err({ code: 'invalid_code', message: 'No code is waiting to be used: ask for a new one.', path: '/code' });
    }
    if (latest.expiresAt <= now) {
      await this.deps.audit.record(options.actor, 'code.failed', subject, { codeId: latest.id, purpose, stage: 'expired' });
      return err({ code: 'code_expired', message: 'The code has expired: ask for a new one.', path: '/code' });
    }
    if (latest.failedAttempts >= MAX_FAILED_ATTEMPTS) {
      // Tries at a retired code are recorded too: they are what a guesser's look like.
      await this.deps.audit.record(options.actor, 'code.failed', subject, { codeId: latest.id, purpose, stage: 'retired' });
      return err({ code: 'too_many_attempts', message: `${MAX_FAILED_ATTEMPTS} wrong codes: ask for a new one.`, path: '/code' });
    }
    if (!/^\d{6}$/.test(code) || !constantTimeEqual(this.hash(latest.id, code), latest.codeHash)) {
      const counted = await this.deps.accounts.recordFailedAttempt(latest.id, MAX_FAILED_ATTEMPTS);
      const attemptsLeft = Math.max(0, MAX_FAILED_ATTEMPTS - latest.failedAttempts - 1);
      await this.deps.audit.record(options.actor, 'code.failed', subject, { codeId: latest.id, purpose, attemptsLeft });
      if (!counted || attemptsLeft === 0) {
        return err({
          code: 'too_many_attempts',
          message: `${MAX_FAILED_ATTEMPTS} wrong codes: ask for a new one.`,
          path: '/code',
          attemptsLeft: 0,
        });
      }
      return err({
        code: 'invalid_code',
        message: `Wrong code; ${attemptsLeft} ${attemptsLeft === 1 ? 'try' : 'tries'} left.`,
        path: '/code',
        attemptsLeft,
      });
    }
    // Used up atomically: of two requests racing with the right code, one wins.
    if (!(await this.deps.accounts.markCodeUsed(latest.id, now))) {
      return err({ code: 'invalid_code', message: 'No code is waiting to be used: ask for a new one.', path: '/code' });
    }
    await this.deps.audit.record(options.actor, 'code.verified', subject, { codeId: latest.id, purpose });
    return ok(latest);
  }

  /** Bound to the code's id, so a hash copied onto another code row does not verify there. */
  private hash(id: string, code: string): string {
    return ServerSecret.hmac(this.key, `${id}:${code}`);
  }
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

export function maskPhone(phone: string): string {
  const digits = phone.replace(/\s/g, '');
  return digits.length <= 4 ? '***' : `${digits.slice(0, 3)}${'*'.repeat(Math.max(3, digits.length - 5))}${digits.slice(-2)}`;
}
