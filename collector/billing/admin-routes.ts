// The billing admin API: a site's Stripe webhook secret (masked in every reply), the unmatched payments list
// and attaching one to a profile, and revenue attribution. Behind requireAdmin like the rest of /api.
import { reportRange, reportZone } from '../reports/zone.ts';
import { Hono } from 'hono';
import { csrf } from 'hono/csrf';
import * as v from 'valibot';
import {
  type AttributionReply,
  type LtvReply,
  StripeSecretSchema,
  type StripeSettingsReply,
  type UnmatchedPaymentsReply,
} from '../../wire.ts';
import { adminOnly, type AuthVars, requireAdmin } from '../admin/auth.ts';
import { jsonBody } from '../http/body.ts';
import { ApiError } from '../http/errors.ts';
import type { Store } from '../store/types.ts';
import { maskSecret } from './secret.ts';

const AttachSchema = v.object({
  profileId: v.pipe(
    v.string('profileId is required'),
    v.minLength(1, 'profileId is required'),
    v.maxLength(100),
  ),
});

function authed(store: Store): Hono<AuthVars> {
  const app = new Hono<AuthVars>();
  app.use('*', csrf());
  app.use('*', requireAdmin(store));
  return app;
}

/** Mounted at /api/sites/:siteId/stripe. */
export function stripeSettingsRoutes(store: Store): Hono<AuthVars> {
  const app = authed(store);
  app.use('*', adminOnly);
  const reply = (siteKey: string, secret: string | null): StripeSettingsReply => ({
    configured: !!secret,
    secretHint: maskSecret(secret),
    webhookPath: `/v1/stripe/${siteKey}`,
  });
  const siteKey = async (id: string) => {
    const site = await store.sites.byId(id);
    if (!site) throw new ApiError(404, 'not_found', 'no site with this id', 'siteId');
    return site.siteKey;
  };
  app.get('/', async function stripeSettings(c) {
    const id = c.req.param('siteId')!;
    const key = await siteKey(id);
    return c.json(reply(key, await store.billing.stripeSecret(id)));
  });
  app.put('/', async function setStripe(c) {
    const id = c.req.param('siteId')!;
    const key = await siteKey(id);
    const { secret } = await jsonBody(c.req, StripeSecretSchema);
    await store.billing.setStripeSecret(id, secret);
    return c.json(reply(key, secret));
  });
  return app;
}

/** Mounted at /api/payments. */
export function paymentRoutes(store: Store): Hono<AuthVars> {
  const app = authed(store);
  app.get('/unmatched', async function unmatched(c) {
    const reply: UnmatchedPaymentsReply = {
      payments: await store.billing.unmatched(c.req.query('site') || undefined),
    };
    return c.json(reply);
  });
  app.post('/:id/attach', async function attach(c) {
    const { profileId } = await jsonBody(c.req, AttachSchema);
    const done = await store.billing.attach(c.req.param('id'), profileId);
    return c.json({ ok: true, ...done });
  });
  return app;
}

/**
 * The range from the query. A date without a time is a whole day, inclusive, in the site's time zone, as the
 * overview sends its range: `from` is the start of that day and `to` its end, so a range ending today includes
 * today. A full ISO 8601 time is taken as it is; without `to`, the range ends at today's end in the zone.
 */
async function range(
  store: Store,
  q: { from?: string; to?: string; siteId?: string },
  fallbackDays: number,
): Promise<{ from: number; to: number; timeZone: string }> {
  const timeZone = await reportZone(store.sites, q.siteId);
  const r = reportRange(timeZone, q.from || undefined, q.to || undefined, fallbackDays);
  if ('field' in r) throw new ApiError(400, 'invalid_query', `${r.field} must be an ISO 8601 date`, r.field);
  if (r.start >= r.end) throw new ApiError(400, 'invalid_query', 'from must be before to', 'from');
  return { from: r.start, to: r.end, timeZone };
}

/** Mounted at /api/attribution. */
export function attributionRoutes(store: Store): Hono<AuthVars> {
  const app = authed(store);
  app.get('/', async function revenueAttribution(c) {
    const siteId = c.req.query('site') || undefined;
    const { from, to, timeZone } = await range(
      store,
      { from: c.req.query('from'), to: c.req.query('to'), siteId },
      30,
    );
    const reply: AttributionReply = {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      timeZone,
      siteId: siteId ?? null,
      models: await store.reports.attribution({ from, to, siteId }),
    };
    return c.json(reply);
  });
  // Lifetime value by first touch: the same range, read as the profiles' first touches.
  app.get('/ltv', async function lifetimeValue(c) {
    const siteId = c.req.query('site') || undefined;
    const { from, to, timeZone } = await range(
      store,
      { from: c.req.query('from'), to: c.req.query('to'), siteId },
      365,
    );
    const reply: LtvReply = {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      timeZone,
      siteId: siteId ?? null,
      rows: await store.reports.ltv({ from, to, siteId }),
    };
    return c.json(reply);
  });
  return app;
}
