import { randomBytes } from 'node:crypto';
import type { System } from '../system.js';

export const DEMO_ADMIN_EMAIL = 'admin@vigil.local';
/** Carol: the demo shopper whose account the demo attack locks, so her view shows every feature. */
export const DEMO_MEMBER = { email: 'carol@example.com', user: 'carol' } as const;

/**
 * The dashboard's first people. With VIGIL_ADMIN_EMAIL / VIGIL_ADMIN_PASSWORD, that admin is created
 * when there is none. Otherwise, on a demo start with no admin, a demo admin and a demo member get
 * random passwords, printed once; only their argon2id hashes are kept.
 */
export async function ensureFirstPeople(system: System): Promise<void> {
  if (await system.people.hasAdmin()) return;
  const first = system.config.firstAdmin;
  if (first) {
    const created = await system.people.create({ email: first.email, password: first.password, role: 'admin' }, 'env');
    if (!created.ok) throw new Error(`VIGIL_ADMIN_EMAIL: ${created.error.message}`);
    return;
  }
  if (!system.config.demo) return;

  const adminPassword = randomBytes(12).toString('base64url');
  const memberPassword = randomBytes(12).toString('base64url');
  const admin = await system.people.create({ email: DEMO_ADMIN_EMAIL, password: adminPassword, role: 'admin' }, 'demo');
  if (!admin.ok) throw new Error(`demo admin: ${admin.error.message}`);
  // The member may exist from an earlier start whose admin was since removed: then only the admin is new.
  const member = await system.people.create({ ...DEMO_MEMBER, password: memberPassword, role: 'member' }, 'demo');
  const url = `http://${system.config.host}:${system.config.port}/`;
  process.stdout.write(
    [
      '',
      `Vigil dashboard: ${url}`,
      'Demo sign-ins, shown once (only their hashes are stored):',
      `  admin:  ${DEMO_ADMIN_EMAIL}  ${adminPassword}`,
      ...(member.ok ? [`  member: ${DEMO_MEMBER.email}  ${memberPassword}   (the shopper "${DEMO_MEMBER.user}")`] : []),
      '',
    ].join('\n'),
  );
}
