// Stripe webhooks through HTTP: signature, tolerance, replay, matching order, unmatched payments, no rollback,
// each delivery all or nothing, odd shapes acknowledged and recorded as ignored.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Harness, harness, pageEvent } from './harness.ts';
import {
  charge,
  checkoutSession,
  configureStripe,
  customer,
  deliver,
  invoice,
  stripeEvent,
  WHSEC,
} from './stripe-fixtures.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
  await configureStripe(h);
});
afterEach(async () => {
  await h.close();
});

/** A browser that left its email in a form: the profile Stripe's email matches. */
async function visitor(anonymousId = 'A', email = 'ada@acme.com') {
  const res = await h.post('/v1/batch', {
    writeKey: h.site.siteKey,
    batch: [pageEvent({ anonymousId }), pageEvent({ anonymousId, type: 'identify', traits: { email } })],
  });
  expect(res.status).toBe(200);
  const rs = await h.db.execute({
    sql: 'SELECT profile_id FROM identities WHERE key = ?',
    args: [`a:${anonymousId}`],
  });
  return String(rs.rows[0].profile_id);
}

const profile = async (id: string) =>
  (await h.api(`/api/profiles/${id}`)).body as { profile: any; timeline: any[] };
const state = async () => ({
  events: await h.count('SELECT COUNT(*) FROM events'),
  payments: await h.count('SELECT COUNT(*) FROM payments'),
  stripe: await h.count('SELECT COUNT(*) FROM stripe_events'),
  profiles: await h.db
    .execute('SELECT id, stage, state FROM profiles ORDER BY id')
    .then((r) => JSON.stringify(r.rows)),
});

const paidInvoice = () => stripeEvent('invoice.paid', invoice());

const TYPES: [string, Record<string, unknown>, string, string][] = [
  ['invoice.created', invoice({ status: 'draft', amount_paid: 0, paid: false }), 'Invoice Created', 'lead'],
  ['invoice.finalized', invoice({ status: 'open', amount_paid: 0, paid: false }), 'Invoice Created', 'lead'],
  ['invoice.paid', invoice(), 'Invoice Paid', 'customer'],
  [
    'invoice.payment_failed',
    invoice({ status: 'open', amount_paid: 0, paid: false }),
    'Payment Failed',
    'lead',
  ],
  ['invoice.voided', invoice({ status: 'void', amount_paid: 0, paid: false }), 'Invoice Voided', 'lead'],
  ['checkout.session.completed', checkoutSession(), 'Payment Succeeded', 'customer'],
  ['charge.succeeded', charge(), 'Payment Succeeded', 'customer'],
  [
    'charge.failed',
    charge({ status: 'failed', paid: false, failure_message: 'Your card was declined.' }),
    'Payment Failed',
    'lead',
  ],
  ['charge.refunded', charge({ amount_refunded: 4900, refunded: true }), 'Refund Issued', 'lead'],
  ['customer.created', customer(), 'Billing Customer Updated', 'lead'],
  ['customer.updated', customer({ name: 'Ada King' }), 'Billing Customer Updated', 'lead'],
];

describe('every handled Stripe event type updates the matched profile', () => {
  it.each(TYPES)('%s', async (type, object, name, stage) => {
    const id = await visitor();
    const res = await deliver(h, stripeEvent(type, object));
    expect(res).toMatchObject({ status: 200, body: { received: true, profileId: id, matchedBy: 'email' } });
    const { profile: p, timeline } = await profile(id);
    expect(timeline.map((t) => t.event)).toContain(name);
    expect(p.stage).toBe(stage);
    // The Stripe customer is now an identifier of the profile; the Stripe email did not become one.
    expect(p.identifiers).toContainEqual({ kind: 'billing', value: 'cus_1' });
    if (stage === 'customer') expect(p.billing).toMatchObject({ revenue: { USD: 4900 }, payments: 1 });
    if (name === 'Payment Failed') expect(p.billing.failedPayments).toBe(1);
  });
});

describe.each(TYPES)('%s: signature and replay', (type, object) => {
  it.each([
    ['a body changed by one byte', { tamper: (b: string) => b.replace('"object": "', '"object": "x') }],
    ['a wrong secret', { secret: 'whsec_someone_else_entirely_1234' }],
    ['a timestamp older than the 300 s tolerance', { timestamp: Math.floor(Date.now() / 1000) - 301 }],
  ])('refuses %s with 400 and changes nothing', async (_name, opts) => {
    await visitor();
    const before = await state();
    const res = await deliver(h, stripeEvent(type, object), opts);
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'invalid_signature' } } });
    expect(await state()).toEqual(before);
  });

  it('processes a replayed event id once', async () => {
    await visitor();
    const e = stripeEvent(type, object);
    expect((await deliver(h, e)).body.duplicate).toBeUndefined();
    const after = await state();
    expect((await deliver(h, e)).body).toMatchObject({ received: true, duplicate: true });
    expect(await state()).toEqual(after);
  });
});

describe('signature', () => {
  it.each([
    [
      'a body changed by one byte',
      { tamper: (b: string) => b.replace('"amount_paid": 4900', '"amount_paid": 4901') },
    ],
    ['a wrong secret', { secret: 'whsec_someone_else_entirely_1234' }],
    ['a timestamp older than the 300 s tolerance', { timestamp: Math.floor(Date.now() / 1000) - 301 }],
  ])('refuses %s with 400 and changes nothing', async (_name, opts) => {
    await visitor();
    const before = await state();
    const res = await deliver(h, paidInvoice(), opts);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_signature', field: 'Stripe-Signature' });
    expect(await state()).toEqual(before);
  });

  it('accepts a timestamp inside the tolerance', async () => {
    await visitor();
    const res = await deliver(h, paidInvoice(), { timestamp: Math.floor(Date.now() / 1000) - 290 });
    expect(res.status).toBe(200);
  });

  it('refuses a missing header, and a site without a secret', async () => {
    const bare = await h.app.request(`/v1/stripe/${h.site.siteKey}`, { method: 'POST', body: '{}' });
    expect(bare.status).toBe(400);
    await h.api(`/api/sites/${h.site.id}/stripe`, { method: 'PUT', body: JSON.stringify({ secret: null }) });
    const res = await deliver(h, paidInvoice());
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'stripe_not_configured' } } });
    const unknown = await h.app.request('/v1/stripe/pk_nope', { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(404);
  });
});

describe('idempotency and order', () => {
  it('processes a replayed event id once', async () => {
    const id = await visitor();
    const e = paidInvoice();
    expect((await deliver(h, e)).status).toBe(200);
    const after = await state();
    const again = await deliver(h, e);
    expect(again).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(await state()).toEqual(after);
    expect((await profile(id)).profile.billing.payments).toBe(1);
  });

  it('acknowledges event types it does not handle, and dedupes unmatched events too', async () => {
    const other = await deliver(
      h,
      stripeEvent('payment_intent.created', { id: 'pi_9', object: 'payment_intent' }),
    );
    expect(other).toMatchObject({ status: 200, body: { received: true, ignored: true } });
    const lost = stripeEvent('invoice.paid', invoice({ customer: 'cus_z', customer_email: 'z@nowhere.com' }));
    expect((await deliver(h, lost)).body).toMatchObject({ unmatched: true });
    const after = await state();
    expect((await deliver(h, lost)).body).toMatchObject({ duplicate: true });
    expect(await state()).toEqual(after);
    const [row] = (await h.db.execute('SELECT pending FROM payments')).rows;
    expect(JSON.parse(String(row.pending))).toHaveLength(1);
  });

  it('never rolls state back when an older event arrives after a newer one', async () => {
    const id = await visitor();
    const t = Math.floor(Date.now() / 1000) - 3600;
    await deliver(h, stripeEvent('invoice.paid', invoice(), t + 60));
    await deliver(
      h,
      stripeEvent('invoice.finalized', invoice({ status: 'open', paid: false, amount_paid: 0 }), t),
    );
    await deliver(
      h,
      stripeEvent('invoice.created', invoice({ status: 'draft', paid: false, amount_paid: 0 }), t - 5),
    );
    const rows = await h.db.execute('SELECT status, amount, invoice_id, payment_id FROM payments');
    expect(rows.rows.map((r) => ({ ...r }))).toEqual([
      { status: 'paid', amount: 4900, invoice_id: 'in_1', payment_id: 'pi_1' },
    ]);
    // A refund, then the (older) charge.succeeded: still refunded, and the profile is back to lead.
    await deliver(
      h,
      stripeEvent('charge.refunded', charge({ amount_refunded: 4900, refunded: true }), t + 300),
    );
    await deliver(h, stripeEvent('charge.succeeded', charge(), t + 61));
    const after = await h.db.execute('SELECT status, refunded FROM payments');
    expect(after.rows.map((r) => ({ ...r }))).toEqual([{ status: 'refunded', refunded: 4900 }]);
    const p = (await profile(id)).profile;
    expect(p.stage).toBe('lead');
    expect(p.billing).toMatchObject({ payments: 0, refunds: 1, revenue: { USD: 0 } });
  });

  it('counts an invoice and the charge that paid it as one payment', async () => {
    const id = await visitor();
    await deliver(h, stripeEvent('charge.succeeded', charge({ invoice: null })));
    await deliver(h, paidInvoice());
    const p = (await profile(id)).profile;
    expect(p.billing).toMatchObject({ payments: 1, revenue: { USD: 4900 }, preferredMethod: 'card' });
    expect(await h.count('SELECT COUNT(*) FROM payments')).toBe(1);
  });
});

describe('newer Stripe API shapes', () => {
  it('joins an invoice listing its payments (2025+, no invoice.charge) and the charge that paid it', async () => {
    const id = await visitor();
    const basil = invoice({
      charge: undefined,
      payment_intent: undefined,
      paid: undefined,
      payments: {
        object: 'list',
        data: [
          {
            id: 'inpay_1',
            object: 'invoice_payment',
            payment: { type: 'payment_intent', payment_intent: 'pi_1' },
            status: 'paid',
          },
        ],
      },
    });
    await deliver(h, { ...stripeEvent('invoice.paid', basil), api_version: '2025-03-31.basil' });
    await deliver(h, stripeEvent('charge.succeeded', charge({ invoice: undefined })));
    expect((await profile(id)).profile.billing).toMatchObject({ payments: 1, revenue: { USD: 4900 } });
    expect(await h.count('SELECT COUNT(*) FROM payments')).toBe(1);
  });
});

describe('matching', () => {
  it('prefers client_reference_id, then a linked customer, then an email held by one profile', async () => {
    const ada = await visitor('A', 'ada@acme.com');
    const bob = await visitor('B', 'bob@acme.com');
    // client_reference_id = the widget's anonymous id of Bob, though Stripe's email is Ada's.
    const first = await deliver(
      h,
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({ client_reference_id: 'B', customer: 'cus_bob' }),
      ),
    );
    expect(first.body).toMatchObject({ profileId: bob, matchedBy: 'reference' });
    // The Stripe email alone never merges Ada's and Bob's profiles.
    expect(await h.count('SELECT COUNT(*) FROM profiles WHERE merged_into IS NULL')).toBe(2);
    // Bob's customer id is linked now: a charge with Ada's email still goes to Bob.
    const second = await deliver(
      h,
      stripeEvent(
        'charge.succeeded',
        charge({ id: 'ch_2', payment_intent: 'pi_2', invoice: null, customer: 'cus_bob' }),
      ),
    );
    expect(second.body).toMatchObject({ profileId: bob, matchedBy: 'customer' });
    // metadata.touchpoint_profile may name the profile id itself.
    const third = await deliver(
      h,
      stripeEvent(
        'customer.created',
        customer({ id: 'cus_x', email: 'x@elsewhere.com', metadata: { touchpoint_profile: ada } }),
      ),
    );
    expect(third.body).toMatchObject({ profileId: ada, matchedBy: 'reference' });
    expect((await profile(bob)).profile.billing.payments).toBe(2);
    expect((await profile(ada)).profile.billing.payments).toBe(0);
    // A reference to Ada with Bob's Stripe customer: the payment goes to Ada, the customer stays Bob's, no merge.
    const fourth = await deliver(
      h,
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({
          id: 'cs_2',
          payment_intent: 'pi_3',
          client_reference_id: 'A',
          customer: 'cus_bob',
        }),
      ),
    );
    expect(fourth.body).toMatchObject({ profileId: ada, matchedBy: 'reference' });
    expect(await h.count('SELECT COUNT(*) FROM profiles WHERE merged_into IS NULL')).toBe(2);
    expect(await h.count('SELECT COUNT(*) FROM merges')).toBe(0);
    expect((await profile(ada)).profile.billing.payments).toBe(1);
    expect((await profile(ada)).profile.identifiers).not.toContainEqual({
      kind: 'billing',
      value: 'cus_bob',
    });
  });

  it('keeps a payment it cannot match in the unmatched list until a marketer attaches it', async () => {
    const ada = await visitor('A', 'ada@acme.com');
    const pay = stripeEvent(
      'invoice.paid',
      invoice({ customer: 'cus_new', customer_email: 'stranger@else.com' }),
    );
    const res = await deliver(h, pay);
    expect(res.body).toMatchObject({ profileId: null, unmatched: true });
    expect(await h.count("SELECT COUNT(*) FROM events WHERE event = 'Invoice Paid'")).toBe(0);
    const list = (await h.api(`/api/payments/unmatched?site=${h.site.id}`)).body.payments;
    expect(list).toEqual([
      expect.objectContaining({
        invoiceId: 'in_1',
        paymentId: 'pi_1',
        status: 'paid',
        amount: 4900,
        currency: 'USD',
        customerId: 'cus_new',
        email: 'stranger@else.com',
      }),
    ]);
    const bad = await h.api(`/api/payments/${list[0].id}/attach`, {
      method: 'POST',
      body: JSON.stringify({}),
    });
    expect(bad).toMatchObject({ status: 400, body: { error: { field: 'profileId' } } });
    const attach = await h.api(`/api/payments/${list[0].id}/attach`, {
      method: 'POST',
      body: JSON.stringify({ profileId: ada }),
    });
    expect(attach.status).toBe(200);
    expect((await h.api('/api/payments/unmatched')).body.payments).toEqual([]);
    const p = (await profile(ada)).profile;
    expect(p.stage).toBe('customer');
    expect(p.identifiers).toContainEqual({ kind: 'billing', value: 'cus_new' });
    // The next payment of that customer finds Ada by the linked customer id.
    const next = await deliver(
      h,
      stripeEvent(
        'invoice.paid',
        invoice({
          id: 'in_2',
          charge: 'ch_2',
          payment_intent: 'pi_2',
          customer: 'cus_new',
          customer_email: 'stranger@else.com',
        }),
      ),
    );
    expect(next.body).toMatchObject({ profileId: ada, matchedBy: 'customer' });
    const again = await h.api(`/api/payments/${list[0].id}/attach`, {
      method: 'POST',
      body: JSON.stringify({ profileId: ada }),
    });
    expect(again.status).toBe(409);
  });

  it('sends the events that waited unmatched once a later event of the same payment is matched', async () => {
    const ada = await visitor('A', 'ada@acme.com');
    await deliver(
      h,
      stripeEvent('invoice.paid', invoice({ customer: 'cus_new', customer_email: 'stranger@else.com' })),
    );
    expect((await h.api('/api/payments/unmatched')).body.payments).toHaveLength(1);
    const res = await deliver(
      h,
      stripeEvent('charge.succeeded', charge({ customer: 'cus_new', metadata: { touchpoint_profile: ada } })),
    );
    expect(res.body).toMatchObject({ profileId: ada, matchedBy: 'reference' });
    expect((await h.api('/api/payments/unmatched')).body.payments).toEqual([]);
    const { profile: p, timeline } = await profile(ada);
    expect(timeline.map((t) => t.event)).toEqual(
      expect.arrayContaining(['Invoice Paid', 'Payment Succeeded']),
    );
    expect(p.billing).toMatchObject({ payments: 1, revenue: { USD: 4900 } });
    expect(await h.count('SELECT COUNT(*) FROM payments')).toBe(1);
  });

  it('sends a refund to the profile its payment is on, even with nothing else to match by', async () => {
    const ada = await visitor('A', 'ada@acme.com');
    await deliver(h, paidInvoice());
    const refund = await deliver(
      h,
      stripeEvent(
        'charge.refunded',
        charge({
          customer: null,
          billing_details: { email: null },
          invoice: null,
          amount_refunded: 4900,
          refunded: true,
        }),
      ),
    );
    expect(refund.body).toMatchObject({ profileId: ada, matchedBy: 'payment' });
    expect((await profile(ada)).profile).toMatchObject({
      stage: 'lead',
      billing: { payments: 0, refunds: 1 },
    });
  });

  it('does not match an email that two profiles claim, nor a role mailbox', async () => {
    const auth = { Authorization: `Basic ${btoa(`${h.site.secretKey}:`)}` };
    for (const userId of ['u1', 'u2'])
      await h.post(
        '/v1/identify',
        { userId, messageId: `id-${userId}`, traits: { email: 'shared@acme.com' } },
        auth,
      );
    // Two verified user ids never merge: the second link is a conflict, so the address is disputed.
    expect(await h.count("SELECT COUNT(*) FROM links WHERE status = 'conflict'")).toBe(1);
    const res = await deliver(h, stripeEvent('invoice.paid', invoice({ customer_email: 'shared@acme.com' })));
    expect(res.body).toMatchObject({ profileId: null, unmatched: true });
    await visitor('R', 'info@acme.com');
    const role = await deliver(
      h,
      stripeEvent(
        'invoice.paid',
        invoice({
          id: 'in_9',
          charge: 'ch_9',
          payment_intent: 'pi_9',
          customer: 'cus_9',
          customer_email: 'info@acme.com',
        }),
      ),
    );
    expect(role.body).toMatchObject({ profileId: null, unmatched: true });
    expect(await h.count('SELECT COUNT(*) FROM payments WHERE ident IS NULL')).toBe(2);
  });
});

describe('the Stripe secret through the admin API', () => {
  it('stores it, and never returns it in full', async () => {
    const get = await h.api(`/api/sites/${h.site.id}/stripe`);
    expect(get.body).toEqual({
      configured: true,
      secretHint: `whsec_…${WHSEC.slice(-4)}`,
      webhookPath: `/v1/stripe/${h.site.siteKey}`,
    });
    expect(JSON.stringify(get.body)).not.toContain(WHSEC);
    const bad = await h.api(`/api/sites/${h.site.id}/stripe`, {
      method: 'PUT',
      body: JSON.stringify({ secret: 'sk_live_x' }),
    });
    expect(bad).toMatchObject({ status: 400, body: { error: { field: 'secret' } } });
    for (const [path, method] of [
      [`/api/sites/${h.site.id}/stripe`, 'GET'],
      [`/api/sites/${h.site.id}/stripe`, 'PUT'],
      ['/api/payments/unmatched', 'GET'],
      ['/api/payments/x/attach', 'POST'],
      ['/api/attribution', 'GET'],
    ])
      expect(
        (await h.app.request(path, { method, headers: { 'Content-Type': 'application/json' } })).status,
        `${method} ${path}`,
      ).toBe(401);
    const missing = await h.api('/api/sites/nope/stripe');
    expect(missing.status).toBe(404);
  });
});

describe('one delivery, one transaction', () => {
  const outcomes = async () =>
    (await h.db.execute('SELECT event_id, outcome, reason FROM stripe_events ORDER BY event_id')).rows.map(
      (r) => ({ ...r }),
    );
  /** A test-only trigger that fails the write of `table` inside the delivery's transaction. */
  const failOn = (table: string, op = 'INSERT') =>
    h.db.execute(`CREATE TRIGGER boom BEFORE ${op} ON ${table} BEGIN SELECT RAISE(ABORT, 'boom'); END`);
  const repair = () => h.db.execute('DROP TRIGGER boom');
  const quiet = () => vi.spyOn(console, 'error').mockImplementation(() => {});
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ['the ledger, after the event is stored and folded', 'payments', true],
    ['the processed-event row, the last step', 'stripe_events', true],
    ['the ledger, for a payment that waits unmatched', 'payments', false],
    ['the processed-event row, after an unmatched payment is kept', 'stripe_events', false],
  ])(
    'a failure in %s leaves nothing of the delivery, and the retry stores it once',
    async (_n, table, matched) => {
      const id = await visitor();
      const e = stripeEvent(
        'invoice.paid',
        matched ? invoice() : invoice({ customer: 'cus_z', customer_email: 'z@nowhere.com' }),
      );
      const before = await state();
      await failOn(table);
      quiet();
      const failed = await deliver(h, e);
      expect(failed.status).toBe(500);
      expect(await state()).toEqual(before);
      expect(await h.count('SELECT COUNT(*) FROM events WHERE message_id = ?', [`stripe:${e.id}`])).toBe(0);
      expect(await h.count('SELECT COUNT(*) FROM stripe_events WHERE event_id = ?', [e.id])).toBe(0);
      await repair();
      const retry = await deliver(h, e);
      expect(retry.status).toBe(200);
      expect(retry.body).toMatchObject(matched ? { profileId: id, matchedBy: 'email' } : { unmatched: true });
      expect((await deliver(h, e)).body).toMatchObject({ duplicate: true });
      expect(await h.count('SELECT COUNT(*) FROM events WHERE message_id = ?', [`stripe:${e.id}`])).toBe(
        matched ? 1 : 0,
      );
      expect(await h.count('SELECT COUNT(*) FROM payments')).toBe(1);
      expect(await outcomes()).toEqual([
        {
          event_id: e.id,
          outcome: matched ? 'stored' : 'unmatched',
          reason: matched ? 'matched by email' : 'no profile matched: the payment waits unmatched',
        },
      ]);
      expect((await profile(id)).profile.billing.payments).toBe(matched ? 1 : 0);
    },
  );

  it('keeps the waiting events of a payment waiting when the delivery that matches it fails', async () => {
    const ada = await visitor('A', 'ada@acme.com');
    await deliver(
      h,
      stripeEvent('invoice.paid', invoice({ customer: 'cus_new', customer_email: 'stranger@else.com' })),
    );
    const before = await state();
    const matching = stripeEvent(
      'charge.succeeded',
      charge({ customer: 'cus_new', metadata: { touchpoint_profile: ada } }),
    );
    await failOn('stripe_events');
    quiet();
    expect((await deliver(h, matching)).status).toBe(500);
    expect(await state()).toEqual(before);
    expect((await h.api('/api/payments/unmatched')).body.payments).toHaveLength(1);
    await repair();
    expect((await deliver(h, matching)).body).toMatchObject({ profileId: ada, matchedBy: 'reference' });
    expect((await h.api('/api/payments/unmatched')).body.payments).toEqual([]);
    expect(await h.count("SELECT COUNT(*) FROM events WHERE message_id LIKE 'stripe:%'")).toBe(2);
    expect((await profile(ada)).profile.billing).toMatchObject({ payments: 1, revenue: { USD: 4900 } });
  });

  it('attaches an unmatched payment all or nothing', async () => {
    const ada = await visitor('A', 'ada@acme.com');
    await deliver(
      h,
      stripeEvent('invoice.paid', invoice({ customer: 'cus_new', customer_email: 'stranger@else.com' })),
    );
    const [waiting] = (await h.api('/api/payments/unmatched')).body.payments;
    const before = await state();
    const attach = () =>
      h.api(`/api/payments/${waiting.id}/attach`, {
        method: 'POST',
        body: JSON.stringify({ profileId: ada }),
      });
    await failOn('payments', 'UPDATE');
    quiet();
    expect((await attach()).status).toBe(500);
    expect(await state()).toEqual(before);
    expect((await h.api('/api/payments/unmatched')).body.payments).toHaveLength(1);
    await repair();
    expect((await attach()).status).toBe(200);
    expect((await h.api('/api/payments/unmatched')).body.payments).toEqual([]);
    expect(await h.count("SELECT COUNT(*) FROM events WHERE event = 'Invoice Paid'")).toBe(1);
    expect((await profile(ada)).profile).toMatchObject({ stage: 'customer', billing: { payments: 1 } });
  });
});

describe('signed events of a shape the collector does not use', () => {
  const paid = stripeEvent('invoice.paid', invoice());
  it.each([
    ['a type it does not handle', { type: 'payment_intent.created' }, /^type: .*payment_intent\.created/],
    ['no type', { type: undefined }, /^type: /],
    ['a type that is not a string', { type: 42 }, /^type: /],
    ['no data', { data: undefined }, /^data\.object: /],
    ['a null object', { data: { object: null } }, /^data\.object: /],
    ['an invoice without an id', { data: { object: invoice({ id: undefined }) } }, /^data\.object: /],
    ['a time that is not a number', { created: 'yesterday' }, /^created: /],
  ])('acknowledges %s and records it as ignored with the reason', async (_name, change, reason) => {
    await visitor();
    const before = await state();
    const e = { ...paid, ...change, id: `evt_odd_${Math.random().toString(36).slice(2)}` };
    const res = await deliver(h, e);
    expect(res).toMatchObject({ status: 200, body: { received: true, ignored: true } });
    expect(res.body.reason).toMatch(reason);
    const [row] = (
      await h.db.execute({
        sql: 'SELECT outcome, reason FROM stripe_events WHERE event_id = ?',
        args: [e.id],
      })
    ).rows;
    expect({ ...row }).toEqual({ outcome: 'ignored', reason: res.body.reason });
    expect(await state()).toEqual({ ...before, stripe: before.stripe + 1 });
    expect((await deliver(h, e)).body).toMatchObject({ received: true, duplicate: true });
  });

  it('acknowledges an event without an id, which it could not record once, and stores nothing', async () => {
    const before = await state();
    const res = await deliver(h, { ...paidInvoice(), id: undefined });
    expect(res).toMatchObject({ status: 200, body: { received: true, ignored: true } });
    expect(res.body.reason).toMatch(/^id:/);
    expect(await state()).toEqual(before);
  });
});
