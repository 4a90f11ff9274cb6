import { PERSON_ROLES } from '../domain/vocabulary.js';

/**
 * Someone who signs in to the dashboard. Staff (admin, analyst, viewer: see `STAFF_ROLES`) work
 * alerts as far as their role allows; a member sees one account: their own.
 */
export { PERSON_ROLES };
export type PersonRole = (typeof PERSON_ROLES)[number];

/** NIST SP 800-63B asks for 8 at least; 12 for a security product's own accounts. */
export const MIN_PASSWORD_LENGTH = 12;

export interface Person {
  readonly id: string;
  readonly email: string;
  readonly role: PersonRole;
  /** For members, the `user` id of the events that are theirs; null for staff. */
  readonly user: string | null;
  readonly passwordHash: string;
  readonly totpSecretSealed: string | null;
  readonly totpPendingSealed: string | null;
  readonly totpLastStep: number | null;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly lastSignInAt: number | null;
}

/** What the dashboard may know of a person: never a hash or a secret. */
export interface PersonView {
  readonly id: string;
  readonly email: string;
  readonly role: PersonRole;
  readonly user: string | null;
  readonly totpEnabled: boolean;
}

/** How a person appears as the actor of audit entries and alert transitions. */
export const actorOfPerson = (p: Pick<Person, 'email' | 'id'>): string => `${p.email} (${p.id})`;

export function viewPerson(p: Person): PersonView {
  return { id: p.id, email: p.email, role: p.role, user: p.user, totpEnabled: p.totpSecretSealed !== null };
}

export interface SessionRecord {
  readonly tokenHash: string;
  readonly personId: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export interface PeopleStore {
  /** Inserts unless the email is taken; false when it was. */
  insert(person: Person): Promise<boolean>;
  findByEmail(email: string): Promise<Person | undefined>;
  findById(id: string): Promise<Person | undefined>;
  countAdmins(): Promise<number>;
  /** Everyone, oldest first. */
  list(): Promise<readonly Person[]>;
  update(
    id: string,
    patch: Partial<Pick<Person, 'role' | 'passwordHash' | 'totpSecretSealed' | 'totpPendingSealed' | 'totpLastStep' | 'lastSignInAt'>>,
  ): Promise<void>;
  /**
   * Records a TOTP step as used, only if it is later than the last one used: the check and the write
   * are one statement, so two requests racing with the same code cannot both pass.
   */
  claimTotpStep(id: string, step: number): Promise<boolean>;

  insertSession(session: SessionRecord): Promise<void>;
  findSession(tokenHash: string): Promise<SessionRecord | undefined>;
  touchSession(tokenHash: string, lastSeenAt: number): Promise<void>;
  deleteSession(tokenHash: string): Promise<void>;
  /** Ends every session of a person (password or 2FA change), optionally but one. */
  deleteSessionsOf(personId: string, except?: string): Promise<void>;
  deleteExpiredSessions(now: number, idleMs: number): Promise<number>;
}
