// The app shell: who is signed in, which page the URL names, and the top navigation around it.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { type ApiError, api, isAbort, setUnauthorizedHandler, type User } from './api.ts';
import { ErrorNotice, Loading, PageTitle } from './components.tsx';
import { unreadTotal, useInbox } from './inbox-store.ts';
import { lazyPage } from './lazy.tsx';
import { LoginPage, SetupPage } from './login.tsx';
import { OverviewPage } from './overview.tsx';
import { ProfilePage } from './profile.tsx';
import { ProfilesPage } from './profiles.tsx';
import { BASE, Link, loginHref, matchRoute, navigate, type Route, safeNext, useLocation } from './router.tsx';
import { toApiError } from './use-request.ts';

const InboxPage = lazyPage(() => import('./inbox.tsx').then((m) => m.InboxPage));
const AutomationsPage = lazyPage(() => import('./automations.tsx').then((m) => m.AutomationsPage));
const SettingsPage = lazyPage(() => import('./settings.tsx').then((m) => m.SettingsPage));

export function App() {
  const { pathname, query } = useLocation();
  const route = matchRoute(pathname);
  // undefined while /api/me is still answering; null when nobody is signed in.
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [bootError, setBootError] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    setUnauthorizedHandler(() => setUser(null));
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    setBootError(null);
    api.me(controller.signal).then(
      (reply) => setUser(reply.user),
      (err) => {
        if (isAbort(err)) return;
        const error = toApiError(err);
        if (error.status === 401) setUser(null);
        else setBootError(error);
      },
    );
    return () => controller.abort();
  }, [attempt]);

  // Send the signed-out to the login page (remembering where they were) and the signed-in away from it.
  const next = query.get('next');
  useEffect(() => {
    const signedOutPage = route.name === 'login' || route.name === 'setup';
    if (user === null && !signedOutPage) navigate(loginHref(), { replace: true });
    if (user && signedOutPage) navigate(safeNext(next), { replace: true });
  }, [user, route.name, next]);

  if (bootError) {
    return (
      <main id="main" class="page page-narrow">
        <h1>Touchpoint</h1>
        <ErrorNotice error={bootError} retry={() => setAttempt((n) => n + 1)} />
      </main>
    );
  }
  if (route.name === 'login' || route.name === 'setup') {
    if (user) return null;
    const onSignedIn = (signedIn: User) => {
      setUser(signedIn);
      navigate(safeNext(next), { replace: true });
    };
    return route.name === 'login' ? (
      <LoginPage onSignedIn={onSignedIn} />
    ) : (
      <SetupPage token={query.get('token')} onSignedIn={onSignedIn} />
    );
  }
  if (!user) {
    return (
      <main id="main" class="page">
        <Loading />
      </main>
    );
  }
  return (
    <Shell user={user} route={route} onSignedOut={() => setUser(null)}>
      <Page route={route} user={user} />
    </Shell>
  );
}

function Page({ route, user }: { route: Route; user: User }) {
  if (route.name === 'overview') return <OverviewPage />;
  if (route.name === 'inbox') return <InboxPage id={route.id} user={user} />;
  if (route.name === 'settings')
    return user.role === 'member' ? <AdminOnly what="Settings" /> : <SettingsPage section={route.section} />;
  if (route.name === 'automations')
    return <AutomationsPage section={route.section} id={route.id} admin={user.role !== 'member'} />;
  if (route.name === 'profiles') return <ProfilesPage />;
  if (route.name === 'profile') return <ProfilePage key={route.id} id={route.id} />;
  return (
    <>
      <PageTitle title="Page not found">Page not found</PageTitle>
      <p>
        There is no dashboard page at this address. <Link href={`${BASE}/`}>Go to the overview</Link>.
      </p>
    </>
  );
}

/** What a member sees on an admin's page: who can help, not a failed request. */
export function AdminOnly({ what }: { what: string }) {
  return (
    <>
      <PageTitle title={what}>{what}</PageTitle>
      <div class="empty">
        <h2>Only an admin can change this</h2>
        <p>
          Sites, users, API keys, webhooks and privacy are managed by the admins of this Touchpoint. Ask one
          of them if something here needs to change.
        </p>
      </div>
    </>
  );
}

function Shell({
  user,
  route,
  onSignedOut,
  children,
}: {
  user: User;
  route: Route;
  onSignedOut: () => void;
  children: ComponentChildren;
}) {
  const [loggingOut, setLoggingOut] = useState(false);
  const [logoutError, setLogoutError] = useState<ApiError | null>(null);
  const section =
    route.name === 'profile' ? 'profiles' : route.name === 'notFound' ? null : (route.name as string);
  const nav: [string, string][] = [
    ['overview', 'Overview'],
    ['profiles', 'Profiles'],
    ['inbox', 'Inbox'],
    ['automations', 'Automations'],
    ...(user.role === 'member' ? [] : ([['settings', 'Settings']] as [string, string][])),
  ];
  const inbox = useInbox();
  const unread = unreadTotal(inbox.conversations);

  const logout = async () => {
    setLoggingOut(true);
    setLogoutError(null);
    try {
      await api.logout();
      onSignedOut();
      navigate(`${BASE}/login`);
    } catch (err) {
      setLogoutError(toApiError(err));
      setLoggingOut(false);
    }
  };

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <nav class="topbar-inner" aria-label="Main">
          <Link class="brand" href={`${BASE}/`}>
            <span class="brand-mark" aria-hidden="true" />
            Touchpoint
          </Link>
          <ul class="nav-links">
            {nav.map(([name, label]) => (
              <li key={name}>
                <Link href={`${BASE}/${name}`} aria-current={section === name ? 'page' : undefined}>
                  {label}
                  {name === 'inbox' && unread ? (
                    <>
                      <span class="count" aria-hidden="true">
                        {unread}
                      </span>
                      <span class="visually-hidden"> ({unread} unread)</span>
                    </>
                  ) : null}
                </Link>
              </li>
            ))}
          </ul>
          <div class="account">
            <span class="account-email" title={user.email}>
              {user.email}
            </span>
            <button type="button" class="button button-small" onClick={logout} disabled={loggingOut}>
              {loggingOut ? 'Logging out…' : 'Log out'}
            </button>
          </div>
        </nav>
      </header>
      <main id="main" class="page" tabIndex={-1}>
        {logoutError ? <ErrorNotice error={logoutError} /> : null}
        {children}
      </main>
    </>
  );
}
