// Stripe webhook events as Touchpoint billing facts: which billing event (if any) an event is, its ids, amount
// (as a major-unit decimal, like the API takes) and the hints that match it to a profile. Pure; handles the
// object shapes of both older API versions (invoice.charge, charge.invoice) and newer ones (invoice.payments).
// Never throws: a shape it cannot use (a signed event from a future API version included) is ignored with a reason.
import { BILLING_EVENTS, isStorable, LIMITS, type WireEvent } from '../../wire.ts';
import { billingProblem } from './events.ts';
import { stripeToMajor } from './money.ts';

/** Stripe event types the webhook handles; any other type is acknowledged and ignored. */
export const STRIPE_EVENT_TYPES = [
  'invoice.created',
  'invoice.finalized',
  'invoice.paid',
  'invoice.payment_failed',
  'invoice.voided',
  'checkout.session.completed',
  'charge.succeeded',
  'charge.failed',
  'charge.refunded',
  'customer.created',
  'customer.updated',
] as const;

/** Track name of a Stripe event that only tells who the customer is. */
export const CUSTOMER_EVENT = 'Billing Customer Updated';

export interface StripeFacts {
  /** A billing event name, or CUSTOMER_EVENT when the event carries no money. */
  event: string;
  properties: Record<string, unknown>;
  customerId: string | null;
  email: string | null;
  /** client_reference_id or metadata.touchpoint_profile: a profile id, user id or anonymous id. */
  hint: string | null;
  /** Event time (ms): Stripe's `created`. */
  at: number;
}

type Obj = Record<string, unknown>;
/** Text Touchpoint can store as itself, trimmed, at most `max` long; anything else counts as absent. */
const str = (x: unknown, max = 1000): string | null =>
  typeof x === 'string' && x.trim() && x.length <= max && isStorable(x) ? x.trim() : null;
/** An expandable field: an id, or the expanded object's id. */
const idOf = (x: unknown): string | null =>
  str(x, LIMITS.idLength) ?? (x && typeof x === 'object' ? str((x as Obj).id, LIMITS.idLength) : null);
const obj = (x: unknown): Obj => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Obj) : {});
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** What every delivery is recorded by: the event's id, type and creation time (seconds). */
export interface StripeEnvelope {
  id: string;
  type: string;
  created: number;
  data: { object: unknown };
}

function money(amount: unknown, currency: unknown): Obj {
  const a = num(amount);
  const c = str(currency);
  return a === null || !c ? {} : { amount: stripeToMajor(a, c), currency: c.toUpperCase() };
}

function hintOf(o: Obj): string | null {
  return (
    str(o.client_reference_id) ??
    str(obj(o.metadata).touchpoint_profile) ??
    str(obj(obj(o.subscription_details).metadata).touchpoint_profile)
  );
}

/** An invoice's payment: invoice.payment_intent / invoice.charge (older API) or invoice.payments (2025+). */
function invoicePayment(inv: Obj): string | null {
  const data = obj(inv.payments).data;
  const listed = Array.isArray(data) ? data.map((p) => obj(obj(p).payment)) : null;
  return (
    idOf(inv.payment_intent) ??
    idOf(inv.charge) ??
    (listed?.length ? (idOf(listed[0].payment_intent) ?? idOf(listed[0].charge)) : null)
  );
}

function chargeMethod(ch: Obj): string | null {
  const type = str(obj(ch.payment_method_details).type, 100);
  if (!type) return null;
  if (/bank|sepa|bacs|becs|ach|acss/.test(type)) return 'bank_transfer';
  if (/wallet|paypal|link|cashapp|alipay|wechat|amazon|revolut/.test(type)) return 'wallet';
  return type;
}

/** The billing facts of a Stripe event, or null for a type (or object) it does not handle. */
export function stripeFacts(event: Pick<StripeEnvelope, 'type' | 'created' | 'data'>): StripeFacts | null {
  const reading = stripeReading(event);
  return 'facts' in reading ? reading.facts : null;
}

/**
 * The billing facts of a Stripe event, or why it is ignored: a type Touchpoint does not use, an object without
 * the id it needs, a time outside 2000-01-01 … now + a day, or facts that would not make a valid billing event.
 */
export function stripeReading(
  event: Pick<StripeEnvelope, 'type' | 'created' | 'data'>,
  now = Date.now(),
): { facts: StripeFacts } | { ignored: string } {
  if (!(STRIPE_EVENT_TYPES as readonly string[]).includes(event.type))
    return { ignored: `Touchpoint does not use ${event.type} events` };
  const data = event.data?.object;
  if (!data || typeof data !== 'object' || Array.isArray(data))
    return { ignored: 'data.object: not an object' };
  const at = event.created * 1000;
  if (!(at >= LIMITS.earliestEventMs && at <= now + LIMITS.futureEventMs))
    return { ignored: 'created is not a time between 2000-01-01 and now' };
  const facts = factsOf(event.type, data as Obj, at);
  if (!facts) return { ignored: 'data.object: its id (data.object.id) is missing' };
  // The facts become a track event sent with the secret key: refuse here what ingest would refuse there.
  const track = {
    type: 'track',
    event: facts.event,
    properties: { ...facts.properties, ...(facts.customerId ? { customer_id: facts.customerId } : {}) },
  } as WireEvent;
  const problem = billingProblem(track, true);
  if (problem) return { ignored: `data.object does not make a valid billing event: ${problem}` };
  return { facts };
}

function factsOf(type: string, o: Obj, at: number): StripeFacts | null {
  const base = { at, hint: hintOf(o) };
  const compact = (p: Obj) =>
    Object.fromEntries(Object.entries(p).filter(([, v]) => v !== null && v !== undefined));
  switch (type) {
    case 'invoice.created':
    case 'invoice.finalized':
    case 'invoice.paid':
    case 'invoice.payment_failed':
    case 'invoice.voided': {
      const id = idOf(o.id);
      if (!id) return null;
      const customerId = idOf(o.customer);
      const paid = type === 'invoice.paid';
      const name =
        type === 'invoice.paid'
          ? BILLING_EVENTS.invoicePaid
          : type === 'invoice.payment_failed'
            ? BILLING_EVENTS.paymentFailed
            : type === 'invoice.voided'
              ? BILLING_EVENTS.invoiceVoided
              : BILLING_EVENTS.invoiceCreated;
      // A zero invoice (a trial) is no payment: it only tells who the customer is.
      const amount = paid ? o.amount_paid : o.amount_due;
      const free = paid && num(o.amount_paid) === 0;
      return {
        ...base,
        event: free ? CUSTOMER_EVENT : name,
        customerId,
        email: str(o.customer_email),
        properties: compact({
          ...(free ? {} : money(amount, o.currency)),
          invoice_id: free ? null : id,
          payment_id: free ? null : invoicePayment(o),
          status: str(o.status),
          stripe_event: type,
        }),
      };
    }
    case 'charge.succeeded':
    case 'charge.failed':
    case 'charge.refunded': {
      const id = idOf(o.id);
      if (!id) return null;
      const refunded = type === 'charge.refunded';
      return {
        ...base,
        event: refunded
          ? BILLING_EVENTS.refundIssued
          : type === 'charge.failed'
            ? BILLING_EVENTS.paymentFailed
            : BILLING_EVENTS.paymentSucceeded,
        customerId: idOf(o.customer),
        email: str(obj(o.billing_details).email) ?? str(o.receipt_email),
        properties: compact({
          // On a refund, Stripe's amount_refunded is the total so far: what Refund Issued's amount means.
          ...money(refunded ? o.amount_refunded : o.amount, o.currency),
          payment_id: idOf(o.payment_intent) ?? id,
          invoice_id: idOf(o.invoice),
          method: chargeMethod(o),
          charge_id: id,
          failure: str(o.failure_message),
          stripe_event: type,
        }),
      };
    }
    case 'checkout.session.completed': {
      const id = idOf(o.id);
      if (!id) return null;
      const paid = o.payment_status === 'paid' && (num(o.amount_total) ?? 0) > 0;
      const types = Array.isArray(o.payment_method_types) ? o.payment_method_types : [];
      return {
        ...base,
        event: paid ? BILLING_EVENTS.paymentSucceeded : CUSTOMER_EVENT,
        customerId: idOf(o.customer),
        email: str(obj(o.customer_details).email) ?? str(o.customer_email),
        properties: compact({
          ...(paid ? money(o.amount_total, o.currency) : {}),
          payment_id: paid ? (idOf(o.payment_intent) ?? (idOf(o.invoice) ? null : id)) : null,
          invoice_id: paid ? idOf(o.invoice) : null,
          method: paid && types.length === 1 ? (str(types[0]) === 'card' ? 'card' : str(types[0])) : null,
          checkout_session: id,
          stripe_event: type,
        }),
      };
    }
    case 'customer.created':
    case 'customer.updated': {
      const id = idOf(o.id);
      if (!id) return null;
      return {
        ...base,
        event: CUSTOMER_EVENT,
        customerId: id,
        email: str(o.email),
        properties: compact({ billing_name: str(o.name), stripe_event: type }),
      };
    }
    default:
      return null;
  }
}
