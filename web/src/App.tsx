import { lazy, type ReactNode, Suspense, useEffect } from 'react';
import type { Person } from '../../src/http/schemas';
import { Layout } from './components/Layout';
import { FeedProvider } from './feed';
import { useTitle } from './hooks';
import { AccountsPage } from './pages/AccountsPage';
import { AlertDetailPage } from './pages/AlertDetailPage';
import { AlertFeedPage } from './pages/AlertFeedPage';
import { AuditPage } from './pages/AuditPage';
import { ListsPage } from './pages/ListsPage';
import { LoginsPage } from './pages/LoginsPage';
import { MemberPage } from './pages/MemberPage';
import { OutboxPage } from './pages/OutboxPage';
import { RulesPage } from './pages/RulesPage';
import { SettingsPage } from './pages/SettingsPage';
import { SignInPage } from './pages/SignInPage';
import { SnoozesPage } from './pages/SnoozesPage';
import { TeamPage } from './pages/TeamPage';
import { can, homeOf, isStaff } from './roles';
import { Link, match, navigate, useLocation } from './router';
import { useSession } from './session';

// The chart library is most of the bundle's weight: loaded only when the chart is opened.
const ActivityPage = lazy(() => import('./pages/ActivityPage').then((m) => ({ default: m.ActivityPage })));
const MonitorPage = lazy(() => import('./pages/MonitorPage').then((m) => ({ default: m.MonitorPage })));

/** `staff`: every staff role (what they may change inside the page follows roles.ts); `admin`: admins only. */
type Who = 'staff' | 'admin' | 'member' | 'anyone';

interface Route {
  readonly pattern: string;
  readonly who: Who;
  readonly render: (params: Record<string, string>) => ReactNode;
}

/** Every signed-in page. A new page is one line here and, if it belongs in the menu, one in nav.ts. */
const ROUTES: readonly Route[] = [
  { pattern: '/me', who: 'member', render: () => <MemberPage /> },
  { pattern: '/admin/alerts', who: 'staff', render: () => <AlertFeedPage /> },
  { pattern: '/admin/alerts/:id', who: 'staff', render: ({ id }) => <AlertDetailPage key={id} id={id as string} /> },
  { pattern: '/admin/accounts', who: 'staff', render: () => <AccountsPage /> },
  { pattern: '/admin/rules', who: 'staff', render: () => <RulesPage /> },
  { pattern: '/admin/snoozes', who: 'staff', render: () => <SnoozesPage /> },
  { pattern: '/admin/lists', who: 'staff', render: () => <ListsPage /> },
  { pattern: '/admin/team', who: 'staff', render: () => <TeamPage /> },
  { pattern: '/admin/audit', who: 'admin', render: () => <AuditPage /> },
  {
    pattern: '/admin/activity',
    who: 'staff',
    render: () => (
      <Suspense fallback={<p role="status">Loading the chart…</p>}>
        <ActivityPage />
      </Suspense>
    ),
  },
  {
    pattern: '/admin/monitor',
    who: 'staff',
    render: () => (
      <Suspense fallback={<p role="status">Loading the monitor…</p>}>
        <MonitorPage />
      </Suspense>
    ),
  },
  { pattern: '/admin/outbox', who: 'admin', render: () => <OutboxPage /> },
  { pattern: '/admin/logins', who: 'admin', render: () => <LoginsPage /> },
  { pattern: '/settings', who: 'anyone', render: () => <SettingsPage /> },
];

function mayOpen(who: Who, person: Person): boolean {
  if (who === 'anyone') return true;
  if (who === 'member') return person.role === 'member';
  return can(person, who === 'staff' ? 'read' : 'manage');
}

function Redirect({ to }: { readonly to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function Forbidden({ person }: { readonly person: Person }) {
  useTitle('Not available');
  return (
    <section className="page narrow">
      <h1 tabIndex={-1}>Not available</h1>
      <p>
        {person.role === 'member'
          ? 'This page is for Vigil’s staff. As a member you can see and act on your own account only.'
          : isStaff(person) && !can(person, 'manage')
            ? `This page is for Vigil’s admins. As ${person.role === 'analyst' ? 'an analyst' : 'a viewer'} you work from the alert feed.`
            : 'This page is for members, about their own account. Admins work from the alert feed.'}
      </p>
      <p>
        <Link to={homeOf(person)}>Go to {person.role === 'member' ? 'your account' : 'the alert feed'}</Link>
      </p>
    </section>
  );
}

function NotFound({ person }: { readonly person: Person }) {
  useTitle('Page not found');
  return (
    <section className="page narrow">
      <h1 tabIndex={-1}>Page not found</h1>
      <p>There is no page at this address.</p>
      <p>
        <Link to={homeOf(person)}>Go to the start page</Link>
      </p>
    </section>
  );
}

function SignedInApp({ person }: { readonly person: Person }) {
  const { path } = useLocation();
  if (path === '/' || path === '/signin') return <Redirect to={homeOf(person)} />;
  let content: ReactNode = <NotFound person={person} />;
  for (const route of ROUTES) {
    const params = match(route.pattern, path);
    if (!params) continue;
    content = mayOpen(route.who, person) ? route.render(params) : <Forbidden person={person} />;
    break;
  }
  const page = <Layout person={person}>{content}</Layout>;
  // Staff get the live feed on every page: the badge for new critical alerts follows them.
  return isStaff(person) ? <FeedProvider>{page}</FeedProvider> : page;
}

export function App() {
  const { state } = useSession();
  const location = useLocation();

  if (state.status === 'loading') {
    return (
      <p className="boot" role="status">
        Loading Vigil…
      </p>
    );
  }
  if (state.status === 'error') {
    return (
      <main className="page narrow" id="main">
        <h1>Vigil cannot be reached</h1>
        <p role="alert">{state.message}</p>
        <button type="button" onClick={() => window.location.reload()}>
          Try again
        </button>
      </main>
    );
  }
  if (state.status === 'signed-out') {
    if (location.path !== '/signin') {
      const next = location.path === '/' ? '' : `?next=${encodeURIComponent(location.href)}`;
      return <Redirect to={`/signin${next}`} />;
    }
    return <SignInPage ended={state.ended} />;
  }
  return <SignedInApp person={state.person} />;
}
