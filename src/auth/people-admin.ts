import type { AuditRecorder } from '../audit/ports.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { err, ok, type Result } from '../core/result.js';
import { hashPassword } from './passwords.js';
import { MIN_PASSWORD_LENGTH, type PeopleStore, type Person, type PersonRole, type PersonView, viewPerson } from './people.js';

export interface NewPerson {
  readonly email: string;
  readonly password: string;
  readonly role: PersonRole;
  readonly user?: string;
}

export interface PeopleAdminDependencies {
  readonly store: PeopleStore;
  readonly audit: AuditRecorder;
  readonly clock: Clock;
}

export const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

/** The people who sign in to the dashboard, as admins manage them: created, listed, given a staff role; audited. */
export class PeopleAdmin {
  constructor(private readonly deps: PeopleAdminDependencies) {}

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

  /** Staff (viewers, analysts, admins), never members: who may be named on an alert, with their roles. */
  async staff(): Promise<readonly PersonView[]> {
    return (await this.list()).filter((p) => p.role !== 'member');
  }

  /** The analyst or admin with this id: the people who triage, so the people an alert may be given to. */
  async assignable(id: string): Promise<PersonView | undefined> {
    const person = await this.deps.store.findById(id);
    return person && (person.role === 'analyst' || person.role === 'admin') ? viewPerson(person) : undefined;
  }

  async hasAdmin(): Promise<boolean> {
    return (await this.deps.store.countAdmins()) > 0;
  }
}
