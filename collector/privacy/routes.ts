// The privacy API, admin only: everything held about a profile as JSON (export), its erasure (one write transaction
// that leaves a receipt without personal data), and the receipts. Mounted at /api.
import { Hono } from 'hono';
import * as v from 'valibot';
import type { EraseReply, ErasuresReply } from '../../wire.ts';
import { adminOnly, type AuthVars, requireAdmin } from '../admin/auth.ts';
import { jsonBody } from '../http/body.ts';
import { ApiError } from '../http/errors.ts';
import type { Store } from '../store/types.ts';

const EraseSchema = v.pipe(
  v.unknown(),
  v.check(
    (x) => typeof x === 'object' && x !== null && !Array.isArray(x),
    'the body must be a JSON object: {} or {"reason": "…"}',
  ),
  v.object({
    reason: v.optional(
      v.nullable(
        v.pipe(
          v.string('reason must be a string'),
          v.trim(),
          v.maxLength(300, 'reason is at most 300 characters'),
        ),
      ),
    ),
  }),
);

export function privacyRoutes(store: Store): Hono<AuthVars> {
  const app = new Hono<AuthVars>();
  app.use('/profiles/:id/export', requireAdmin(store), adminOnly);
  app.use('/profiles/:id/erase', requireAdmin(store), adminOnly);
  app.use('/erasures', requireAdmin(store), adminOnly);

  app.get('/profiles/:id/export', async function exportProfile(c) {
    const data = await store.privacy.export(c.req.param('id'));
    if (!data) throw new ApiError(404, 'not_found', 'no profile with this id', 'id');
    c.header('Content-Disposition', `attachment; filename="profile-${data.profile.id}.json"`);
    c.header('Cache-Control', 'no-store');
    return c.json(data);
  });

  app.post('/profiles/:id/erase', async function erase(c) {
    // An empty body is the same as {}.
    const text = await c.req.text();
    const body = await jsonBody({ text: async () => (text.trim() ? text : '{}') }, EraseSchema);
    const user = c.get('user');
    const erasure = await store.privacy.erase(c.req.param('id'), {
      userId: user?.id ?? null,
      via: c.get('via'),
      reason: body.reason || null,
    });
    if (!erasure) throw new ApiError(404, 'not_found', 'no profile with this id', 'id');
    const reply: EraseReply = { erasure };
    return c.json(reply);
  });

  app.get('/erasures', async function erasures(c) {
    const siteId = c.req.query('site') || undefined;
    const limitText = c.req.query('limit');
    const limit = limitText === undefined ? 100 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500)
      throw new ApiError(400, 'invalid_query', 'limit must be a whole number from 1 to 500', 'limit');
    if (siteId && !(await store.sites.byId(siteId)))
      throw new ApiError(404, 'not_found', 'no site with this id', 'site');
    const reply: ErasuresReply = { erasures: await store.privacy.erasures({ siteId, limit }) };
    return c.json(reply);
  });

  return app;
}
