/**
 * The navigation of each role. A new page is one entry here and one in routes.tsx (for example the
 * login-CSV scoring page at /admin/logins, or the transaction monitor at /admin/monitor).
 */
export interface NavItem {
  readonly to: string;
  readonly label: string;
  /** Shows the count of new critical alerts. */
  readonly badge?: 'critical';
  /** Staff pages only an admin sees (the rest: every staff role, see roles.ts). */
  readonly adminOnly?: true;
}

/** The staff's navigation: admins see it all, analysts and viewers all but `adminOnly`. */
export const STAFF_NAV: readonly NavItem[] = [
  { to: '/admin/alerts', label: 'Alerts', badge: 'critical' },
  { to: '/admin/accounts', label: 'Accounts' },
  { to: '/admin/rules', label: 'Rules' },
  { to: '/admin/snoozes', label: 'Snoozes' },
  { to: '/admin/lists', label: 'Lists' },
  { to: '/admin/activity', label: 'Activity' },
  { to: '/admin/monitor', label: 'Monitor' },
  { to: '/admin/team', label: 'Team' },
  { to: '/admin/logins', label: 'Login files', adminOnly: true },
  { to: '/admin/audit', label: 'Audit log', adminOnly: true },
  { to: '/admin/outbox', label: 'Outbox', adminOnly: true },
  { to: '/settings', label: 'Settings' },
];

export const MEMBER_NAV: readonly NavItem[] = [
  { to: '/me', label: 'My account' },
  { to: '/settings', label: 'Settings' },
];
