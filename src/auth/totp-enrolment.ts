import type { AuditRecorder } from '../audit/ports.js';
import type { Clock } from '../core/clock.js';
import { err, ok, type Result } from '../core/result.js';
import { FailureLimiter } from './failure-limiter.js';
import { actorOfPerson, type PeopleStore, type Person, type PersonView, viewPerson } from './people.js';
import type { SignedIn, SignInProblem } from './sessions.js';
import type { TotpCodes } from './totp.js';

/** Wrong authenticator codes on the two-factor routes, per person, before they answer 429. */
export const MAX_TOTP_CODE_FAILURES = 5;
export const TOTP_CODE_FAILURE_WINDOW_MS = 15 * 60_000;

export interface TotpEnrolmentDependencies {
  readonly store: PeopleStore;
  readonly totp: TotpCodes;
  readonly audit: AuditRecorder;
  readonly clock: Clock;
}

/**
 * Two-factor sign-in of a signed-in person: turned on (enrol, then confirm a code), replaced or
 * turned off with a current code, wrong codes limited per person and audited.
 */
export class TotpEnrolment {
  /** Wrong codes on the two-factor routes (enrol, confirm, turn off), per person id. */
  private readonly totpCodeFailures: FailureLimiter;

  constructor(private readonly deps: TotpEnrolmentDependencies) {
    this.totpCodeFailures = new FailureLimiter(deps.clock, MAX_TOTP_CODE_FAILURES, TOTP_CODE_FAILURE_WINDOW_MS);
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
      // Loaded here, at the first enrolment: with its PNG encoder, 40 ms of every start otherwise.
      qrDataUrl: await (await import('qrcode')).default.toDataURL(created.otpauthUrl, { margin: 1 }),
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
}
