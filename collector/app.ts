// Builds the Hono app from its parts; the only place that knows every route.
import { type Context, Hono } from 'hono';
import { csrf } from 'hono/csrf';
import { secureHeaders } from 'hono/secure-headers';
import {
  Buckets,
  clientAddress,
  limitByAddress,
  type RateLimits,
  rateLimitsFrom,
  tooMany,
} from './http/rate-limit.ts';
import { adminRoutes } from './admin/routes.ts';
import { automationRoutes } from './automations/routes.ts';
import { allowPrivate } from './automations/webhooks.ts';
import { attributionRoutes, paymentRoutes, stripeSettingsRoutes } from './billing/admin-routes.ts';
import { stripeRoutes } from './billing/stripe-routes.ts';
import { createHub, followChanges, type Hub } from './chat/hub.ts';
import { inboxRoutes } from './chat/inbox.ts';
import { chatPublicRoutes, chatSettingsRoutes, widgetSettings } from './chat/routes.ts';
import { DEFAULT_TIMING, type StreamTiming } from './chat/sse.ts';
import { formSubmissionCheck } from './forms/check.ts';
import { formAdminRoutes, formPublicRoutes } from './forms/routes.ts';
import { LIMITS } from '../wire.ts';
import { limitBody } from './http/body.ts';
import { ApiError, onError } from './http/errors.ts';
import { staticRoutes } from './http/static.ts';
import { ingestRoutes } from './ingest/routes.ts';
import { privacyRoutes } from './privacy/routes.ts';
import type { Store } from './store/types.ts';

export interface AppDeps {
  store: Store;
  /** True once shutdown began: /ready says so, and streams end. */
  draining?: () => boolean;
  distDir: string;
  /** Chat and inbox streams: the heartbeat interval (tests shorten it). */
  streams?: StreamTiming;
  hub?: Hub;
  /** Whether an SMTP server is configured (default: TOUCHPOINT_SMTP_URL is set). */
  smtp?: boolean;
  /** Webhook endpoints may be private addresses (default: TOUCHPOINT_WEBHOOK_ALLOW_PRIVATE=1). */
  allowPrivate?: boolean;
  /** Rate limits (default: the TOUCHPOINT_RATE_* variables, else DEFAULT_LIMITS). */
  limits?: RateLimits;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(onError);
  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404),
  );
  const { store } = deps;
  // Liveness: the process answers. Readiness: the database answers and the writer has room.
  app.get('/health', (c) => c.json({ ok: true }));
  app.get('/ready', async function ready(c) {
    const writer = await store.writerState();
    const problems: string[] = [];
    if (deps.draining?.()) problems.push('shutting down');
    if (writer.pending >= writer.limit * 0.9) problems.push('writer saturated');
    try {
      await Promise.race([
        store.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000).unref()),
      ]);
    } catch {
      problems.push('database unreachable');
    }
    return c.json(
      { ready: problems.length === 0, problems, writer: { pending: writer.pending, limit: writer.limit } },
      problems.length ? 503 : 200,
    );
  });
  const hub = deps.hub ?? createHub();
  // the store's change feed (one poller per process, stopped when the store closes) wakes the streams
  followChanges(hub, store.chat);
  const timing = deps.streams ?? DEFAULT_TIMING;
  // Body limits run before any route reads a body (/v1 ingest and /v1/stripe set theirs in their routes).
  // Rate limits, before any body is read: every /v1 request per address, then per site, chat and login.
  const limits = deps.limits ?? rateLimitsFrom(process.env);
  const buckets = new Buckets();
  app.use(
    '/v1/*',
    limitByAddress(buckets, 'v1', () => limits.addressPerMinute, limits.trustProxy),
  );
  const admit = (siteId: string, events: number) => {
    const wait = buckets.take(`site\u0000${siteId}`, limits.sitePerMinute, 60_000, events);
    if (wait !== null) throw tooMany(wait, 'events from this site');
  };
  const admitMessage = (c: Context) => {
    const wait = buckets.take(
      `chat\u0000${clientAddress(c, limits.trustProxy)}`,
      limits.chatPerMinute,
      60_000,
    );
    if (wait !== null) throw tooMany(wait, 'chat messages from this address');
  };
  app.use('/v1/chat/*', limitBody(LIMITS.chatBytes));
  app.use('/v1/forms/*', limitBody(LIMITS.formBytes));
  app.use('/api/login', limitBody(LIMITS.loginBytes));
  app.use('/api/setup', limitBody(LIMITS.loginBytes));
  app.use('/api/*', limitBody(LIMITS.adminBytes));
  // Hardening headers on every admin answer (nosniff, frame denial, no referrer, a restrictive CSP…).
  app.use('/api/*', secureHeaders());
  // Browsers send Origin on cross-site posts; a form or text/plain post from another site is refused here,
  // before any /api route. Only a cookie is sent by the browser on its own: a request carrying an API token
  // in Authorization was made by a program that holds it, so it is not a cross-site forgery, whatever its
  // Content-Type (a DELETE usually has none).
  const forgery = csrf();
  app.use('/api/*', async (c, next) => {
    if (/^Bearer\s/i.test(c.req.header('authorization') ?? '')) return next();
    return forgery(c, next);
  });
  app.route('/v1/stripe', stripeRoutes(store));
  app.route('/v1/forms', formPublicRoutes(store));
  app.route('/v1', chatPublicRoutes({ store, hub, timing, admitMessage }));
  app.route(
    '/v1',
    ingestRoutes({
      sites: store.sites,
      events: store.events,
      vet: formSubmissionCheck(store.forms),
      widget: (siteId) => widgetSettings(store.chat, siteId),
      admit,
    }),
  );
  app.route('/api/sites/:siteId/forms', formAdminRoutes(store));
  app.route('/api/sites/:siteId/chat', chatSettingsRoutes(store));
  app.route('/api/inbox', inboxRoutes(store, hub, timing));
  app.route('/api/sites/:siteId/stripe', stripeSettingsRoutes(store));
  app.route('/api/payments', paymentRoutes(store));
  app.route('/api/attribution', attributionRoutes(store));
  app.route(
    '/api',
    automationRoutes({
      store,
      smtp: deps.smtp ?? !!process.env.TOUCHPOINT_SMTP_URL,
      allowPrivate: deps.allowPrivate ?? allowPrivate(),
    }),
  );
  app.route('/api', privacyRoutes(store));
  app.route('/api', adminRoutes(store, { buckets, limits }));
  app.route('/', staticRoutes(deps.distDir));
  return app;
}

export { ApiError };
