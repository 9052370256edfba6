// Signed Stripe events of shapes the collector does not use (missing or null objects, unknown types, strings
// for numbers, odd ids, odd times), generated: each is acknowledged with 200, saying why when it is ignored.
import fc from 'fast-check';
import { STRIPE_EVENT_TYPES } from '../../collector/billing/stripe.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness, pageEvent } from './harness.ts';
import {
  charge,
  checkoutSession,
  configureStripe,
  customer,
  deliver,
  invoice,
  stripeEvent,
} from './stripe-fixtures.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
  await configureStripe(h);
  // A profile the fixtures' email and references match, so matched events go through the writer too.
  const res = await h.post('/v1/batch', {
    writeKey: h.site.siteKey,
    batch: [
      pageEvent({ anonymousId: 'A', type: 'identify', userId: 'user-1', traits: { email: 'ada@acme.com' } }),
    ],
  });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await h.close();
});

const oddString = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'null',
    '0',
    '-1',
    'NaN',
    '1e999',
    'usd',
    'USDX',
    '💳',
    'a\u0000b',
    'x\ud800',
    'in_1',
    'cus_1',
  ),
  fc.string({ maxLength: 12 }),
  fc.constant('y'.repeat(300)),
);
const oddNumber = fc.oneof(
  fc.constantFrom(0, -1, -4900, 0.5, 1e15, 1e300, Number.MAX_SAFE_INTEGER, -0),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const oddLeaf = fc.oneof(oddString, oddNumber, fc.boolean(), fc.constant(null), fc.constant(undefined));
const odd: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    oddLeaf,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(
      fc.constantFrom('id', 'email', 'type', 'data', 'payment', 'charge', 'metadata', 'object'),
      tie('value'),
      {
        maxKeys: 3,
      },
    ),
  ),
})).value;

/** The fields of the objects Touchpoint reads, and a few it does not. */
const FIELDS = [
  'id',
  'object',
  'customer',
  'customer_email',
  'customer_details',
  'amount',
  'amount_paid',
  'amount_due',
  'amount_refunded',
  'amount_total',
  'currency',
  'payment_intent',
  'charge',
  'invoice',
  'payments',
  'billing_details',
  'receipt_email',
  'payment_method_details',
  'payment_method_types',
  'payment_status',
  'metadata',
  'client_reference_id',
  'subscription_details',
  'status',
  'failure_message',
  'email',
  'name',
  'lines',
];

// The types the collector uses, and a few it does not.
const TYPES = [
  ...STRIPE_EVENT_TYPES,
  'invoice.upcoming',
  'payment_intent.succeeded',
  'customer.subscription.deleted',
];

const objectFor = (type: string, hint: string | null) => {
  const over = hint ? { client_reference_id: hint, metadata: { touchpoint_profile: hint } } : {};
  if (type.startsWith('charge')) return charge(over);
  if (type.startsWith('checkout')) return checkoutSession(over);
  if (type.startsWith('customer')) return customer(over);
  return invoice(over);
};

let n = 0;
const shape = fc.record({
  type: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...TYPES) }, { weight: 1, arbitrary: odd }),
  hint: fc.constantFrom(null, 'user-1', 'A', 'nobody'),
  /** Fields of data.object set to an odd value (undefined deletes). */
  changes: fc.array(fc.tuple(fc.constantFrom(...FIELDS), odd), { maxLength: 5 }),
  /** The event's own fields. */
  envelope: fc.array(
    fc.tuple(fc.constantFrom('id', 'created', 'data', 'data.object', 'type', 'object', 'livemode'), odd),
    { maxLength: 2 },
  ),
});

function build(s: typeof shape extends fc.Arbitrary<infer T> ? T : never) {
  n++;
  const type = typeof s.type === 'string' ? s.type : 'invoice.paid';
  const object: Record<string, unknown> = objectFor(type, s.hint);
  // Each generated event pays its own invoice, so one event's outcome does not decide the next one's.
  for (const k of ['id', 'invoice', 'charge', 'payment_intent'] as const)
    if (typeof object[k] === 'string') object[k] = `${object[k]}_${n}`;
  for (const [k, value] of s.changes) {
    if (value === undefined) delete object[k];
    else object[k] = value;
  }
  const event: Record<string, unknown> = { ...stripeEvent(type, object), type: s.type };
  for (const [k, value] of s.envelope) {
    if (k === 'data.object') event.data = { object: value };
    else if (value === undefined) delete event[k];
    else event[k] = value;
  }
  return event;
}

describe('signed Stripe events of odd shapes', () => {
  it('are all acknowledged with 200, never 5xx, and an ignored one says why', async () => {
    const statuses = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(shape, async (s) => {
        const event = build(s);
        const res = await deliver(h, event);
        const kind = res.body?.ignored ? 'ignored' : res.body?.duplicate ? 'duplicate' : 'processed';
        statuses.set(kind, (statuses.get(kind) ?? 0) + 1);
        expect(res.status, JSON.stringify({ event, reply: res.body })).toBe(200);
        expect(res.body.received).toBe(true);
        if (res.body.ignored) expect(typeof res.body.reason).toBe('string');
        if (res.body.ignored) expect(res.body.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
    // The generator reaches every outcome, not only the refusals.
    expect(statuses.get('processed')).toBeGreaterThan(20);
    expect(statuses.get('ignored')).toBeGreaterThan(20);
    const reads = [
      '/api/profiles?sort=email',
      '/api/payments/unmatched',
      '/api/attribution',
      '/api/overview',
    ];
    for (const path of reads) expect((await h.api(path)).status, path).toBe(200);
  });

  it.each([
    ['an event that is null', null, 'the event is not an object'],
    ['an event without an id', { ...stripeEvent('invoice.paid', invoice()), id: undefined }, 'id'],
    ['an id that is an object', { ...stripeEvent('invoice.paid', invoice()), id: { x: 1 } }, 'id'],
    ['no data', { ...stripeEvent('invoice.paid', invoice()), data: null }, 'data.object'],
    [
      'data.object null',
      stripeEvent('invoice.paid', null as unknown as Record<string, unknown>),
      'data.object',
    ],
    ['an object without its id', stripeEvent('charge.succeeded', charge({ id: null })), 'data.object.id'],
    ['a type it does not use', stripeEvent('payment_intent.created', {}), 'payment_intent.created'],
    ['a created time of 0', stripeEvent('invoice.paid', invoice({ id: 'in_zero' }), 0), 'created'],
    [
      'a created time that is a string',
      { ...stripeEvent('invoice.paid', invoice()), created: 'yesterday' },
      'created',
    ],
    [
      'a currency that is not ISO 4217',
      stripeEvent('invoice.paid', invoice({ id: 'in_cur', currency: 'dollars' })),
      'currency',
    ],
    ['a negative amount', stripeEvent('charge.succeeded', charge({ id: 'ch_neg', amount: -500 })), 'amount'],
    [
      'an amount too large',
      stripeEvent('charge.succeeded', charge({ id: 'ch_big', amount: 1e300 })),
      'amount',
    ],
  ])('ignores %s with 200, saying why', async (_name, event, reason) => {
    const res = await deliver(h, event);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: true, ignored: true });
    expect(res.body.reason).toContain(reason);
  });

  it('takes what it can use from an odd shape: an amount sent as a string is left out, the payment kept', async () => {
    const res = await deliver(
      h,
      stripeEvent('charge.succeeded', charge({ id: 'ch_str', payment_intent: 'pi_str', amount: '4900' })),
    );
    expect(res.status).toBe(200);
    expect(res.body.ignored).toBeUndefined();
    expect(res.body.profileId).toBeTruthy();
  });
});
