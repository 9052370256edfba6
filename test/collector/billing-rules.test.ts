// Table-driven tests of the pure billing rules: money in minor units, payment behaviour, stages and refunds,
// attribution grouping.
import { describe, expect, it } from 'vitest';
import { attributionRows } from '../../collector/store/libsql/attribution.ts';
import { billingFacts, billingProblem } from '../../collector/billing/events.ts';
import { stripeToMajor, toMinor } from '../../collector/billing/money.ts';
import { eventIdentity } from '../../collector/identity/identifiers.ts';
import { billingSummary } from '../../collector/identity/payments.ts';
import { derive, type FoldEvent, lifecycle } from '../../collector/identity/profile.ts';
import { identitySettings } from '../../collector/identity/rules.ts';
import type { WireEvent } from '../../wire.ts';

const settings = identitySettings(['https://shop.example'], {});
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

describe('money', () => {
  it.each([
    [19.99, 'USD', 1999],
    [0.1 + 0.2, 'EUR', 30],
    [500, 'JPY', 500],
    [1.25, 'BHD', 1250],
    [1.234, 'KWD', 1234],
    [7, 'ISK', 7],
    [0, 'USD', 0],
  ])('%d %s is %d minor units', (amount, currency, minor) => {
    expect(toMinor(amount, currency)).toEqual({ ok: true, minor });
  });
  it.each([
    [10.5, 'JPY', 'JPY has 0 decimal places'],
    [1.001, 'USD', 'USD has 2 decimal places'],
    [1.0001, 'BHD', 'BHD has 3 decimal places'],
  ])('refuses %d %s', (amount, currency, error) => {
    expect(toMinor(amount, currency)).toEqual({ ok: false, error });
  });
  it.each([
    [4900, 'usd', 49],
    [500, 'jpy', 500],
    [1250, 'bhd', 1.25],
    [10000, 'isk', 100],
  ])('Stripe %d %s is %d in the major unit', (amount, currency, major) => {
    expect(stripeToMajor(amount, currency)).toBe(major);
  });
});

describe('billing events', () => {
  const ev = (event: string, properties: Record<string, unknown>) =>
    ({ type: 'track', messageId: 'm', userId: 'u', event, properties }) as WireEvent;
  it('are refused without the secret key, and read in minor units with it', () => {
    const e = ev('Invoice Paid', { amount: 12.5, currency: 'eur', invoice_id: 'in_1', method: 'Card' });
    expect(billingProblem(e, false)).toContain('accepted only with the secret key');
    expect(billingProblem(e, true)).toBeNull();
    expect(billingFacts(e)).toEqual({
      kind: 'paid',
      invoiceId: 'in_1',
      paymentId: null,
      amount: 1250,
      currency: 'EUR',
      method: 'card',
      customerId: null,
    });
  });
  it('leave other track names alone', () => {
    expect(billingProblem(ev('Signed Up', {}), false)).toBeNull();
    expect(billingFacts(ev('Order Completed', { revenue: 3 }))).toBeNull();
  });
});

let seq = 0;
function fe(day: number, event: string, properties: Record<string, unknown>, type = 'track'): FoldEvent {
  const raw = { type, messageId: `m${++seq}`, userId: 'u1', event, properties } as WireEvent;
  return {
    messageId: raw.messageId,
    type: raw.type,
    event,
    ts: T0 + day * DAY,
    raw,
    identity: eventIdentity(raw, 'secret', settings),
  };
}
const pay = (day: number, id: string, amount: number, method = 'card') =>
  fe(day, 'Payment Succeeded', { payment_id: id, amount, currency: 'USD', method });
const keys = new Set(['u:u1', 'a:A']);

describe('payment behaviour', () => {
  const identify = fe(-5, '', {}, 'identify');
  (identify.raw as { traits?: unknown }).traits = { email: 'ada@acme.com' };
  identify.identity = eventIdentity(identify.raw, 'secret', settings);
  const events = [
    identify,
    pay(0, 'p1', 10),
    fe(29, 'Payment Failed', { payment_id: 'p2a', amount: 10, currency: 'USD' }),
    pay(30, 'p2', 10, 'bank_transfer'),
    pay(60, 'p3', 10),
    fe(61, 'Refund Issued', { payment_id: 'p3', amount: 4, currency: 'USD' }),
  ];

  it('sums revenue net of refunds, counts, interval, preferred method, failures', () => {
    const p = derive(events, keys, settings);
    const b = billingSummary(p, T0 + 70 * DAY);
    expect(b).toMatchObject({
      revenue: { USD: 2600 },
      payments: 3,
      firstPaymentAt: new Date(T0).toISOString(),
      lastPaymentAt: new Date(T0 + 60 * DAY).toISOString(),
      averageIntervalDays: 30,
      preferredMethod: 'card',
      failedPayments: 1,
      refunds: 1,
      nextExpectedAt: new Date(T0 + 90 * DAY).toISOString(),
      atRisk: false,
    });
    expect(billingSummary(p, T0 + 97 * DAY).atRisk).toBe(true);
    expect(lifecycle(p, null).stage).toBe('loyal');
  });

  it('goes back a stage when a refund voids the evidence, and says why', () => {
    const p = derive([...events, fe(62, 'Refund Issued', { payment_id: 'p3' })], keys, settings);
    const { stage, history } = lifecycle(p, null);
    expect(stage).toBe('retained');
    expect(history[history.length - 1]).toMatchObject({
      stage: 'retained',
      at: T0 + 62 * DAY,
      voided: true,
      rule: 'refund: payment p3 refunded, loyal evidence voided',
    });
    expect(billingSummary(p, T0 + 70 * DAY)).toMatchObject({ payments: 2, revenue: { USD: 2000 } });
  });

  it('gives the same state for any order of the same events', () => {
    const a = derive(events, keys, settings);
    const b = derive([...events].reverse(), keys, settings);
    expect(billingSummary(b, T0)).toEqual(billingSummary(a, T0));
  });
});

describe('attribution rows', () => {
  it('groups by channel and campaign with rates and the median days to first payment', () => {
    const row = (campaign: string | null, lead: boolean, paidDay: number | null, usd = 0) => ({
      channel: 'Paid Search',
      campaign,
      firstAt: T0,
      isLead: lead,
      payments: paidDay === null ? 0 : 1,
      firstPaymentAt: paidDay === null ? null : T0 + paidDay * DAY,
      revenue: (usd ? { USD: usd } : {}) as Record<string, number>,
    });
    const rows = attributionRows([
      row('spring', true, 2, 1000),
      row('spring', true, 4, 3000),
      row('spring', true, 9, 500),
      row('spring', false, null),
      row(null, false, null),
    ]);
    expect(rows[0]).toEqual({
      channel: 'Paid Search',
      campaign: 'spring',
      visitors: 4,
      leads: 3,
      customers: 3,
      revenue: { USD: 4500 },
      leadRate: 0.75,
      customerRate: 0.75,
      leadToCustomerRate: 1,
      medianDaysToFirstPayment: 4,
    });
    expect(rows[1]).toMatchObject({
      campaign: null,
      visitors: 1,
      customers: 0,
      medianDaysToFirstPayment: null,
    });
  });
});

describe('payments ledger, any order', () => {
  it(
    'ends in the same rows for every arrival order of the same billing events',
    { timeout: 60_000 },
    async () => {
      const fc = await import('fast-check');
      const { mkdtempSync, rmSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const { openStore } = await import('../../collector/store/open.ts');
      const { recordPayment } = await import('../../collector/store/libsql/ledger.ts');
      const dir = mkdtempSync(join(tmpdir(), 'tp-ledger-'));
      const store = await openStore({ url: `file:${join(dir, 'l.db')}` });
      const { createClient } = await import('@libsql/client');
      const db = createClient({ url: `file:${join(dir, 'l.db')}` });
      const kinds = ['invoiced', 'paid', 'failed', 'refunded', 'void'] as const;
      const arbFact = fc.record({
        ts: fc.integer({ min: 0, max: 5 }),
        kind: fc.constantFrom(...kinds),
        inv: fc.boolean(),
        pay: fc.boolean(),
        amount: fc.option(
          fc.integer({ min: 1, max: 5 }).map((n) => n * 1000),
          { nil: null },
        ),
      });
      let run = 0;
      const replay = async (
        facts: {
          ts: number;
          kind: (typeof kinds)[number];
          inv: boolean;
          pay: boolean;
          amount: number | null;
        }[],
      ) => {
        const site = `s${++run}`;
        const tx = await db.transaction('write');
        try {
          for (const [i, f] of facts.entries())
            await recordPayment(
              tx,
              site,
              {
                facts: {
                  kind: f.kind,
                  invoiceId: f.inv || !f.pay ? 'in_1' : null,
                  paymentId: f.pay ? 'pi_1' : null,
                  amount: f.amount,
                  currency: 'USD',
                  method: null,
                  customerId: null,
                },
                ident: 'u:x',
                ts: f.ts,
                messageId: `m${f.ts}-${f.kind}-${i}`,
                source: 'api',
              },
              0,
            );
          await tx.commit();
        } finally {
          tx.close();
        }
        const rs = await db.execute({
          sql: 'SELECT invoice_id, payment_id, status, refunded FROM payments WHERE site_id = ? ORDER BY invoice_id, payment_id',
          args: [site],
        });
        return rs.rows.map((r) => ({ ...r }));
      };
      try {
        await fc.assert(
          fc.asyncProperty(
            // Distinct (ts, kind) pairs: two different facts at the same instant and rank have no order to keep.
            fc.uniqueArray(arbFact, { minLength: 1, maxLength: 6, selector: (f) => `${f.ts}:${f.kind}` }),
            fc.array(fc.integer(), { minLength: 6, maxLength: 6 }),
            async (facts, order) => {
              // One event names both ids, so everything is one payment in the end, whatever came first.
              const linked = facts.map((f, i) => (i === 0 ? { ...f, inv: true, pay: true } : f));
              const shuffled = linked
                .map((f, i) => ({ f, k: order[i] }))
                .sort((a, b) => a.k - b.k)
                .map((x) => x.f);
              const a = await replay(linked);
              const b = await replay(shuffled);
              expect(b).toEqual(a);
              expect(a).toHaveLength(1);
            },
          ),
          { numRuns: 300 },
        );
      } finally {
        db.close();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('refunds in any order', () => {
  it('counts a refund dated before its payment once the payment is folded', () => {
    const p = derive(
      [
        fe(1, 'Refund Issued', { invoice_id: 'in_r' }),
        fe(2, 'Invoice Paid', { invoice_id: 'in_r', amount: 10, currency: 'USD' }),
      ],
      keys,
      settings,
    );
    expect(billingSummary(p, T0)).toMatchObject({ payments: 0, refunds: 1, revenue: { USD: 0 } });
    expect(lifecycle(p, null).stage).toBe('reach');
  });

  it('keeps a full refund full when a smaller total comes later', () => {
    const p = derive(
      [
        pay(1, 'p1', 10),
        fe(2, 'Refund Issued', { payment_id: 'p1' }),
        fe(3, 'Refund Issued', { payment_id: 'p1', amount: 2, currency: 'USD' }),
      ],
      keys,
      settings,
    );
    expect(billingSummary(p, T0)).toMatchObject({ payments: 0, revenue: { USD: 0 } });
  });

  it('a lone refund is no payment', () => {
    const p = derive(
      [fe(1, 'Refund Issued', { payment_id: 'zz', amount: 5, currency: 'USD' })],
      keys,
      settings,
    );
    expect(billingSummary(p, T0)).toMatchObject({ payments: 0, refunds: 0, list: [], revenue: {} });
  });
});
