// CORS for the public routes (ingest, the widget's reads): an origin is allowed when some site lists it.
// Hono's own cors middleware sets Vary after the handler made its response, which makes the node server build a
// full Response for every request (a tenth of ingest's cost); this sets every header before the handler runs.
import type { MiddlewareHandler } from 'hono';

export interface CorsOptions {
  /** Whether a (lower-cased) origin may call these routes. */
  allows(origin: string): Promise<boolean>;
  methods: string[];
  headers: string[];
  maxAgeSeconds: number;
}

export function siteCors(options: CorsOptions): MiddlewareHandler {
  const methods = options.methods.join(',');
  const headers = options.headers.join(',');
  const maxAge = String(options.maxAgeSeconds);
  return async function siteCors(c, next) {
    const origin = c.req.header('origin');
    // A server or same-origin request carries no Origin: no CORS headers to send.
    if (!origin) return next();
    const allowed = await options.allows(origin.toLowerCase());
    c.header('Vary', 'Origin');
    if (allowed) c.header('Access-Control-Allow-Origin', origin);
    if (c.req.method === 'OPTIONS') {
      if (allowed) {
        c.header('Access-Control-Allow-Methods', methods);
        c.header('Access-Control-Allow-Headers', headers);
        c.header('Access-Control-Max-Age', maxAge);
      }
      return c.body(null, 204);
    }
    return next();
  };
}
