import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import QRCode from 'qrcode';
import type { AuditRecorder } from '../audit/ports.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { err, ok, type Result } from '../core/result.js';
import { FailureLimiter } from './failure-limiter.js';
import { decoyHash, hashPassword, verifyPassword } from './passwords.js';
import type { PeopleStore, Person, PersonRole, PersonView } from './people.js';

export type StaffPersonRole = Exclude<PersonRole, 'member'>;

import { actorOfPerson, MIN_PASSWORD_LENGTH, viewPerson } from './people.js';
import type { TotpCodes } from './totp.js';

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

export interface NewPerson {
  readonly email: string;
  readonly password: string;
  readonly role: PersonRole;
  readonly user?: string;
}

export type SignInProblem = Problem & { readonly retryAfterMs?: number };

/** Wrong authenticator codes on the two-factor routes, per person, before they answer 429. */
export const MAX_TOTP_CODE_FAILURES = 5;
export const TOTP_CODE_FAILURE_WINDOW_MS = 15 * 60_000;

export interface PeopleServiceDependencies {
  readonly store: PeopleStore;
  readonly totp: TotpCodes;
  /** Subkey for CSRF tokens. */
  readonly csrfKey: Buffer;
  readonly audit: AuditRecorder;
  readonly clock: Clock;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
const normaliseEmail = (email: string) => email.trim().toLowerCase();
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Dashboard sign-in: people, their argon2id passwords, server-side sessions, CSRF tokens and
 * optional TOTP. Failed sign-ins are limited per email and per address: 5 wrong tries lock that
 * email out for 15 minutes, 20 from one address lock the address out.
 */
export class PeopleService {
  private readonly failuresByEmail: FailureLimiter;
  private readonly failuresByAddress: FailureLimiter;
  /** Wrong codes on the two-factor routes (enrol, confirm, turn off), per person id. */
  private readonly totpCodeFailures: FailureLimiter;

  constructor(private readonly deps: PeopleServiceDependencies) {
    this.failuresByEmail = new FailureLimiter(deps.clock, 5, 15 * 60_000);
    this.failuresByAddress = new FailureLimiter(deps.clock, 20, 15 * 60_000);
    this.totpCodeFailures = new FailureLimiter(deps.clock, MAX_TOTP_CODE_FAILURES, TOTP_CODE_FAILURE_WINDOW_MS);
  }

  async create(input: NewPerson, actor: string): Promise<Result<PersonView, Problem>> {
    const email = normaliseEmail(input.email);
    if (!EMAIL.test(email)) return err({ code: 'invalid_body', message: `"${input.email}" is not an email address.`, path: '/email' });
    if (input.password.length < MIN_PASSWORD_LENGTH) {
      return err({ code: 'weak_password', message: `A password needs at least ${MIN_PASSWORD_LENGTH} characters.`, path: '/password' });
    }
    if (input.role === 'member' && !input.user) {
      return err({ code: 'invalid_body', message: 'A member is tied to the user id of their events.', path: '/user' });
    }
    const person: Person = {
      id: newId('per'),
      email,
      role: input.role,
      user: input.role === 'member' ? (input.user ?? null) : null,
      passwordHash: await hashPassword(input.password),
      totpSecretSealed: null,
      totpPendingSealed: null,
      totpLastStep: null,
      createdAt: this.deps.clock.now(),
      createdBy: actor,
      lastSignInAt: null,
    };
    if (!(await this.deps.store.insert(person))) {
      return err({ code: 'email_taken', message: `Someone already signs in as ${email}.`, path: '/email' });
    }
    await this.deps.audit.record(actor, 'person.created', `person:${person.id}`, { email, role: person.role, user: person.user });
    return ok(viewPerson(person));
  }

  /**
   * Gives a member of staff another staff role (admin, analyst, viewer). A member's sign-in is tied
   * to their shopper account and stays a member; the last admin is not demoted, so someone can always
   * manage people. The new role holds from the person's next request: sessions read it each time.
   */
  async changeRole(id: string, role: PersonRole, actor: string): Promise<Result<PersonView, Problem>> {
    const person = await this.deps.store.findById(id);
    if (!person) return err({ code: 'not_found', message: `No person ${id}.` });
    if (person.role === 'member' || role === 'member') {
      return err({
        code: 'invalid_body',
        message: 'Members stay members, and staff stay staff: give a new sign-in instead.',
        path: '/role',
      });
    }
    if (person.role === role) return ok(viewPerson(person));
    if (person.role === 'admin' && (await this.deps.store.countAdmins()) <= 1) {
      return err({ code: 'invalid_transition', message: 'This is the last admin: make someone else admin first.', path: '/role' });
    }
    await this.deps.store.update(id, { role });
    await this.deps.audit.record(actor, 'person.role_changed', `person:${id}`, { email: person.email, from: person.role, to: role });
    return ok(viewPerson({ ...person, role }));
  }

  async list(): Promise<readonly PersonView[]> {
    return (await this.deps.store.list()).map(viewPerson);
  }

  async hasAdmin(): Promise<boolean> {
    return (await this.deps.store.countAdmins()) > 0;
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
      const created = await this.create({ email, role: identity.role, password: randomBytes(32).toString('base64url') }, actor);
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

  /**
   * Starts TOTP enrolment: a new secret, kept pending until a code from it is confirmed. With
   * two-factor sign-in already on, replacing it takes a current code from the enrolled
   * authenticator: a session alone (a stolen cookie, an unlocked screen) must not swap the second
   * factor for the attacker's and so end the owner's sessions (ASVS 3.7.1: re-authenticate before
   * sensitive account changes, here with the strongest factor the person has).
   */
  async startTotp(
    session: SignedIn,
    currentCode?: string,
  ): Promise<Result<{ secret: string; otpauthUrl: string; qrDataUrl: string }, SignInProblem>> {
    const person = await this.deps.store.findById(session.person.id);
    if (!person) return err({ code: 'not_found', message: 'This person no longer exists.' });
    if (person.totpSecretSealed !== null) {
      const checked = await this.checkCurrentCode(person, person.totpSecretSealed, currentCode, 'replace');
      if (!checked.ok) return checked;
    } else {
      const wait = this.totpCodeFailures.retryAfterMs(person.id);
      if (wait > 0) return err(this.tooManyCodes(wait));
    }
    const created = this.deps.totp.create(person.email);
    await this.deps.store.update(person.id, { totpPendingSealed: created.sealed });
    return ok({
      secret: created.secret,
      otpauthUrl: created.otpauthUrl,
      qrDataUrl: await QRCode.toDataURL(created.otpauthUrl, { margin: 1 }),
    });
  }

  async confirmTotp(session: SignedIn, code: string): Promise<Result<PersonView, SignInProblem>> {
    const person = await this.deps.store.findById(session.person.id);
    if (!person?.totpPendingSealed) {
      return err({ code: 'invalid_transition', message: 'Start enrolment first: POST /v1/session/totp.' });
    }
    const wait = this.totpCodeFailures.retryAfterMs(person.id);
    if (wait > 0) return err(this.tooManyCodes(wait));
    const step = this.deps.totp.check(person.totpPendingSealed, code);
    if (step === undefined) {
      await this.codeFailed(person, 'confirm');
      return err({ code: 'invalid_code', message: 'That code does not match; check the time on your phone.', path: '/code' });
    }
    await this.deps.store.update(person.id, { totpSecretSealed: person.totpPendingSealed, totpPendingSealed: null, totpLastStep: step });
    // Other sessions were opened without the second factor: they end now.
    await this.deps.store.deleteSessionsOf(person.id, session.tokenHash);
    await this.deps.audit.record(actorOfPerson(person), 'person.totp_enabled', `person:${person.id}`);
    return ok(viewPerson({ ...person, totpSecretSealed: person.totpPendingSealed }));
  }

  /** Turns two-factor sign-in off: takes a current code, and wrong codes count towards the limit. */
  async disableTotp(session: SignedIn, code: string): Promise<Result<PersonView, SignInProblem>> {
    const person = await this.deps.store.findById(session.person.id);
    if (!person?.totpSecretSealed) return err({ code: 'invalid_transition', message: 'Two-factor sign-in is not on.' });
    const checked = await this.checkCurrentCode(person, person.totpSecretSealed, code, 'disable');
    if (!checked.ok) return checked;
    await this.deps.store.update(person.id, { totpSecretSealed: null, totpPendingSealed: null });
    await this.deps.audit.record(actorOfPerson(person), 'person.totp_disabled', `person:${person.id}`);
    return ok(viewPerson({ ...person, totpSecretSealed: null }));
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

  /**
   * A current, unused code of the enrolled secret, as re-authentication for changing two-factor
   * sign-in. Past MAX_TOTP_CODE_FAILURES wrong codes in the window the person gets 429 whatever they
   * send, so a session cannot guess its way through the million codes.
   */
  private async checkCurrentCode(
    person: Person,
    sealed: string,
    code: string | undefined,
    action: 'replace' | 'disable',
  ): Promise<Result<void, SignInProblem>> {
    const wait = this.totpCodeFailures.retryAfterMs(person.id);
    if (wait > 0) return err(this.tooManyCodes(wait));
    if (code === undefined) {
      return err({
        code: 'invalid_code',
        message: 'Two-factor sign-in is on: send a current code from your authenticator app to change it.',
        path: '/code',
      });
    }
    const step = this.deps.totp.check(sealed, code);
    if (step === undefined || !(await this.deps.store.claimTotpStep(person.id, step))) {
      await this.codeFailed(person, action);
      return err({ code: 'invalid_code', message: 'That code does not match, or was used already.', path: '/code' });
    }
    return ok(undefined);
  }

  private async codeFailed(person: Person, action: 'replace' | 'confirm' | 'disable'): Promise<void> {
    this.totpCodeFailures.recordFailure(person.id);
    const subject = `person:${person.id}`;
    await this.deps.audit.record(actorOfPerson(person), 'person.totp_code_rejected', subject, { action });
    if (this.totpCodeFailures.retryAfterMs(person.id) > 0) {
      // Once, when the limit is reached.
      await this.deps.audit.record('vigil', 'person.totp_change_blocked', subject, { action });
    }
  }

  private tooManyCodes(retryAfterMs: number): SignInProblem {
    return { code: 'rate_limited', message: 'Too many wrong authenticator codes; try again later.', retryAfterMs };
  }

  private csrfFor(token: string): string {
    return createHmac('sha256', this.deps.csrfKey).update(token).digest('base64url');
  }
}
