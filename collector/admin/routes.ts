// The authenticated JSON API under /api: login, sites and profiles.
import { midnight, nextDay, reportZone } from '../reports/zone.ts';
import { jsonBody } from '../http/body.ts';
import { type Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import * as v from 'valibot';
import {
  isStorable,
  type MergeProposalsReply,
  PROFILE_SORTS,
  PROFILE_STATUSES,
  type ProfileChangesReply,
  type ProfileReply,
  type ProfilesReply,
  STAGES,
  TIMELINE_PAGE,
  type TimelineReply,
} from '../../wire.ts';
import { Buckets, clientAddress, DEFAULT_LIMITS, type RateLimits, tooMany } from '../http/rate-limit.ts';
import { ApiError } from '../http/errors.ts';
import { SESSION_DAYS } from '../store/libsql/accounts.ts';
import type { Store } from '../store/types.ts';
import {
  type AuthVars,
  overHttps,
  requireAdmin,
  SECURE_SESSION_COOKIE,
  SESSION_COOKIE,
  sessionToken,
} from './auth.ts';
import { settingsRoutes } from './settings-routes.ts';

const reasonField = v.pipe(
  v.string('reason is required'),
  v.trim(),
  v.minLength(1, 'reason is required'),
  v.maxLength(500, 'reason is at most 500 characters'),
);
const MergeSchema = v.object({
  otherId: v.pipe(v.string('otherId is required'), v.minLength(1, 'otherId is required'), v.maxLength(100)),
  reason: reasonField,
});
const RevokeSchema = v.object({ reason: reasonField });
const AnswerSchema = v.object({ accept: v.boolean('accept must be true or false') });
const ReviewSchema = v.object({
  approve: v.boolean('approve must be true or false'),
});

const StageSchema = v.object({
  stage: v.picklist(STAGES, `stage must be one of ${STAGES.join(', ')}`),
  reason: reasonField,
});

/** A whole number from the query string, within bounds, or a 400 naming the parameter. */
function whole(value: string, field: string, min: number, max: number): number {
  const n = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new ApiError(400, 'invalid_query', `${field} must be a whole number from ${min} to ${max}`, field);
  return n;
}

function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  field: string,
): T | undefined {
  if (value === undefined || value === '') return undefined;
  if (!allowed.includes(value as T)) {
    throw new ApiError(400, 'invalid_query', `${field} must be one of ${allowed.join(', ')}`, field);
  }
  return value as T;
}

const LoginSchema = v.object({
  email: v.pipe(
    v.string('email is required'),
    v.trim(),
    v.minLength(1, 'email is required'),
    v.maxLength(254),
  ),
  password: v.pipe(
    v.string('password is required'),
    v.minLength(1, 'password is required'),
    v.maxLength(1024),
  ),
});

const SetupSchema = v.object({
  token: v.pipe(v.string('token is required'), v.minLength(1)),
  email: v.pipe(v.string('email is required'), v.trim(), v.email('email must be an email address')),
  password: v.pipe(
    v.string('password is required'),
    v.minLength(10, 'password must have at least 10 characters'),
  ),
});

const LOGIN_WINDOW_MS = 15 * 60_000;

export function adminRoutes(
  store: Store,
  guard: { buckets: Buckets; limits: RateLimits } = { buckets: new Buckets(), limits: DEFAULT_LIMITS },
): Hono<AuthVars> {
  const { accounts, profiles: profileStore } = store;
  const app = new Hono<AuthVars>();

  async function startSession(c: Context, userId: string) {
    const token = await accounts.createSession(userId);
    const https = overHttps(c);
    setCookie(c, https ? SECURE_SESSION_COOKIE : SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: https,
      path: '/',
      maxAge: SESSION_DAYS * 86400,
    });
  }

  app.post('/login', async function login(c) {
    const { buckets, limits } = guard;
    // Per address: every attempt counts. Per account: failures count, and past the limit the account is
    // locked for the rest of the window, whatever the password (so guessing from many addresses stops too).
    const address = buckets.take(
      `login\u0000${clientAddress(c, limits.trustProxy)}`,
      limits.loginPerAddress,
      LOGIN_WINDOW_MS,
    );
    if (address !== null) throw tooMany(address, 'login attempts from this address');
    const { email, password } = await jsonBody(c.req, LoginSchema);
    const account = `account\u0000${email.trim().toLowerCase()}`;
    const locked = buckets.peek(account, limits.loginFailuresPerAccount, LOGIN_WINDOW_MS);
    if (locked !== null) throw tooMany(locked, 'failed logins for this account');
    const user = await accounts.checkLogin(email, password);
    if (!user) {
      buckets.take(account, limits.loginFailuresPerAccount, LOGIN_WINDOW_MS);
      throw new ApiError(401, 'invalid_credentials', 'email or password is wrong');
    }
    await startSession(c, user.id);
    return c.json({ user });
  });

  // Whether a setup link still creates the admin, so the page can say it was used instead of offering a form.
  app.get('/setup', async function setupOpen(c) {
    const token = c.req.query('token') ?? '';
    const open = token.length > 0 && token.length <= 200 && (await accounts.setupTokenOpen(token));
    return c.json({ open });
  });

  // The one-time setup link printed on first start when no admin was configured.
  app.post('/setup', async function setup(c) {
    const body = await jsonBody(c.req, SetupSchema);
    if ((await accounts.countUsers()) > 0 || !(await accounts.consumeSetupToken(body.token))) {
      throw new ApiError(403, 'setup_closed', 'this setup link is used, expired or not valid', 'token');
    }
    const user = await accounts.createUser(body.email, body.password);
    await startSession(c, user.id);
    return c.json({ user });
  });

  app.post('/logout', async function logout(c) {
    const token = sessionToken(c);
    if (token) await accounts.deleteSession(token);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    if (getCookie(c, SECURE_SESSION_COOKIE))
      deleteCookie(c, SECURE_SESSION_COOKIE, { path: '/', secure: true });
    return c.body(null, 204);
  });

  const authed = new Hono<AuthVars>();
  authed.use('*', requireAdmin(store));

  authed.get('/me', (c) => c.json({ user: c.get('user') }));

  authed.get('/sites', async (c) => c.json({ sites: await store.sites.summaries() }));
  authed.route('/', settingsRoutes(store));

  authed.get('/profiles', async function profiles(c) {
    const limitText = c.req.query('limit');
    const limit = limitText === undefined ? 50 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw new ApiError(400, 'invalid_query', 'limit must be a whole number from 1 to 500', 'limit');
    }
    const q = c.req.query('q')?.trim();
    // the search index cannot take U+0000 (SQLite ends the match string there)
    if (q && !isStorable(q))
      throw new ApiError(400, 'invalid_query', 'q must not contain U+0000 or a lone surrogate', 'q');
    // from/to: days (YYYY-MM-DD, inclusive, in the site's time zone) the profiles were first seen, as the
    // overview's funnel counts.
    const zone = await reportZone(store.sites, c.req.query('site') || undefined);
    const day = (field: 'from' | 'to') => {
      const text = c.req.query(field);
      if (!text) return undefined;
      const ok = /^\d{4}-\d\d-\d\d$/.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`));
      if (!ok) throw new ApiError(400, 'invalid_query', `${field} must be a date (YYYY-MM-DD)`, field);
      return midnight(zone, field === 'to' ? nextDay(text) : text);
    };
    const reply: ProfilesReply = await profileStore.list({
      q: q || undefined,
      stage: oneOf(c.req.query('stage'), STAGES, 'stage'),
      reached: oneOf(c.req.query('reached'), STAGES, 'reached'),
      firstSeenFrom: day('from'),
      firstSeenBefore: day('to'),
      status: oneOf(c.req.query('status'), PROFILE_STATUSES, 'status'),
      channel: c.req.query('channel')?.trim().slice(0, 100) || undefined,
      siteId: c.req.query('site') || undefined,
      cursor: c.req.query('cursor') || undefined,
      sort: oneOf(c.req.query('sort'), PROFILE_SORTS, 'sort'),
      order: oneOf(c.req.query('order'), ['asc', 'desc'] as const, 'order'),
      limit,
    });
    return c.json(reply);
  });

  authed.get('/overview', async (c) =>
    c.json(
      await store.reports.overview({
        from: c.req.query('from'),
        to: c.req.query('to'),
        siteId: c.req.query('site') || undefined,
      }),
    ),
  );

  authed.get('/profiles/:id', async function profile(c) {
    const found = await profileStore.get(c.req.param('id'));
    if (!found) throw new ApiError(404, 'not_found', 'no profile with this id', 'id');
    return c.json(found satisfies ProfileReply);
  });

  /** Older events of a profile, a page at a time, before the cursor the profile (or the previous page) gave. */
  authed.get('/profiles/:id/timeline', async function olderEvents(c) {
    const before = c.req.query('before');
    if (!before) throw new ApiError(400, 'invalid_query', 'before is required', 'before');
    const limitText = c.req.query('limit');
    const limit = limitText === undefined ? TIMELINE_PAGE : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > TIMELINE_PAGE)
      throw new ApiError(
        400,
        'invalid_query',
        `limit must be a whole number from 1 to ${TIMELINE_PAGE}`,
        'limit',
      );
    const page = await profileStore.timeline(c.req.param('id'), before, limit);
    if (!page) throw new ApiError(404, 'not_found', 'no profile with this id', 'id');
    return c.json(page satisfies TimelineReply);
  });

  authed.post('/profiles/:id/merge', async function merge(c) {
    const body = await jsonBody(c.req, MergeSchema);
    const id = await profileStore.merge(c.req.param('id'), body.otherId, body.reason);
    return c.json((await profileStore.get(id))! satisfies ProfileReply);
  });

  authed.post('/links/:id/revoke', async function revoke(c) {
    const body = await jsonBody(c.req, RevokeSchema);
    await profileStore.revokeLink(c.req.param('id'), body.reason);
    return c.json({ ok: true });
  });

  authed.get('/merge-proposals', async function proposals(c) {
    const reply: MergeProposalsReply = {
      proposals: await profileStore.proposals(c.req.query('site') || undefined),
    };
    return c.json(reply);
  });

  authed.post('/merge-proposals/:id', async function answer(c) {
    const body = await jsonBody(c.req, AnswerSchema);
    await profileStore.answerProposal(c.req.param('id'), body.accept);
    return c.json({ ok: true, accepted: body.accept });
  });

  authed.post('/profiles/:id/stage', async function stage(c) {
    const body = await jsonBody(c.req, StageSchema);
    await profileStore.setStage(c.req.param('id'), body.stage, body.reason);
    return c.json((await profileStore.get(c.req.param('id')))! satisfies ProfileReply);
  });

  authed.get('/changes', async function changes(c) {
    const after = whole(c.req.query('after') ?? '0', 'after', 0, Number.MAX_SAFE_INTEGER);
    const limit = whole(c.req.query('limit') ?? '100', 'limit', 1, 1000);
    const reply: ProfileChangesReply = await profileStore.changes({
      siteId: c.req.query('site') || undefined,
      after,
      limit,
    });
    return c.json(reply);
  });

  authed.post('/profiles/:id/referrals/:messageId/review', async function review(c) {
    const body = await jsonBody(c.req, ReviewSchema);
    await profileStore.reviewReferral(c.req.param('id'), c.req.param('messageId'), body.approve);
    return c.json((await profileStore.get(c.req.param('id')))! satisfies ProfileReply);
  });

  app.route('/', authed);
  app.all('*', (c) => {
    throw new ApiError(404, 'not_found', `no API route ${c.req.method} ${c.req.path}`);
  });
  return app;
}
