import { STAFF_ROLES } from '../../src/domain/vocabulary';
import type { Person } from '../../src/http/schemas';

/**
 * What the signed-in person may do, as the server decides it (src/http/authenticate.ts): the
 * dashboard hides what a role cannot do, and the server refuses it anyway (403 `forbidden`).
 *  - `read`: staff pages (alerts, accounts, rules, lists, snoozes, activity, monitor) — viewer and up;
 *  - `triage`: act on alerts, lock and unlock accounts — analyst and up;
 *  - `manage`: rules, lists, snoozes, models, people, audit, outbox, login files — admin.
 */
export type Capability = 'read' | 'triage' | 'manage';

const NEEDS: Record<Capability, (typeof STAFF_ROLES)[number]> = { read: 'viewer', triage: 'analyst', manage: 'admin' };

export function can(person: Person, capability: Capability): boolean {
  if (person.role === 'member') return false;
  return STAFF_ROLES.indexOf(person.role) >= STAFF_ROLES.indexOf(NEEDS[capability]);
}

export const isStaff = (person: Person): boolean => person.role !== 'member';

/** Where a person starts: staff at the alert feed, a member at their account. */
export const homeOf = (person: Person): string => (isStaff(person) ? '/admin/alerts' : '/me');

export const ROLE_LABELS: Record<Person['role'], string> = {
  admin: 'Admin',
  analyst: 'Analyst',
  viewer: 'Viewer',
  member: 'Member',
};

/** One line on what each role does, for the settings page. */
export const ROLE_DESCRIPTIONS: Record<Exclude<Person['role'], 'member'>, string> = {
  admin: 'Admin: works alerts, accounts and rules, and manages lists, people and settings',
  analyst: 'Analyst: triages alerts and locks and unlocks accounts; reads rules, lists and snoozes',
  viewer: 'Viewer: reads alerts, accounts, rules, lists and the monitor; changes nothing',
};
