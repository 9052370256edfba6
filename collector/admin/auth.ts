// Admin authentication: the session cookie set at login, or a Bearer API token, on every /api route.
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { ApiError } from '../http/errors.ts';
import type { Store, User } from '../store/types.ts';

export const SESSION_COOKIE = 'tp_session';

export type AuthVars = { Variables: { user: User | null; via: 'session' | 'token' } };

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
    const token = getCookie(c, SESSION_COOKIE);
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
