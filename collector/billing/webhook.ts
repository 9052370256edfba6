// A verified Stripe event as what the collector keeps of it: its envelope (id, type, time) and the track event
// it becomes before its owner is known, or why it is ignored. Pure; billing/stripe.ts reads the object itself.
import * as v from 'valibot';
import { EventSchema, type WireEvent } from '../../wire.ts';
import { type BillingFacts, billingFacts, billingProblem } from './events.ts';
import { STRIPE_EVENT_TYPES, type StripeFacts, stripeReading } from './stripe.ts';

/** A track event before its owner (user id or anonymous id) is known; unmatched money keeps these waiting. */
export interface OwnerlessTrack {
  type: 'track';
  messageId: string;
  event: string;
  properties: Record<string, unknown>;
  timestamp: string;
  context: Record<string, unknown>;
}

/** What the collector uses of a Stripe event. */
export interface StripeUse {
  /** The track event it becomes, carrying the Stripe customer (dropped when another profile holds it). */
  track: OwnerlessTrack;
  /** The money it states, in minor units; null for an event that only tells who the customer is. */
  money: BillingFacts | null;
  /** What may find its profile: a reference (client_reference_id, metadata), a Stripe customer, an email. */
  hint: string | null;
  customerId: string | null;
  email: string | null;
  /** Event time (ms): Stripe's `created`. */
  at: number;
}

/** A verified Stripe event, ready to be recorded once. */
export interface StripeDelivery {
  id: string;
  type: string;
  /** Stripe's `created`, in seconds (0 when the event had none). */
  created: number;
  /** What the collector uses of it, or why it uses nothing (it is then only recorded as ignored). */
  use: StripeUse | { ignored: string };
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

/** The track event owned by `owner` ('u:…' or 'a:…') and validated as a signed webhook's, or what is wrong. */
export function ownedTrack(
  track: OwnerlessTrack,
  owner: string,
): { ok: true; event: WireEvent } | { ok: false; problem: string } {
  const who = owner.startsWith('u:') ? { userId: owner.slice(2) } : { anonymousId: owner.slice(2) };
  const parsed = v.safeParse(EventSchema, { ...track, ...who });
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.');
    return { ok: false, problem: `${path ? `${path}: ` : ''}${issue.message}` };
  }
  const event = parsed.output as WireEvent;
  const problem = billingProblem(event, true);
  return problem ? { ok: false, problem } : { ok: true, event };
}

const MAX_ID = 255;
const MAX_REASON = 500;
const text = (x: unknown) => (typeof x === 'string' ? x : '');

/**
 * What the webhook records of a verified Stripe event; null when it has no id to record it by. An event of a
 * type or shape the collector does not use comes back ignored with the reason, so it is acknowledged once
 * (Stripe would otherwise retry it for days) and can still be found.
 */
export function readStripeEvent(event: unknown): StripeDelivery | null {
  const e = (event && typeof event === 'object' ? event : {}) as Record<string, unknown>;
  const id = text(e.id);
  if (!id || id.length > MAX_ID) return null;
  const type = text(e.type).slice(0, MAX_ID);
  const created = typeof e.created === 'number' && Number.isFinite(e.created) ? e.created : null;
  const ignored = (reason: string): StripeDelivery => ({
    id,
    type,
    created: created ?? 0,
    use: { ignored: reason.slice(0, MAX_REASON) },
  });
  if (!(STRIPE_EVENT_TYPES as readonly string[]).includes(type))
    return ignored(`type: the collector does not use ${type ? `${type} events` : 'events without a type'}`);
  if (created === null) return ignored('created: not a number');
  const data = e.data && typeof e.data === 'object' ? (e.data as Record<string, unknown>) : {};
  let facts: StripeFacts | null;
  let track: OwnerlessTrack;
  try {
    const reading = stripeReading({ type, created, data: { object: data.object } });
    if ('ignored' in reading) return ignored(reading.ignored);
    facts = reading.facts;
    track = stripeTrack(id, facts, facts.customerId);
  } catch (err) {
    // A shape stripe.ts does not expect yet: acknowledged and kept findable rather than retried forever.
    return ignored(`data.object: unreadable ${type} (${err instanceof Error ? err.message : String(err)})`);
  }
  // Any owner shows whether the rest is valid: the owner only fills anonymousId or userId.
  const owned = ownedTrack(track, 'a:stripe');
  if (!owned.ok) return ignored(owned.problem);
  return {
    id,
    type,
    created,
    use: {
      track,
      money: billingFacts(owned.event),
      hint: facts.hint,
      customerId: facts.customerId,
      email: facts.email,
      at: facts.at,
    },
  };
}
