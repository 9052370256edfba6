// Builds the Hono app from its parts; the only place that knows every route.
import { Hono } from 'hono';
import { adminRoutes } from './admin/routes.ts';
import type { Db } from './db/client.ts';
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
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(onError);
  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404),
  );
  app.get('/health', (c) => c.json({ ok: true, pending: deps.writer.pending }));
  app.route('/v1', ingestRoutes({ sites: deps.sites, writer: deps.writer }));
  app.route('/api', adminRoutes(deps.db));
  app.route('/', staticRoutes(deps.distDir));
  return app;
}

export { ApiError };
