// POST /v1/stripe/:siteKey: Stripe webhooks. The signature is checked on the raw body with the site's webhook
// secret (the official package, 300 s tolerance); then the store records the event once, in one transaction: as
// a billing event on the matched profile, waiting in the unmatched payments list, or ignored with its reason.
import { Hono } from 'hono';
import Stripe from 'stripe';
import { LIMITS } from '../../wire.ts';
import { limitBody } from '../http/body.ts';
import { ApiError } from '../http/errors.ts';
import type { Store } from '../store/types.ts';
import { readStripeEvent } from './webhook.ts';

export const STRIPE_TOLERANCE_SECONDS = 300;

export function stripeRoutes(store: Store): Hono {
  const app = new Hono();
  app.use('*', limitBody(LIMITS.requestBytes));

  app.post('/:siteKey', async function stripeWebhook(c) {
    const access = await store.sites.access(c.req.param('siteKey'));
    if (!access || access.secret) throw new ApiError(404, 'unknown_key', 'no site with this key', 'siteKey');
    const siteId = access.site.id;
    const secret = await store.billing.stripeSecret(siteId);
    if (!secret)
      throw new ApiError(400, 'stripe_not_configured', 'this site has no Stripe webhook secret', 'siteKey');
    // The signature covers the exact bytes Stripe sent: verify the raw body, parse only after.
    const raw = Buffer.from(await c.req.arrayBuffer());
    let signed: unknown;
    try {
      signed = Stripe.webhooks.constructEvent(
        raw,
        c.req.header('stripe-signature') ?? '',
        secret,
        STRIPE_TOLERANCE_SECONDS,
      );
    } catch (err) {
      throw new ApiError(
        400,
        'invalid_signature',
        `Stripe-Signature: ${err instanceof Error ? err.message : 'not valid'}`,
        'Stripe-Signature',
      );
    }
    const delivery = readStripeEvent(signed);
    // Signed but without an id to record it by: acknowledged (Stripe would retry it for days), not stored.
    if (!delivery)
      return c.json({
        received: true,
        ignored: true,
        reason:
          signed && typeof signed === 'object'
            ? 'id: the event has no usable id'
            : 'the event is not an object',
      });
    const done = await store.billing.recordStripeEvent(siteId, delivery);
    switch (done.outcome) {
      case 'duplicate':
        return c.json({ received: true, duplicate: true });
      case 'ignored':
        return c.json({ received: true, ignored: true, reason: done.reason });
      case 'stored':
        return c.json({ received: true, profileId: done.profileId, matchedBy: done.matchedBy });
      case 'unmatched':
        return c.json({ received: true, profileId: null, unmatched: done.money });
    }
  });
  return app;
}
