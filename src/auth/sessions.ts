import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuditRecorder } from '../audit/ports.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { FailureLimiter } from './failure-limiter.js';
import { decoyHash, verifyPassword } from './passwords.js';
import { actorOfPerson, type PeopleStore, type Person, type PersonRole } from './people.js';
import { EMAIL, normaliseEmail, type PeopleAdmin } from './people-admin.js';
import type { TotpCodes } from './totp.js';

export type StaffPersonRole = Exclude<PersonRole, 'member'>;

/** A session that ends after this long without a request, */
export const SESSION_IDLE_MS = 2 * 3_600_000;
/** and in any case this long after sign-in: a stolen cookie is worth a working day at most. */
export const SESSION_MAX_MS = 12 * 3_600_000;
/** last_seen_at is written at most this often, not on every request. */
const TOUCH_EVERY_MS = 60_000;

export interface SignedIn {
  readonly person: Person;
  readonly tokenHash: string;
  /** Sent with every state-changing request; derived from the session token, so nothing to store. */
  readonly csrfToken: string;
}

export type SignInProblem = Problem & { readonly retryAfterMs?: number };

export interface SessionServiceDependencies {
  readonly store: PeopleStore;
  readonly totp: TotpCodes;
  /** Subkey for CSRF tokens. */
  readonly csrfKey: Buffer;
  readonly audit: AuditRecorder;
  readonly clock: Clock;
  /** Creates the sign-in of someone new whom an identity provider vouched for. */
  readonly admin: Pick<PeopleAdmin, 'create'>;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Dashboard sign-in and sessions: password (and TOTP code) or single sign-on in, a server-side
 * session and its CSRF token out. Failed sign-ins are limited per email and per address: 5 wrong
 * tries lock that email out for 15 minutes, 20 from one address lock the address out.
 */
export class SessionService {
  private readonly failuresByEmail: FailureLimiter;
  private readonly failuresByAddress: FailureLimiter;

  constructor(private readonly deps: SessionServiceDependencies) {
    this.failuresByEmail = new FailureLimiter(deps.clock, 5, 15 * 60_000);
    this.failuresByAddress = new FailureLimiter(deps.clock, 20, 15 * 60_000);
  }

  async signIn(
    input: { readonly email: string; readonly password: string; readonly totp?: string },
    client: { readonly ip: string; readonly userAgent?: string },
  ): Promise<Result<{ token: string; session: SignedIn }, SignInProblem>> {
    const email = normaliseEmail(input.email);
    const wait = Math.max(this.failuresByEmail.retryAfterMs(email), this.failuresByAddress.retryAfterMs(client.ip));
    if (wait > 0) return err({ code: 'rate_limited', message: 'Too many failed sign-ins; try again later.', retryAfterMs: wait });

    const person = await this.deps.store.findByEmail(email);
    // The same argon2 work whether or not the email exists: the answer's timing tells nothing.
    const passwordOk = await verifyPassword(person?.passwordHash ?? (await decoyHash()), input.password);
    if (!person || !passwordOk) return this.failed(email, client.ip, 'invalid_credentials', 'Wrong email or password.');

    if (person.totpSecretSealed !== null) {
      // Asked for only after the password is right, so a guesser learns nothing about the 2FA state
      // of accounts whose password they do not have.
      if (input.totp === undefined) {
        return err({ code: 'totp_required', message: 'Enter the 6-digit code from your authenticator app.', path: '/totp' });
      }
      const step = this.deps.totp.check(person.totpSecretSealed, input.totp);
      if (step === undefined || !(await this.deps.store.claimTotpStep(person.id, step))) {
        return this.failed(email, client.ip, 'invalid_credentials', 'Wrong or already used authenticator code.', '/totp');
      }
    }

    return ok(await this.openSession(person, client, 'password'));
  }

  /**
   * Signs in a member of staff whom an identity provider vouched for (single sign-on): the provider
   * is the source of truth for who they are and which role they hold. Someone new gets a sign-in
   * with that role (and a random password nobody knows: they sign in through the provider); someone
   * known gets their role brought in line, audited. A member's email is refused: a shopper's
   * account never turns into staff through a provider's claim.
   */
  async signInExternal(
    identity: { readonly email: string; readonly role: StaffPersonRole; readonly provider: string },
    client: { readonly ip: string; readonly userAgent?: string },
  ): Promise<Result<{ token: string; session: SignedIn }, Problem>> {
    const email = normaliseEmail(identity.email);
    if (!EMAIL.test(email)) return err({ code: 'sso_failed', message: 'The identity provider gave no usable email.' });
    const actor = `sso:${identity.provider}`;
    let person = await this.deps.store.findByEmail(email);
    if (person?.role === 'member') {
      return err({ code: 'sso_no_role', message: `${email} signs in as a member, with a password; single sign-on is for staff.` });
    }
    if (!person) {
      const created = await this.deps.admin.create({ email, role: identity.role, password: randomBytes(32).toString('base64url') }, actor);
      if (!created.ok) return created;
      person = await this.deps.store.findByEmail(email);
      if (!person) return err({ code: 'internal_error', message: 'The new sign-in was not stored.' });
    } else if (person.role !== identity.role) {
      await this.deps.store.update(person.id, { role: identity.role });
      await this.deps.audit.record(actor, 'person.role_changed', `person:${person.id}`, { email, from: person.role, to: identity.role });
      person = { ...person, role: identity.role };
    }
    return ok(await this.openSession(person, client, 'sso'));
  }

  private async openSession(
    person: Person,
    client: { readonly ip: string; readonly userAgent?: string },
    via: 'password' | 'sso',
  ): Promise<{ token: string; session: SignedIn }> {
    const token = randomBytes(32).toString('base64url');
    const now = this.deps.clock.now();
    const tokenHash = hashToken(token);
    await this.deps.store.insertSession({
      tokenHash,
      personId: person.id,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + SESSION_MAX_MS,
      ip: client.ip,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
    });
    await this.deps.store.update(person.id, { lastSignInAt: now });
    await this.deps.audit.record(actorOfPerson(person), 'person.signed_in', `person:${person.id}`, {
      ip: client.ip,
      ...(via === 'sso' && { via }),
    });
    return { token, session: { person, tokenHash, csrfToken: this.csrfFor(token) } };
  }

  /** The signed-in person behind a session cookie, or undefined when it is unknown, idle or expired. */
  async resume(token: string): Promise<SignedIn | undefined> {
    if (token.length < 32 || token.length > 64) return undefined;
    const tokenHash = hashToken(token);
    const session = await this.deps.store.findSession(tokenHash);
    if (!session) return undefined;
    const now = this.deps.clock.now();
    if (now >= session.expiresAt || now - session.lastSeenAt >= SESSION_IDLE_MS) {
      await this.deps.store.deleteSession(tokenHash);
      return undefined;
    }
    const person = await this.deps.store.findById(session.personId);
    if (!person) return undefined;
    if (now - session.lastSeenAt >= TOUCH_EVERY_MS) await this.deps.store.touchSession(tokenHash, now);
    return { person, tokenHash, csrfToken: this.csrfFor(token) };
  }

  /** Whether the header a request sent is this session's CSRF token; constant time. */
  csrfMatches(session: SignedIn, presented: string | undefined): boolean {
    if (presented === undefined) return false;
    const expected = Buffer.from(session.csrfToken);
    const given = Buffer.from(presented);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  async signOut(session: SignedIn): Promise<void> {
    await this.deps.store.deleteSession(session.tokenHash);
    await this.deps.audit.record(actorOfPerson(session.person), 'person.signed_out', `person:${session.person.id}`);
  }

  /** Drops sessions past their idle or absolute limit; run now and then, not per request. */
  purgeExpired(): Promise<number> {
    return this.deps.store.deleteExpiredSessions(this.deps.clock.now(), SESSION_IDLE_MS);
  }

  private async failed(email: string, ip: string, code: 'invalid_credentials', message: string, path?: string) {
    this.failuresByEmail.recordFailure(email);
    this.failuresByAddress.recordFailure(ip);
    if (this.failuresByEmail.retryAfterMs(email) > 0 || this.failuresByAddress.retryAfterMs(ip) > 0) {
      // Recorded once, when the limit is reached, so the log shows attacks without being flooded.
      await this.deps.audit.record('vigil', 'person.sign_in_blocked', `email:${email}`, { ip });
    }
    return err<SignInProblem>({ code, message, ...(path !== undefined && { path }) });
  }

  private csrfFor(token: string): string {
    return createHmac('sha256', this.deps.csrfKey).update(token).digest('base64url');
  }
}
