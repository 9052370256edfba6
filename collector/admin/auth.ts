// Admin authentication: the session cookie set at login, or a Bearer API token, on every /api route.
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { ApiError } from '../http/errors.ts';
import type { Store, User } from '../store/types.ts';

export const SESSION_COOKIE = 'tp_session';
/** Over HTTPS the cookie is `__Host-` prefixed: Secure, path /, no Domain, so no subdomain can set or shadow it. */
export const SECURE_SESSION_COOKIE = '__Host-tp_session';

/**
 * Whether the request came over HTTPS: its own URL, or — behind a proxy the operator trusts
 * (TOUCHPOINT_TRUST_PROXY=1) — the proxy's `X-Forwarded-Proto`.
 */
export function overHttps(c: Context, trustProxy = process.env.TOUCHPOINT_TRUST_PROXY === '1'): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  if (!trustProxy) return false;
  const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return proto === 'https';
}

/** The session token from whichever cookie the request carries. */
export function sessionToken(c: Context): string | undefined {
  return getCookie(c, SECURE_SESSION_COOKIE) ?? getCookie(c, SESSION_COOKIE);
}

export type AuthVars = { Variables: { user: User | null; via: 'session' | 'token' } };

/**
 * Admin-only (after requireAdmin): users, keys, sites, webhooks and privacy. An API token acts as an admin (only
 * an admin can make one); a member's session gets 403.
 */
export const adminOnly: MiddlewareHandler<AuthVars> = async function adminOnly(c, next) {
  if (c.get('via') !== 'token' && c.get('user')?.role !== 'admin')
    throw new ApiError(403, 'admin_only', 'only an admin can do this; ask an admin of this Touchpoint');
  return next();
};

export function requireAdmin(store: Pick<Store, 'accounts'>): MiddlewareHandler<AuthVars> {
  return async function requireAdmin(c, next) {
    const authorization = c.req.header('authorization');
    if (authorization?.startsWith('Bearer ')) {
      if (!(await store.accounts.tokenIsValid(authorization.slice(7).trim()))) {
        throw new ApiError(401, 'invalid_token', 'the API token is not valid');
      }
      c.set('user', null);
      c.set('via', 'token');
      return next();
    }
    const token = sessionToken(c);
    const user = token ? await store.accounts.userForSession(token) : null;
    if (!user) throw new ApiError(401, 'unauthenticated', 'log in or send Authorization: Bearer TOKEN');
    // Cookie-authenticated writes must be JSON: a cross-site form or text/plain post cannot set that type
    // without a CORS preflight, which /api never grants. Together with the Origin check this stops CSRF.
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const type = c.req.header('content-type') ?? '';
      if (!type.startsWith('application/json')) {
        throw new ApiError(415, 'json_required', 'Content-Type must be application/json');
      }
    }
    c.set('user', user);
    c.set('via', 'session');
    return next();
  };
}
