import { type ReactNode, useEffect, useRef, useState } from 'react';
import type { Person } from '../../../src/http/schemas';
import { describeError } from '../api';
import { useFeed } from '../feed';
import { setTitleBadge } from '../hooks';
import { MEMBER_NAV, type NavItem, STAFF_NAV } from '../nav';
import { can, isStaff, ROLE_LABELS } from '../roles';
import { Link, navigate, useLocation } from '../router';
import { useSession } from '../session';

function CriticalBadge() {
  const { unseenCritical } = useFeed();
  useEffect(() => setTitleBadge(unseenCritical), [unseenCritical]);
  if (unseenCritical === 0) return null;
  return (
    <span className="nav-badge" data-testid="critical-badge">
      {unseenCritical}
      <span className="visually-hidden"> new critical {unseenCritical === 1 ? 'alert' : 'alerts'}</span>
    </span>
  );
}

function NavLinks({
  items,
  path,
  onNavigate,
}: {
  readonly items: readonly NavItem[];
  readonly path: string;
  readonly onNavigate: () => void;
}) {
  return (
    <ul>
      {items.map((item) => {
        const current = path === item.to || path.startsWith(`${item.to}/`);
        return (
          <li key={item.to}>
            <Link to={item.to} aria-current={current ? 'page' : undefined} onClick={onNavigate}>
              {item.label}
              {item.badge === 'critical' && <CriticalBadge />}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}

/** The frame of every signed-in page: skip link, header with navigation, and the main landmark. */
export function Layout({ person, children }: { readonly person: Person; readonly children: ReactNode }) {
  const { path } = useLocation();
  const { signOut } = useSession();
  const [menuOpen, setMenuOpen] = useState(false);
  const [signOutError, setSignOutError] = useState<string>();
  const firstPath = useRef(path);

  // On a change of page, move focus to its heading so that keyboard and screen-reader users start
  // there, as they would after a full page load.
  useEffect(() => {
    setMenuOpen(false);
    if (path === firstPath.current) return;
    firstPath.current = '';
    const heading = document.querySelector<HTMLElement>('main h1');
    heading?.focus();
  }, [path]);

  const items = isStaff(person) ? STAFF_NAV.filter((item) => !item.adminOnly || can(person, 'manage')) : MEMBER_NAV;
  const doSignOut = async () => {
    try {
      await signOut();
      navigate('/signin', { replace: true });
    } catch (error) {
      setSignOutError(describeError(error));
    }
  };

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand">
            <span aria-hidden="true" className="brand-mark">
              ◈
            </span>{' '}
            Vigil
          </Link>
          <button
            type="button"
            className="menu-toggle"
            aria-expanded={menuOpen}
            aria-controls="primary-nav"
            onClick={() => setMenuOpen((o) => !o)}
          >
            Menu
          </button>
          <nav id="primary-nav" aria-label="Main" className={menuOpen ? 'open' : ''}>
            <NavLinks items={items} path={path} onNavigate={() => setMenuOpen(false)} />
            <div className="who">
              <span className="who-email" title={person.email}>
                {person.email}
                <span className="who-role">{ROLE_LABELS[person.role]}</span>
              </span>
              <button type="button" className="button-quiet" onClick={() => void doSignOut()}>
                Sign out
              </button>
            </div>
          </nav>
        </div>
        {signOutError && (
          <p className="notice notice-error" role="alert">
            {signOutError}
          </p>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
