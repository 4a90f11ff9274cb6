import type { AuditRecorder } from '../audit/ports.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import type { Result } from '../core/result.js';
import type { PeopleStore, PersonRole, PersonView } from './people.js';
import { type NewPerson, PeopleAdmin } from './people-admin.js';
import { SessionService, type SignedIn, type SignInProblem, type StaffPersonRole } from './sessions.js';
import type { TotpCodes } from './totp.js';
import { TotpEnrolment } from './totp-enrolment.js';

export interface PeopleServiceDependencies {
  readonly store: PeopleStore;
  readonly totp: TotpCodes;
  /** Subkey for CSRF tokens. */
  readonly csrfKey: Buffer;
  readonly audit: AuditRecorder;
  readonly clock: Clock;
}

type Client = { readonly ip: string; readonly userAgent?: string };

/**
 * Dashboard people: the one object routes, single sign-on and the demo hold, over a class per
 * concern: `PeopleAdmin` (people created, listed, given a role), `SessionService` (sign-in, sessions,
 * CSRF tokens, the failed sign-in limits) and `TotpEnrolment` (two-factor sign-in turned on and off).
 */
export class PeopleService {
  private readonly admin: PeopleAdmin;
  private readonly sessions: SessionService;
  private readonly enrolment: TotpEnrolment;

  constructor(deps: PeopleServiceDependencies) {
    const { store, totp, csrfKey, audit, clock } = deps;
    this.admin = new PeopleAdmin({ store, audit, clock });
    this.sessions = new SessionService({ store, totp, csrfKey, audit, clock, admin: this.admin });
    this.enrolment = new TotpEnrolment({ store, totp, audit, clock });
  }

  create(input: NewPerson, actor: string): Promise<Result<PersonView, Problem>> {
    return this.admin.create(input, actor);
  }

  changeRole(id: string, role: PersonRole, actor: string): Promise<Result<PersonView, Problem>> {
    return this.admin.changeRole(id, role, actor);
  }

  list(): Promise<readonly PersonView[]> {
    return this.admin.list();
  }

  staff(): Promise<readonly PersonView[]> {
    return this.admin.staff();
  }

  assignable(id: string): Promise<PersonView | undefined> {
    return this.admin.assignable(id);
  }

  hasAdmin(): Promise<boolean> {
    return this.admin.hasAdmin();
  }

  signIn(
    input: { readonly email: string; readonly password: string; readonly totp?: string },
    client: Client,
  ): Promise<Result<{ token: string; session: SignedIn }, SignInProblem>> {
    return this.sessions.signIn(input, client);
  }

  signInExternal(
    identity: { readonly email: string; readonly role: StaffPersonRole; readonly provider: string },
    client: Client,
  ): Promise<Result<{ token: string; session: SignedIn }, Problem>> {
    return this.sessions.signInExternal(identity, client);
  }

  resume(token: string): Promise<SignedIn | undefined> {
    return this.sessions.resume(token);
  }

  csrfMatches(session: SignedIn, presented: string | undefined): boolean {
    return this.sessions.csrfMatches(session, presented);
  }

  signOut(session: SignedIn): Promise<void> {
    return this.sessions.signOut(session);
  }

  purgeExpired(): Promise<number> {
    return this.sessions.purgeExpired();
  }

  startTotp(
    session: SignedIn,
    currentCode?: string,
  ): Promise<Result<{ secret: string; otpauthUrl: string; qrDataUrl: string }, SignInProblem>> {
    return this.enrolment.startTotp(session, currentCode);
  }

  confirmTotp(session: SignedIn, code: string): Promise<Result<PersonView, SignInProblem>> {
    return this.enrolment.confirmTotp(session, code);
  }

  disableTotp(session: SignedIn, code: string): Promise<Result<PersonView, SignInProblem>> {
    return this.enrolment.disableTotp(session, code);
  }
}
