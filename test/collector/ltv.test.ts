// Lifetime value by first touch over HTTP: the profiles acquired through each channel and campaign in the
// range, their revenue 30, 90 and 180 days after the first touch (net of refunds, counted over the profiles old
// enough for each window), and the payback time.
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { LtvReply } from '../../wire.ts';
import { type Harness, harness } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(() => h.close());

const DAY = 86_400_000;
const now = Date.now();
const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
let n = 0;
const server = (batch: object[]) =>
  h.post('/v1/batch', {
    writeKey: h.site.secretKey,
    batch: batch.map((e) => ({ messageId: `m${++n}`, ...e })),
  });

function landed(anon: string, daysAgo: number, campaign: string) {
  const url = `https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=${campaign}`;
  return {
    type: 'page',
    anonymousId: anon,
    timestamp: at(daysAgo),
    context: {
      page: { url, path: '/', referrer: '' },
      campaign: { source: 'google', medium: 'cpc', name: campaign },
    },
  };
}
const paid = (anon: string, daysAgo: number, id: string, amount: number) => ({
  type: 'track',
  event: 'Payment Succeeded',
  anonymousId: anon,
  timestamp: at(daysAgo),
  properties: { payment_id: id, amount, currency: 'USD' },
});

it('sums revenue per acquired profile at 30, 90 and 180 days, with the payback time', async () => {
  await server([
    // April's campaign: two profiles acquired 200 days ago; one pays 10 and 100 days after landing.
    landed('a1', 200, 'april'),
    paid('a1', 190, 'pi_a1_1', 50),
    paid('a1', 100, 'pi_a1_2', 30),
    landed('a2', 200, 'april'),
    // A newer campaign: acquired 40 days ago, pays 5 days later; only its 30-day window has passed.
    landed('b1', 40, 'fall'),
    paid('b1', 35, 'pi_b1', 20),
    // Direct, nothing paid.
    {
      type: 'page',
      anonymousId: 'c1',
      timestamp: at(50),
      context: { page: { url: 'https://shop.example/', path: '/', referrer: '' } },
    },
  ]);
  const from = new Date(now - 365 * DAY).toISOString().slice(0, 10);
  const to = new Date(now).toISOString().slice(0, 10);
  const res = await h.api(`/api/attribution/ltv?from=${from}&to=${to}&site=${h.site.id}`);
  expect(res.status).toBe(200);
  const rows = (res.body as LtvReply).rows;
  const april = rows.find((r) => r.campaign === 'april')!;
  expect(april).toMatchObject({
    channel: 'Paid Search',
    profiles: 2,
    customers: 1,
    medianDaysToFirstPayment: 10,
  });
  expect(april.windows.map((w) => [w.days, w.measured, w.revenue.USD ?? 0, w.perProfile.USD ?? 0])).toEqual([
    [30, 2, 5000, 2500],
    [90, 2, 5000, 2500],
    [180, 2, 8000, 4000],
  ]);
  const fall = rows.find((r) => r.campaign === 'fall')!;
  expect(fall.windows.map((w) => [w.days, w.measured, w.revenue.USD ?? 0])).toEqual([
    [30, 1, 2000],
    [90, 0, 0],
    [180, 0, 0],
  ]);
  expect(fall.medianDaysToFirstPayment).toBe(5);
  const direct = rows.find((r) => r.channel === 'Direct')!;
  expect(direct).toMatchObject({ profiles: 1, customers: 0, medianDaysToFirstPayment: null });
  // The campaign that brought the most comes first.
  expect(rows[0].campaign).toBe('april');

  // A refund takes its money back out.
  await server([
    {
      type: 'track',
      event: 'Refund Issued',
      anonymousId: 'a1',
      timestamp: at(99),
      properties: { payment_id: 'pi_a1_2', amount: 30, currency: 'USD' },
    },
  ]);
  const after = (await h.api(`/api/attribution/ltv?from=${from}&to=${to}&site=${h.site.id}`))
    .body as LtvReply;
  expect(after.rows.find((r) => r.campaign === 'april')!.windows[2].revenue.USD).toBe(5000);

  const bad = await h.api('/api/attribution/ltv?from=soon');
  expect(bad).toMatchObject({ status: 400, body: { error: { field: 'from' } } });
  expect((await h.app.request('/api/attribution/ltv')).status).toBe(401);
});
