// Segment's own Node library pointed at the collector: identify, track and billing events with the secret key.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Analytics } from '@segment/analytics-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, harness, ORIGIN, pageEvent } from './harness.ts';

let h: Harness;
let server: ReturnType<typeof serve>;
let host: string;
beforeEach(async () => {
  h = await harness();
  await new Promise<void>((resolve) => {
    server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.close();
});

function client(writeKey: string) {
  const analytics = new Analytics({
    writeKey,
    host,
    path: '/v1/batch',
    flushAt: 20,
    flushInterval: 50,
    maxRetries: 0,
  });
  const responses: number[] = [];
  analytics.on('http_response', (r) => responses.push(r.status));
  return { analytics, responses };
}

describe('@segment/analytics-node → /v1/batch', () => {
  it('puts identify, track and a payment on one verified profile', async () => {
    const { analytics, responses } = client(h.site.secretKey);
    analytics.identify({ userId: 'user-42', traits: { email: 'Ada@Acme.com', name: 'Ada Lovelace' } });
    analytics.track({ userId: 'user-42', event: 'Plan Chosen', properties: { plan: 'pro' } });
    analytics.track({
      userId: 'user-42',
      event: 'Invoice Paid',
      properties: {
        amount: 49.99,
        currency: 'usd',
        invoice_id: 'inv_1',
        payment_id: 'pay_1',
        method: 'card',
      },
    });
    analytics.page({ userId: 'user-42', name: 'Billing' });
    analytics.group({
      userId: 'user-42',
      groupId: 'acme',
      traits: { name: 'Acme', email: 'billing@acme.com' },
    });
    analytics.alias({ userId: 'user-42', previousId: 'anon-server' });
    await analytics.closeAndFlush({ timeout: 5000 });
    expect(responses).toEqual([200]);
    expect(await h.count('SELECT COUNT(*) FROM events')).toBe(6);

    const list = (await h.api('/api/profiles')).body.profiles;
    expect(list).toHaveLength(1);
    const { profile, timeline } = (await h.api(`/api/profiles/${list[0].id}`)).body;
    expect(timeline).toHaveLength(6);
    expect(profile.stage).toBe('customer');
    expect(profile.email).toBe('ada@acme.com');
    // A group call's traits describe the company, not the person.
    expect(profile).toMatchObject({ name: 'Ada Lovelace', company: 'Acme' });
    expect(profile.identifiers).toEqual(
      expect.arrayContaining([
        { kind: 'user', value: 'user-42', verified: true },
        { kind: 'email', value: 'ada@acme.com', verified: true },
      ]),
    );
    expect(profile.billing).toMatchObject({
      revenue: { USD: 4999 },
      payments: 1,
      preferredMethod: 'card',
      failedPayments: 0,
    });
    const rows = await h.db.execute(
      'SELECT invoice_id, payment_id, ident, status, amount, currency FROM payments',
    );
    expect(rows.rows.map((r) => ({ ...r }))).toEqual([
      {
        invoice_id: 'inv_1',
        payment_id: 'pay_1',
        ident: 'u:user-42',
        status: 'paid',
        amount: 4999,
        currency: 'USD',
      },
    ]);
  });

  it('refuses billing events sent with the public site key, naming the field', async () => {
    const res = await h.post(
      '/v1/batch',
      {
        writeKey: h.site.siteKey,
        batch: [
          pageEvent({
            type: 'track',
            event: 'Payment Succeeded',
            properties: { amount: 5, currency: 'USD', payment_id: 'p' },
          }),
        ],
      },
      { Origin: ORIGIN },
    );
    expect(res.status).toBe(400);
    expect(res.body.results[0].error).toContain('accepted only with the secret key');
    expect(await h.count('SELECT COUNT(*) FROM payments')).toBe(0);
  });

  it('refuses the secret key from a browser origin', async () => {
    const res = await h.post(
      '/v1/batch',
      { writeKey: h.site.secretKey, batch: [pageEvent()] },
      { Origin: ORIGIN },
    );
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'secret_key_in_browser', field: 'writeKey' });
  });

  it.each([
    [{ amount: 10, currency: 'USD' }, 'properties.invoice_id: invoice_id or payment_id is required'],
    [{ amount: 10, payment_id: 'p' }, 'properties.currency: currency is required with amount'],
    [{ amount: 10.5, currency: 'JPY', payment_id: 'p' }, 'properties.amount: JPY has 0 decimal places'],
    [{ amount: 1.2345, currency: 'BHD', payment_id: 'p' }, 'properties.amount: BHD has 3 decimal places'],
    [{ amount: '10', currency: 'USD', payment_id: 'p' }, 'properties.amount: must be a number'],
    [{ amount: -1, currency: 'USD', payment_id: 'p' }, 'properties.amount: must not be negative'],
    [{ amount: 1, currency: 'dollars', payment_id: 'p' }, 'properties.currency: must be an ISO 4217 code'],
  ])('validates billing properties %j on /v1/track', async (properties, message) => {
    const res = await h.post(
      '/v1/track',
      { userId: 'u1', messageId: 'm1', event: 'Payment Succeeded', properties },
      { Authorization: `Basic ${btoa(`${h.site.secretKey}:`)}` },
    );
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(message);
    expect(await h.count('SELECT COUNT(*) FROM events')).toBe(0);
  });

  it('stores amounts in the minor unit of each currency', async () => {
    const auth = { Authorization: `Basic ${btoa(`${h.site.secretKey}:`)}` };
    const pay = (id: string, amount: number, currency: string) =>
      h.post(
        '/v1/track',
        {
          userId: 'u1',
          messageId: id,
          event: 'Payment Succeeded',
          properties: { amount, currency, payment_id: id },
        },
        auth,
      );
    expect((await pay('p1', 19.99, 'EUR')).status).toBe(200);
    expect((await pay('p2', 500, 'JPY')).status).toBe(200);
    expect((await pay('p3', 1.25, 'BHD')).status).toBe(200);
    const rs = await h.db.execute('SELECT payment_id, amount, currency FROM payments ORDER BY payment_id');
    expect(rs.rows.map((r) => [r.payment_id, r.amount, r.currency])).toEqual([
      ['p1', 1999, 'EUR'],
      ['p2', 500, 'JPY'],
      ['p3', 1250, 'BHD'],
    ]);
  });
  it('keeps one ledger row per payment: replays change nothing, older events never roll it back', async () => {
    const auth = { Authorization: `Basic ${btoa(`${h.site.secretKey}:`)}` };
    const at = (m: number) => new Date(Date.now() - 3_600_000 + m * 60_000).toISOString();
    const ev = (messageId: string, event: string, m: number, properties: Record<string, unknown>) => ({
      type: 'track',
      messageId,
      userId: 'u1',
      event,
      timestamp: at(m),
      properties: { invoice_id: 'inv_7', currency: 'EUR', ...properties },
    });
    const paid = ev('b2', 'Invoice Paid', 10, { amount: 120, payment_id: 'pay_7', method: 'bank_transfer' });
    await h.post('/v1/batch', { batch: [paid] }, auth);
    const again = await h.post(
      '/v1/batch',
      { batch: [paid, ev('b1', 'Invoice Created', 5, { amount: 120 })] },
      auth,
    );
    expect(again.body.results.map((r: { status: string }) => r.status)).toEqual(['duplicate', 'accepted']);
    const row = async () => ({
      ...(await h.db.execute('SELECT status, amount, refunded, method, message_id FROM payments')).rows[0],
    });
    expect(await row()).toEqual({
      status: 'paid',
      amount: 12000,
      refunded: 0,
      method: 'bank_transfer',
      message_id: 'b2',
    });
    await h.post('/v1/batch', { batch: [ev('b3', 'Refund Issued', 20, { amount: 20 })] }, auth);
    expect(await row()).toMatchObject({ status: 'partially_refunded', refunded: 2000 });
    // A smaller refund total sent late (older) does not lower what was refunded.
    await h.post('/v1/batch', { batch: [ev('b4', 'Refund Issued', 15, { amount: 5 })] }, auth);
    expect(await row()).toMatchObject({ status: 'partially_refunded', refunded: 2000, message_id: 'b3' });
    expect(await h.count('SELECT COUNT(*) FROM payments')).toBe(1);
    const [{ id }] = (await h.api('/api/profiles')).body.profiles;
    expect((await h.api(`/api/profiles/${id}`)).body.profile.billing).toMatchObject({
      revenue: { EUR: 10000 },
      payments: 1,
      preferredMethod: 'bank_transfer',
    });
  });
  it('takes the single-event verbs in Segment HTTP API shapes, making a messageId when none is sent', async () => {
    const auth = { Authorization: `Basic ${btoa(`${h.site.secretKey}:`)}` };
    const calls: [string, Record<string, unknown>][] = [
      ['/v1/identify', { userId: 'u9', traits: { email: 'eve@acme.com' } }],
      ['/v1/track', { userId: 'u9', event: 'Report Exported', properties: { format: 'csv' } }],
      ['/v1/page', { userId: 'u9', name: 'Docs', properties: { url: 'https://shop.example/docs' } }],
      ['/v1/group', { userId: 'u9', groupId: 'org-1', traits: { name: 'Acme' } }],
      ['/v1/alias', { userId: 'u9', previousId: 'anon-9' }],
    ];
    for (const [path, body] of calls) {
      const res = await h.post(path, { ...body, timestamp: new Date().toISOString() }, auth);
      expect(res.status, path).toBe(200);
      expect(res.body.results[0]).toMatchObject({ status: 'accepted', messageId: expect.any(String) });
    }
    const list = (await h.api('/api/profiles')).body.profiles;
    expect(list).toHaveLength(1);
    const { profile } = (await h.api(`/api/profiles/${list[0].id}`)).body;
    expect(profile.identifiers).toEqual(
      expect.arrayContaining([
        { kind: 'user', value: 'u9', verified: true },
        { kind: 'email', value: 'eve@acme.com', verified: true },
        { kind: 'anonymous', value: 'anon-9', verified: true },
      ]),
    );
  });
  it('flags a recently seen profile at risk when its next expected payment is overdue', async () => {
    const auth = { Authorization: `Basic ${btoa(`${h.site.secretKey}:`)}` };
    const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    const payment = (id: string, days: number) => ({
      type: 'track',
      messageId: id,
      userId: 'u7',
      event: 'Payment Succeeded',
      timestamp: ago(days),
      properties: { payment_id: id, amount: 30, currency: 'USD', method: 'card' },
    });
    await h.post(
      '/v1/batch',
      {
        batch: [
          payment('p1', 100),
          payment('p2', 70),
          payment('p3', 40),
          { type: 'track', messageId: 'seen', userId: 'u7', event: 'Logged In', timestamp: ago(0) },
        ],
      },
      auth,
    );
    const atRisk = (await h.api('/api/profiles?status=at_risk')).body.profiles;
    expect(atRisk).toHaveLength(1);
    expect(atRisk[0]).toMatchObject({ status: 'at_risk', stage: 'loyal' });
    expect((await h.api('/api/profiles?status=active')).body.profiles).toEqual([]);
    const { profile } = (await h.api(`/api/profiles/${atRisk[0].id}`)).body;
    expect(profile.billing).toMatchObject({ payments: 3, averageIntervalDays: 30, atRisk: true });
    // The payment comes: no longer at risk.
    await h.post('/v1/batch', { batch: [payment('p4', 1)] }, auth);
    expect((await h.api('/api/profiles?status=active')).body.profiles).toHaveLength(1);
  });
});
