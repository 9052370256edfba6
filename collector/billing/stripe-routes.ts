// POST /v1/stripe/:siteKey: Stripe webhooks. The signature is checked on the raw body with the site's webhook
// secret (the official package, 300 s tolerance); an event id is processed once; the event becomes a billing
// event on the matched profile, or waits in the unmatched payments list.
import { Hono } from 'hono';
import Stripe from 'stripe';
import * as v from 'valibot';
import { EventSchema, LIMITS, type WireEvent } from '../../wire.ts';
import type { Db } from '../db/client.ts';
import { limitBody } from '../http/body.ts';
import { ApiError } from '../http/errors.ts';
import { prepareEvent } from '../ingest/prepare.ts';
import type { SiteCache } from '../ingest/sites.ts';
import type { Writer } from '../ingest/writer.ts';
import { billingFacts, billingProblem } from './events.ts';
import { recordPayment } from './ledger.ts';
import { readStripeEvent, type StripeFacts, stripeEnvelope } from './stripe.ts';
import {
  markStripeEvent,
  matchProfile,
  ownerOf,
  profileOfCustomer,
  seenStripeEvent,
  stripeSecretOf,
} from './store.ts';

export const STRIPE_TOLERANCE_SECONDS = 300;

export interface StripeDeps {
  db: Db;
  sites: SiteCache;
  writer: Writer;
}

/** A track event before its owner (user id or anonymous id) is known. */
export interface OwnerlessTrack {
  type: 'track';
  messageId: string;
  event: string;
  properties: Record<string, unknown>;
  timestamp: string;
  context: Record<string, unknown>;
}

/** The track event a Stripe event becomes, without its owner (set once matched). */
export function stripeTrack(eventId: string, facts: StripeFacts, customerId: string | null): OwnerlessTrack {
  return {
    type: 'track',
    messageId: `stripe:${eventId}`,
    event: facts.event,
    properties: {
      ...facts.properties,
      ...(customerId ? { customer_id: customerId } : {}),
      // Not `email`: a Stripe address is shown, never used to link profiles.
      ...(facts.email ? { billing_email: facts.email } : {}),
    },
    timestamp: new Date(facts.at).toISOString(),
    context: { library: { name: 'touchpoint-stripe', version: '1' } },
  };
}

/** Validates and submits events owned by `owner` ('u:…' or 'a:…') through the group-commit writer, as a signed webhook. */
export async function submitOwned(
  writer: Writer,
  siteId: string,
  owner: string,
  events: OwnerlessTrack[],
): Promise<void> {
  const receivedAt = Date.now();
  const prepared = events.map((e) => {
    const who = owner.startsWith('u:') ? { userId: owner.slice(2) } : { anonymousId: owner.slice(2) };
    const parsed = v.safeParse(EventSchema, { ...e, ...who });
    if (!parsed.success) throw new ApiError(500, 'internal', 'a Stripe event did not make a valid event');
    const problem = billingProblem(parsed.output as WireEvent, true);
    if (problem) throw new ApiError(400, 'invalid_event', problem);
    const p = prepareEvent(parsed.output as WireEvent, JSON.stringify(parsed.output), receivedAt);
    p.proof = 'webhook';
    return p;
  });
  await writer.submit(siteId, prepared);
}

export function stripeRoutes(deps: StripeDeps): Hono {
  const app = new Hono();
  app.use('*', limitBody(LIMITS.requestBytes));

  /** Unmatched rows of the payment a track event names, with the events they hold. */
  async function waitingFor(siteId: string, track: OwnerlessTrack) {
    const money = billingFacts({ ...track, userId: 'x' } as WireEvent);
    if (!money) return [];
    const rs = await deps.db.execute({
      sql: `SELECT id, pending FROM payments WHERE site_id = ? AND ident IS NULL AND pending IS NOT NULL
              AND (invoice_id = ? OR payment_id = ?)`,
      args: [siteId, money.invoiceId, money.paymentId],
    });
    return rs.rows.map((r) => ({
      id: String(r.id),
      events: JSON.parse(String(r.pending)) as OwnerlessTrack[],
    }));
  }

  app.post('/:siteKey', async function stripeWebhook(c) {
    const access = await deps.sites.byKey(c.req.param('siteKey'));
    if (!access || access.secret) throw new ApiError(404, 'unknown_key', 'no site with this key', 'siteKey');
    const siteId = access.site.id;
    const secret = await stripeSecretOf(deps.db, siteId);
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
    // A signed event of a shape Touchpoint cannot use is acknowledged (Stripe would retry a 4xx or 5xx), with why.
    const envelope = stripeEnvelope(signed);
    if ('ignored' in envelope) return c.json({ received: true, ignored: true, reason: envelope.ignored });
    const { event } = envelope;
    if (await seenStripeEvent(deps.db, siteId, event.id)) return c.json({ received: true, duplicate: true });
    const reading = readStripeEvent(event);
    const now = Date.now();
    if ('ignored' in reading) {
      await markStripeEvent(deps.db, siteId, event, now);
      return c.json({ received: true, ignored: true, reason: reading.ignored });
    }
    const { facts } = reading;
    const money = billingFacts({
      ...stripeTrack(event.id, facts, facts.customerId),
      userId: 'x',
    } as WireEvent);
    const match = await matchProfile(deps.db, siteId, facts.hint, facts.customerId, facts.email, money);
    const owner = match ? await ownerOf(deps.db, siteId, match.profileId) : null;
    if (match && owner) {
      // Link the Stripe customer only when no other profile holds it: a Stripe event alone never merges two profiles.
      const holder = facts.customerId ? await profileOfCustomer(deps.db, siteId, facts.customerId) : null;
      const customerId = holder && holder !== match.profileId ? null : facts.customerId;
      const track = stripeTrack(event.id, facts, customerId);
      // Earlier events of this payment that waited unmatched go to the same profile now.
      const waiting = await waitingFor(siteId, track);
      const events = [...waiting.flatMap((w) => w.events), track];
      if (!customerId) for (const e of events) delete e.properties.customer_id;
      await submitOwned(deps.writer, siteId, owner, events);
      for (const w of waiting)
        await deps.db.execute({
          sql: 'UPDATE payments SET ident = COALESCE(ident, ?), pending = NULL WHERE id = ?',
          args: [owner, w.id],
        });
      await markStripeEvent(deps.db, siteId, event, now);
      return c.json({ received: true, profileId: match.profileId, matchedBy: match.rule });
    }
    // Unmatched: money waits in the list for a marketer; a customer event with no profile changes nothing.
    const track = stripeTrack(event.id, facts, facts.customerId);
    const tx = await deps.db.transaction('write');
    try {
      // Checked again inside the write transaction: two concurrent deliveries of one event store it once.
      if (await seenStripeEvent(tx, siteId, event.id)) {
        await tx.commit();
        return c.json({ received: true, duplicate: true });
      }
      if (money) {
        const id = await recordPayment(
          tx,
          siteId,
          {
            facts: money,
            ident: null,
            ts: facts.at,
            messageId: track.messageId,
            source: 'stripe',
            email: facts.email,
          },
          now,
        );
        await tx.execute({
          sql: `UPDATE payments SET pending = json_insert(COALESCE(pending, '[]'), '$[#]', json(?))
                WHERE id = ? AND ident IS NULL`,
          args: [JSON.stringify(track), id],
        });
      }
      await markStripeEvent(tx, siteId, event, now);
      await tx.commit();
    } finally {
      tx.close();
    }
    return c.json({ received: true, profileId: null, unmatched: !!money });
  });
  return app;
}
