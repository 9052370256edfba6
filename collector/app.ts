// Builds the Hono app from its parts; the only place that knows every route.
import { Hono } from 'hono';
import { adminRoutes } from './admin/routes.ts';
import { attributionRoutes, paymentRoutes, stripeSettingsRoutes } from './billing/admin-routes.ts';
import { stripeRoutes } from './billing/stripe-routes.ts';
import { createHub, type Hub } from './chat/hub.ts';
import { inboxRoutes } from './chat/inbox.ts';
import { chatPublicRoutes, chatSettingsRoutes } from './chat/routes.ts';
import { DEFAULT_TIMING, type StreamTiming } from './chat/sse.ts';
import type { Db } from './db/client.ts';
import { formSubmissionCheck } from './forms/check.ts';
import { formAdminRoutes, formPublicRoutes } from './forms/routes.ts';
import { LIMITS } from '../wire.ts';
import { limitBody } from './http/body.ts';
import { ApiError, onError } from './http/errors.ts';
import { staticRoutes } from './http/static.ts';
import { ingestRoutes } from './ingest/routes.ts';
import type { SiteCache } from './ingest/sites.ts';
import type { Writer } from './ingest/writer.ts';

export interface AppDeps {
  db: Db;
  writer: Writer;
  sites: SiteCache;
  distDir: string;
  /** Chat and inbox streams: poll and heartbeat intervals (tests shorten them). */
  streams?: StreamTiming;
  hub?: Hub;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(onError);
  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404),
  );
  app.get('/health', (c) => c.json({ ok: true, pending: deps.writer.pending }));
  const hub = deps.hub ?? createHub();
  const timing = deps.streams ?? DEFAULT_TIMING;
  // Body limits run before any route reads a body (/v1 ingest and /v1/stripe set theirs in their routes).
  app.use('/v1/chat/*', limitBody(LIMITS.chatBytes));
  app.use('/v1/forms/*', limitBody(LIMITS.formBytes));
  app.use('/api/login', limitBody(LIMITS.loginBytes));
  app.use('/api/setup', limitBody(LIMITS.loginBytes));
  app.use('/api/*', limitBody(LIMITS.adminBytes));
  app.route('/v1/stripe', stripeRoutes(deps));
  app.route('/v1/forms', formPublicRoutes(deps.db, deps.sites));
  app.route('/v1', chatPublicRoutes({ ...deps, hub, timing }));
  app.route(
    '/v1',
    ingestRoutes({ sites: deps.sites, writer: deps.writer, vet: formSubmissionCheck(deps.db) }),
  );
  app.route('/api/sites/:siteId/forms', formAdminRoutes(deps.db));
  app.route('/api/sites/:siteId/chat', chatSettingsRoutes(deps.db, deps.sites));
  app.route('/api/inbox', inboxRoutes(deps.db, hub, timing));
  app.route('/api/sites/:siteId/stripe', stripeSettingsRoutes(deps));
  app.route('/api/payments', paymentRoutes(deps));
  app.route('/api/attribution', attributionRoutes(deps));
  app.route('/api', adminRoutes(deps.db));
  app.route('/', staticRoutes(deps.distDir));
  return app;
}

export { ApiError };
