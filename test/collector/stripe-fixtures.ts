// Stripe webhook payloads shaped like Stripe's documented objects, signed with the official package.
import Stripe from 'stripe';
import type { Harness } from './harness.ts';

export const WHSEC = 'whsec_test_5f2b0c9e8d7a6b5c4d3e2f1a';

let n = 0;
const now = () => Math.floor(Date.now() / 1000);

export function stripeEvent(type: string, object: Record<string, unknown>, created = now() - 60) {
  n++;
  return {
    id: `evt_${Date.now().toString(36)}${n}`,
    object: 'event',
    api_version: '2024-06-20',
    created,
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: `req_${n}`, idempotency_key: null },
    type,
  };
}

export function invoice(over: Record<string, unknown> = {}) {
  return {
    id: 'in_1',
    object: 'invoice',
    amount_due: 4900,
    amount_paid: 4900,
    amount_remaining: 0,
    billing_reason: 'subscription_create',
    charge: 'ch_1',
    collection_method: 'charge_automatically',
    currency: 'usd',
    customer: 'cus_1',
    customer_email: 'ada@acme.com',
    customer_name: 'Ada Lovelace',
    hosted_invoice_url: 'https://invoice.stripe.com/i/acct_1/test',
    lines: { object: 'list', data: [], has_more: false, url: '/v1/invoices/in_1/lines' },
    livemode: false,
    metadata: {},
    number: 'ABC-0001',
    paid: true,
    payment_intent: 'pi_1',
    status: 'paid',
    subscription: 'sub_1',
    total: 4900,
    ...over,
  };
}

export function charge(over: Record<string, unknown> = {}) {
  return {
    id: 'ch_1',
    object: 'charge',
    amount: 4900,
    amount_captured: 4900,
    amount_refunded: 0,
    billing_details: { address: null, email: 'ada@acme.com', name: 'Ada Lovelace', phone: null },
    captured: true,
    created: now() - 60,
    currency: 'usd',
    customer: 'cus_1',
    description: 'Subscription creation',
    failure_code: null,
    failure_message: null,
    invoice: 'in_1',
    livemode: false,
    metadata: {},
    paid: true,
    payment_intent: 'pi_1',
    payment_method: 'pm_1',
    payment_method_details: { card: { brand: 'visa', last4: '4242' }, type: 'card' },
    receipt_email: null,
    refunded: false,
    status: 'succeeded',
    ...over,
  };
}

export function checkoutSession(over: Record<string, unknown> = {}) {
  return {
    id: 'cs_test_1',
    object: 'checkout.session',
    amount_subtotal: 4900,
    amount_total: 4900,
    client_reference_id: null,
    currency: 'usd',
    customer: 'cus_1',
    customer_details: { email: 'ada@acme.com', name: 'Ada Lovelace', phone: null },
    customer_email: null,
    invoice: null,
    livemode: false,
    metadata: {},
    mode: 'payment',
    payment_intent: 'pi_1',
    payment_method_types: ['card'],
    payment_status: 'paid',
    status: 'complete',
    subscription: null,
    url: null,
    ...over,
  };
}

export function customer(over: Record<string, unknown> = {}) {
  return {
    id: 'cus_1',
    object: 'customer',
    created: now() - 120,
    email: 'ada@acme.com',
    livemode: false,
    metadata: {},
    name: 'Ada Lovelace',
    ...over,
  };
}

export interface Delivery {
  secret?: string;
  timestamp?: number;
  /** Changes the body after signing. */
  tamper?: (body: string) => string;
}

/** POSTs the event as Stripe does: JSON body, Stripe-Signature header. */
export async function deliver(h: Harness, event: unknown, opts: Delivery = {}) {
  const payload = JSON.stringify(event, null, 2);
  const header = Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: opts.secret ?? WHSEC,
    timestamp: opts.timestamp ?? now(),
  });
  const res = await h.app.request(`/v1/stripe/${h.site.siteKey}`, {
    method: 'POST',
    body: opts.tamper ? opts.tamper(payload) : payload,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Stripe-Signature': header },
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export async function configureStripe(h: Harness, secret = WHSEC) {
  const res = await h.api(`/api/sites/${h.site.id}/stripe`, {
    method: 'PUT',
    body: JSON.stringify({ secret }),
  });
  if (res.status !== 200) throw new Error(`setting the Stripe secret failed: ${JSON.stringify(res.body)}`);
  return res;
}
