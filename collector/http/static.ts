// Serves the built widget (/tp.js and its UI chunk) and the dashboard (/app) from dist/.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

interface Cached {
  mtimeMs: number;
  body: Buffer;
  etag: string;
}

/** Reads files once and again only when they change on disk. */
function fileCache() {
  const cache = new Map<string, Cached>();
  return async function load(path: string): Promise<Cached | null> {
    try {
      const info = await stat(path);
      if (!info.isFile()) return null;
      const hit = cache.get(path);
      if (hit && hit.mtimeMs === info.mtimeMs) return hit;
      const body = await readFile(path);
      const entry = {
        mtimeMs: info.mtimeMs,
        body,
        etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
      };
      cache.set(path, entry);
      return entry;
    } catch {
      return null;
    }
  };
}

export function staticRoutes(distDir: string): Hono {
  const app = new Hono();
  const load = fileCache();

  function serve(
    file: Cached,
    path: string,
    ifNoneMatch: string | undefined,
    headers: Record<string, string>,
  ) {
    const h = new Headers({
      ETag: file.etag,
      'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream',
      ...headers,
    });
    if (ifNoneMatch === file.etag) return new Response(null, { status: 304, headers: h });
    return new Response(new Uint8Array(file.body), { status: 200, headers: h });
  }

  const missing = () =>
    new Response(
      'Touchpoint is not built yet: run `npm run build` (npm start does it when dist/ is missing).',
      {
        status: 503,
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      },
    );

  // The embed's URL never changes, so it is cached briefly and revalidated by ETag.
  app.get('/tp.js', async (c) => {
    const path = join(distDir, 'widget/tp.js');
    const file = await load(path);
    if (!file) return missing();
    return serve(file, path, c.req.header('if-none-match'), {
      'Cache-Control': 'public, max-age=300, stale-while-revalidate=86400',
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
  });

  // The UI and chat launcher chunks are modules imported from the host page, so they need CORS.
  for (const name of ['tp-ui.js', 'tp-chat.js']) {
    app.get(`/${name}`, async (c) => {
      const path = join(distDir, 'widget', name);
      const file = await load(path);
      if (!file) return c.json({ error: { code: 'not_found', message: `${name} is not built` } }, 404);
      return serve(file, path, c.req.header('if-none-match'), {
        'Cache-Control': 'public, max-age=300, stale-while-revalidate=86400',
        'Access-Control-Allow-Origin': '*',
        'Cross-Origin-Resource-Policy': 'cross-origin',
      });
    });
  }

  app.get('/', (c) => c.redirect('/app/'));
  app.get('/app', (c) => c.redirect('/app/'));

  app.use(
    '/app/*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
      },
      referrerPolicy: 'same-origin',
    }),
  );

  app.get('/app/*', async (c) => {
    const rel = normalize(decodeURIComponent(c.req.path.slice('/app/'.length)));
    if (rel.startsWith('..')) return c.notFound();
    if (rel.startsWith('assets/')) {
      const path = join(distDir, 'dashboard', rel);
      const file = await load(path);
      if (!file) return c.notFound();
      // Asset names carry a content hash, so they never change.
      return serve(file, path, c.req.header('if-none-match'), {
        'Cache-Control': 'public, max-age=31536000, immutable',
      });
    }
    // Every other path is a route of the single-page app.
    const path = join(distDir, 'dashboard/index.html');
    const file = await load(path);
    if (!file) return missing();
    return serve(file, path, c.req.header('if-none-match'), { 'Cache-Control': 'no-cache' });
  });

  return app;
}
