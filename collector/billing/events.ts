// Billing events: the reserved track names, their validation (secret key only, properties, amount decimals)
// and the facts a valid one states, in minor units. Pure.
import * as v from 'valibot';
import { BILLING_EVENT_NAMES, BILLING_EVENTS, BillingPropertiesSchema, type WireEvent } from '../../wire.ts';
import { toMinor } from './money.ts';

export type BillingKind = 'invoiced' | 'paid' | 'failed' | 'refunded' | 'void';

const KIND: Record<string, BillingKind> = {
  [BILLING_EVENTS.invoiceCreated]: 'invoiced',
  [BILLING_EVENTS.invoicePaid]: 'paid',
  [BILLING_EVENTS.paymentSucceeded]: 'paid',
  [BILLING_EVENTS.paymentFailed]: 'failed',
  [BILLING_EVENTS.refundIssued]: 'refunded',
  [BILLING_EVENTS.invoiceVoided]: 'void',
};

export interface BillingFacts {
  kind: BillingKind;
  invoiceId: string | null;
  paymentId: string | null;
  /** Minor units; on a refund, the total refunded so far (null: all of it). */
  amount: number | null;
  currency: string | null;
  method: string | null;
  customerId: string | null;
}

export function isBillingEvent(e: Pick<WireEvent, 'type' | 'event'>): boolean {
  return e.type === 'track' && !!e.event && BILLING_EVENT_NAMES.includes(e.event);
}

/** Why a billing event is refused ("field: message"), or null when it is fine (or not a billing event). */
export function billingProblem(e: WireEvent, secret: boolean): string | null {
  if (!isBillingEvent(e)) return null;
  if (!secret) return `event: "${e.event}" is a billing event, accepted only with the secret key`;
  const parsed = v.safeParse(BillingPropertiesSchema, e.properties ?? {});
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.');
    return `properties${path ? `.${path}` : ''}: ${issue.message}`;
  }
  const { amount, currency } = parsed.output;
  if (amount !== undefined && currency) {
    const m = toMinor(amount, currency);
    if (!m.ok) return `properties.amount: ${m.error}`;
  }
  return null;
}

/** The facts of a valid billing event; null for any other event. */
export function billingFacts(e: WireEvent): BillingFacts | null {
  if (!isBillingEvent(e)) return null;
  const parsed = v.safeParse(BillingPropertiesSchema, e.properties ?? {});
  if (!parsed.success) return null;
  const p = parsed.output;
  const m = p.amount !== undefined && p.currency ? toMinor(p.amount, p.currency) : null;
  return {
    kind: KIND[e.event!],
    invoiceId: p.invoice_id ?? null,
    paymentId: p.payment_id ?? null,
    amount: m?.ok ? m.minor : null,
    currency: p.currency ?? null,
    method: p.method?.toLowerCase() || null,
    customerId: p.customer_id ?? null,
  };
}
