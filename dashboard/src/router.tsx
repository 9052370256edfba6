// A pathname router for the app under /app/: the collector serves index.html for every /app/* path.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** Where the collector mounts the dashboard; matches `base` of the dashboard build in vite.config.ts. */
export const BASE = '/app';

export type Route =
  | { name: 'login' }
  | { name: 'setup' }
  | { name: 'overview' }
  | { name: 'profiles' }
  | { name: 'profile'; id: string }
  | { name: 'inbox'; id: string | null }
  | { name: 'settings'; section: string | null }
  | { name: 'automations'; section: string | null; id: string | null }
  | { name: 'notFound' };

export function matchRoute(pathname: string): Route {
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'overview')) return { name: 'overview' };
  if (parts.length === 1 && parts[0] === 'profiles') return { name: 'profiles' };
  if (parts[0] === 'inbox' && parts.length <= 2) return { name: 'inbox', id: parts[1] ?? null };
  if (parts[0] === 'settings' && parts.length <= 2) return { name: 'settings', section: parts[1] ?? null };
  if (parts[0] === 'automations' && parts.length <= 3) {
    try {
      return {
        name: 'automations',
        section: parts[1] ?? null,
        id: parts[2] ? decodeURIComponent(parts[2]) : null,
      };
    } catch {
      return { name: 'notFound' };
    }
  }
  if (parts.length === 1 && parts[0] === 'login') return { name: 'login' };
  if (parts.length === 1 && parts[0] === 'setup') return { name: 'setup' };
  if (parts.length === 2 && parts[0] === 'profiles') {
    try {
      return { name: 'profile', id: decodeURIComponent(parts[1]) };
    } catch {
      return { name: 'notFound' };
    }
  }
  return { name: 'notFound' };
}

const listeners = new Set<() => void>();
const notify = () => {
  for (const listener of listeners) listener();
};
window.addEventListener('popstate', notify);

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const here = location.pathname + location.search + location.hash;
  if (to === here) return;
  if (options.replace) history.replaceState(null, '', to);
  else {
    history.pushState(null, '', to);
    window.scrollTo(0, 0);
  }
  notify();
}

/** Re-renders the caller whenever the URL changes; returns the current path and query. */
export function useLocation(): { pathname: string; query: URLSearchParams; href: string } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return {
    pathname: location.pathname,
    query: new URLSearchParams(location.search),
    href: location.pathname + location.search,
  };
}

interface LinkProps {
  href: string;
  class?: string;
  'aria-current'?: 'page';
  children?: ComponentChildren;
}

/** An <a> that changes the route without a page load, yet still opens in a new tab on ctrl/cmd/middle click. */
export function Link({ href, ...rest }: LinkProps) {
  return (
    <a
      href={href}
      onClick={(event) => {
        if (event.defaultPrevented || event.button !== 0) return;
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(href);
      }}
      {...rest}
    />
  );
}

/** The login page link that brings the user back to where a 401 found them. */
export function loginHref(next: string = location.pathname + location.search): string {
  const route = matchRoute(location.pathname);
  if (route.name === 'login' || route.name === 'setup' || next === `${BASE}/` || next === `${BASE}/overview`)
    return `${BASE}/login`;
  return `${BASE}/login?next=${encodeURIComponent(next)}`;
}

/** Only paths inside the app are followed after login, so ?next= cannot send anyone elsewhere. */
export function safeNext(next: string | null): string {
  if (next?.startsWith(`${BASE}/`) && !next.startsWith('//') && !next.includes('\\')) return next;
  return `${BASE}/`;
}
