// The whole story through HTTP: a campaign click, a form, an invoice paid through signed Stripe webhooks, the
// revenue attributed to that first touch, and a refund that takes the profile back a stage, saying why.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type Harness, harness, ORIGIN } from './harness.ts';
import { charge, configureStripe, customer, deliver, invoice, stripeEvent } from './stripe-fixtures.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const DAY = 86_400_000;

it('from a campaign click to a paid invoice, attributed, then refunded', async () => {
  await configureStripe(h);
  const form = await h.api(`/api/sites/${h.site.id}/forms`, {
    method: 'POST',
    body: JSON.stringify({
      name: 'Contact',
      fields: [{ name: 'email', type: 'email', label: 'Email', required: true }],
    }),
  });
  expect(form.status).toBe(201);
  const formId = form.body.form.id;

  // Day 0: the visitor lands from a paid search campaign.
  const landedAt = Date.now() - 3 * DAY;
  const landing = 'https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=spring-sale';
  const browser = (batch: unknown[]) =>
    h.post('/v1/batch', { writeKey: h.site.siteKey, batch }, { Origin: ORIGIN });
  const firstTouch = {
    at: new Date(landedAt).toISOString(),
    landingUrl: landing,
    referrer: 'https://www.google.com/',
    source: 'google',
    medium: 'cpc',
    campaign: 'spring-sale',
  };
  expect(
    (
      await browser([
        {
          type: 'page',
          messageId: 'page-1',
          anonymousId: 'visitor-1',
          originalTimestamp: new Date(landedAt).toISOString(),
          context: {
            page: { url: landing, path: '/', referrer: 'https://www.google.com/', title: 'Shop' },
            campaign: { name: 'spring-sale', source: 'google', medium: 'cpc' },
            firstTouch,
          },
        },
      ])
    ).status,
  ).toBe(200);

  // Day 1: the form.
  const submitted = await browser([
    {
      type: 'track',
      messageId: 'form-1',
      anonymousId: 'visitor-1',
      event: 'Form Submitted',
      originalTimestamp: new Date(landedAt + DAY).toISOString(),
      properties: { formId, formName: 'Contact', fields: { email: 'Ada@Acme.com' } },
      context: { firstTouch },
    },
  ]);
  expect(submitted.body.results[0].status).toBe('accepted');
  const [{ id }] = (await h.api(`/api/profiles?site=${h.site.id}`)).body.profiles;
  expect((await h.api(`/api/profiles/${id}`)).body.profile.stage).toBe('lead');

  // Day 3: Stripe — the customer, the invoice, its payment (signed with the site's webhook secret).
  for (const e of [
    stripeEvent('customer.created', customer(), Math.floor((landedAt + 3 * DAY) / 1000) - 30),
    stripeEvent('invoice.created', invoice({ status: 'draft', paid: false, amount_paid: 0 })),
    stripeEvent('invoice.finalized', invoice({ status: 'open', paid: false, amount_paid: 0 })),
    stripeEvent('invoice.paid', invoice()),
    stripeEvent('charge.succeeded', charge()),
  ]) {
    const res = await deliver(h, e);
    expect(res.status).toBe(200);
    expect(res.body.profileId).toBe(id);
  }
  const paid = (await h.api(`/api/profiles/${id}`)).body.profile;
  expect(paid.stage).toBe('customer');
  expect(paid.firstTouch).toMatchObject({ channel: 'Paid Search', campaign: 'spring-sale' });
  expect(paid.billing).toMatchObject({ revenue: { USD: 4900 }, payments: 1, preferredMethod: 'card' });
  expect(paid.stageHistory.map((s: { stage: string }) => s.stage)).toEqual([
    'reach',
    'lead',
    'qualified',
    'customer',
  ]);

  const range = `from=${new Date(landedAt - DAY).toISOString()}&to=${new Date().toISOString()}&site=${h.site.id}`;
  const report = (await h.api(`/api/attribution?${range}`)).body;
  const expected = {
    channel: 'Paid Search',
    campaign: 'spring-sale',
    visitors: 1,
    leads: 1,
    customers: 1,
    revenue: { USD: 4900 },
    customerRate: 1,
  };
  expect(report.models.firstTouch).toEqual([expect.objectContaining(expected)]);
  expect(report.models.firstTouch[0].medianDaysToFirstPayment).toBeCloseTo(3, 1);
  expect(report.models.leadTouch).toEqual([expect.objectContaining(expected)]);
  expect(report.models.lastTouch).toEqual([expect.objectContaining(expected)]);

  // The only payment is refunded: back to lead, with the refund recorded as the reason.
  const refund = await deliver(
    h,
    stripeEvent(
      'charge.refunded',
      charge({ amount_refunded: 4900, refunded: true }),
      Math.floor(Date.now() / 1000),
    ),
  );
  expect(refund.status).toBe(200);
  const after = (await h.api(`/api/profiles/${id}`)).body.profile;
  expect(after.stage).toBe('lead');
  expect(after.stageHistory[after.stageHistory.length - 1]).toMatchObject({
    stage: 'lead',
    voided: true,
    rule: 'refund: payment in_1 refunded, customer evidence voided',
  });
  expect(after.billing).toMatchObject({ payments: 0, refunds: 1, revenue: { USD: 0 } });
  const again = (await h.api(`/api/attribution?${range}`)).body;
  expect(again.models.firstTouch).toEqual([
    expect.objectContaining({ campaign: 'spring-sale', customers: 0, revenue: { USD: 0 } }),
  ]);
});

it('reads a date-only range as whole days: a range ending today includes today', async () => {
  const today = new Date().toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 29 * DAY).toISOString().slice(0, 10);
  await h.post('/v1/batch', {
    writeKey: h.site.secretKey,
    batch: [
      { type: 'page', messageId: 'today-1', anonymousId: 'today', timestamp: new Date().toISOString() },
      {
        type: 'track',
        event: 'Payment Succeeded',
        messageId: 'today-2',
        anonymousId: 'today',
        timestamp: new Date().toISOString(),
        properties: { payment_id: 'pi_today', amount: 25, currency: 'USD' },
      },
    ],
  });
  const report = (await h.api(`/api/attribution?from=${monthAgo}&to=${today}&site=${h.site.id}`)).body;
  const first = report.models.firstTouch as { visitors: number; customers: number }[];
  expect(first.reduce((n, r) => n + r.visitors, 0)).toBeGreaterThanOrEqual(1);
  expect(first.reduce((n, r) => n + r.customers, 0)).toBeGreaterThanOrEqual(1);
  expect(report.to).toBe(new Date(Date.parse(today) + DAY).toISOString());
});

it('checks the attribution query', async () => {
  const bad = await h.api('/api/attribution?from=yesterday');
  expect(bad).toMatchObject({ status: 400, body: { error: { field: 'from' } } });
  const reversed = await h.api('/api/attribution?from=2026-02-01&to=2026-01-01');
  expect(reversed).toMatchObject({ status: 400, body: { error: { field: 'from' } } });
  expect((await h.app.request('/api/attribution')).status).toBe(401);
});
