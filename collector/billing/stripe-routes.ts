// POST /v1/stripe/:siteKey: Stripe webhooks. The signature is checked on the raw body with the site's webhook
// secret (the official package, 300 s tolerance); then the store records the event once, in one transaction: as
// a billing event on the matched profile, waiting in the unmatched payments list, or ignored with its reason.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import Stripe from 'stripe';
import { LIMITS } from '../../wire.ts';
import { ApiError } from '../http/errors.ts';
import type { Store } from '../store/types.ts';
import { readStripeEvent } from './webhook.ts';

export const STRIPE_TOLERANCE_SECONDS = 300;

export function stripeRoutes(store: Store): Hono {
  const app = new Hono();
  app.use(
    '*',
    bodyLimit({
      maxSize: LIMITS.requestBytes,
      onError: () => {
        throw new ApiError(
          413,
          'too_large',
          `the request body is larger than ${LIMITS.requestBytes / 1024} KB`,
        );
      },
    }),
  );

  app.post('/:siteKey', async function stripeWebhook(c) {
    const access = await store.sites.access(c.req.param('siteKey'));
    if (!access || access.secret) throw new ApiError(404, 'unknown_key', 'no site with this key', 'siteKey');
    const siteId = access.site.id;
    const secret = await store.billing.stripeSecret(siteId);
    if (!secret)
      throw new ApiError(400, 'stripe_not_configured', 'this site has no Stripe webhook secret', 'siteKey');
    // The signature covers the exact bytes Stripe sent: verify the raw body, parse only after.
    const raw = Buffer.from(await c.req.arrayBuffer());
    let event: Stripe.Event;
    try {
      event = Stripe.webhooks.constructEvent(
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
    const delivery = readStripeEvent(event);
    if (!delivery) throw new ApiError(400, 'invalid_event', 'id: a Stripe event needs an id', 'id');
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
