// The billing admin API: a site's Stripe webhook secret (masked in every reply), the unmatched payments list
// and attaching one to a profile, and revenue attribution. Behind requireAdmin like the rest of /api.
import { Hono } from 'hono';
import { csrf } from 'hono/csrf';
import * as v from 'valibot';
import {
  type AttributionReply,
  StripeSecretSchema,
  type StripeSettingsReply,
  type UnmatchedPaymentsReply,
} from '../../wire.ts';
import { type AuthVars, requireAdmin } from '../admin/auth.ts';
import { liveProfileRow } from '../admin/profiles.ts';
import type { Db } from '../db/client.ts';
import { jsonBody } from '../http/body.ts';
import { ApiError } from '../http/errors.ts';
import type { SiteCache } from '../ingest/sites.ts';
import type { Writer } from '../ingest/writer.ts';
import { attribution } from './attribution.ts';
import { listUnmatched } from './ledger.ts';
import { maskSecret, ownerOf, profileOfCustomer, setStripeSecret, stripeSecretOf } from './store.ts';
import { type OwnerlessTrack, submitOwned } from './stripe-routes.ts';

export interface BillingAdminDeps {
  db: Db;
  writer: Writer;
  sites: SiteCache;
}

const AttachSchema = v.object({
  profileId: v.pipe(
    v.string('profileId is required'),
    v.minLength(1, 'profileId is required'),
    v.maxLength(100),
  ),
});

function authed(db: Db): Hono<AuthVars> {
  const app = new Hono<AuthVars>();
  app.use('*', csrf());
  app.use('*', requireAdmin(db));
  return app;
}

/** Mounted at /api/sites/:siteId/stripe. */
export function stripeSettingsRoutes(deps: BillingAdminDeps): Hono<AuthVars> {
  const app = authed(deps.db);
  const reply = (siteKey: string, secret: string | null): StripeSettingsReply => ({
    configured: !!secret,
    secretHint: maskSecret(secret),
    webhookPath: `/v1/stripe/${siteKey}`,
  });
  const site = async (id: string) => {
    const rs = await deps.db.execute({ sql: 'SELECT site_key FROM sites WHERE id = ?', args: [id] });
    if (!rs.rows[0]) throw new ApiError(404, 'not_found', 'no site with this id', 'siteId');
    return String(rs.rows[0].site_key);
  };
  app.get('/', async function stripeSettings(c) {
    const id = c.req.param('siteId')!;
    const key = await site(id);
    return c.json(reply(key, await stripeSecretOf(deps.db, id)));
  });
  app.put('/', async function setStripe(c) {
    const id = c.req.param('siteId')!;
    const key = await site(id);
    const { secret } = await jsonBody(c.req, StripeSecretSchema);
    await setStripeSecret(deps.db, id, secret);
    return c.json(reply(key, secret));
  });
  return app;
}

/** Mounted at /api/payments. */
export function paymentRoutes(deps: BillingAdminDeps): Hono<AuthVars> {
  const app = authed(deps.db);
  app.get('/unmatched', async function unmatched(c) {
    const reply: UnmatchedPaymentsReply = {
      payments: await listUnmatched(deps.db, c.req.query('site') || undefined),
    };
    return c.json(reply);
  });
  app.post('/:id/attach', async function attach(c) {
    const { profileId } = await jsonBody(c.req, AttachSchema);
    const rs = await deps.db.execute({
      sql: 'SELECT * FROM payments WHERE id = ?',
      args: [c.req.param('id')],
    });
    const row = rs.rows[0];
    if (!row) throw new ApiError(404, 'not_found', 'no payment with this id', 'id');
    if (row.ident !== null)
      throw new ApiError(409, 'already_attached', 'this payment already belongs to a profile', 'id');
    const profile = await liveProfileRow(deps.db, profileId);
    if (!profile || profile.site_id !== row.site_id)
      throw new ApiError(404, 'not_found', 'no profile with this id on the payment’s site', 'profileId');
    const siteId = String(row.site_id);
    const owner = await ownerOf(deps.db, siteId, String(profile.id));
    if (!owner)
      throw new ApiError(
        409,
        'no_identifiers',
        'the profile has no user id or browser to own events',
        'profileId',
      );
    const events = JSON.parse(String(row.pending ?? '[]')) as OwnerlessTrack[];
    for (const e of events) {
      const customer = e.properties.customer_id;
      const holder = typeof customer === 'string' ? await profileOfCustomer(deps.db, siteId, customer) : null;
      // The marketer attaches this payment, not the Stripe customer's other profile: no merge through it.
      if (holder && holder !== String(profile.id)) delete e.properties.customer_id;
    }
    if (events.length) await submitOwned(deps.writer, siteId, owner, events);
    await deps.db.execute({
      sql: 'UPDATE payments SET ident = COALESCE(ident, ?), pending = NULL, updated_at = ? WHERE id = ?',
      args: [owner, Date.now(), String(row.id)],
    });
    return c.json({ ok: true, paymentId: String(row.id), profileId: String(profile.id) });
  });
  return app;
}

function time(value: string | undefined, field: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ApiError(400, 'invalid_query', `${field} must be an ISO 8601 date`, field);
  return ms;
}

/** Mounted at /api/attribution. */
export function attributionRoutes(deps: BillingAdminDeps): Hono<AuthVars> {
  const app = authed(deps.db);
  app.get('/', async function revenueAttribution(c) {
    const to = time(c.req.query('to'), 'to', Date.now() + 1);
    const from = time(c.req.query('from'), 'from', to - 30 * 86_400_000);
    if (from >= to) throw new ApiError(400, 'invalid_query', 'from must be before to', 'from');
    const siteId = c.req.query('site') || undefined;
    const reply: AttributionReply = {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      siteId: siteId ?? null,
      models: await attribution(deps.db, { from, to, siteId }),
    };
    return c.json(reply);
  });
  return app;
}
