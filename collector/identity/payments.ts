// Payment behaviour from a profile's folded payments: revenue net of refunds, counts, intervals, the preferred
// method, the overdue flag, and the columns attribution reads. Pure.
import type { BillingSummary, Revenue } from '../../wire.ts';
import type { Payment, ProfileState } from './profile.ts';

const DAY = 86_400_000;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Payments that still count (not fully refunded), oldest first. */
export function livePayments(p: ProfileState): Payment[] {
  return p.payments
    .filter((x) => !x.refunded && !x.placeholder)
    .sort((a, b) => a.at - b.at || (a.messageId < b.messageId ? -1 : 1));
}

export function revenueOf(p: ProfileState): Revenue {
  const out: Revenue = {};
  for (const x of p.payments) {
    if (x.placeholder || x.amount === null || !x.currency) continue;
    const net = x.refunded ? 0 : x.amount - Math.min(x.refundedAmount ?? 0, x.amount);
    out[x.currency] = (out[x.currency] ?? 0) + net;
  }
  return out;
}

/** The next expected payment (last + average interval) and when it counts as overdue; null under two payments. */
export function expectedPayment(
  p: ProfileState,
): { next: number; overdueAt: number; interval: number } | null {
  const live = livePayments(p);
  if (live.length < 2) return null;
  const first = live[0].at;
  const last = live[live.length - 1].at;
  const interval = (last - first) / (live.length - 1);
  const next = last + interval;
  return { next, overdueAt: next + Math.max(interval / 5, 3 * DAY), interval };
}

export function billingSummary(p: ProfileState, now: number): BillingSummary {
  const live = livePayments(p);
  const real = p.payments.filter((x) => !x.placeholder);
  const first = live[0]?.at ?? null;
  const last = live[live.length - 1]?.at ?? null;
  const expected = expectedPayment(p);
  const interval = expected?.interval ?? null;
  const methods = new Map<string, number>();
  for (const x of live) if (x.method) methods.set(x.method, (methods.get(x.method) ?? 0) + 1);
  const preferred = [...methods].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? null;
  return {
    revenue: revenueOf(p),
    payments: live.length,
    firstPaymentAt: iso(first),
    lastPaymentAt: iso(last),
    averageIntervalDays: interval === null ? null : Math.round((interval / DAY) * 10) / 10,
    preferredMethod: preferred,
    failedPayments: p.failures?.length ?? 0,
    refunds: real.filter((x) => (x.refundedAmount ?? 0) > 0 || x.refunded).length,
    nextExpectedAt: iso(expected?.next ?? null),
    atRisk: !!expected && now > expected.overdueAt,
    list: real
      .sort((a, b) => a.at - b.at)
      .map((x) => ({
        id: x.id,
        invoiceId: x.invoiceId ?? null,
        paymentId: x.paymentId ?? null,
        at: new Date(x.at).toISOString(),
        amount: x.amount,
        currency: x.currency ?? null,
        method: x.method ?? null,
        refunded:
          x.refunded && x.amount !== null
            ? Math.max(x.refundedAmount ?? 0, x.amount)
            : (x.refundedAmount ?? 0),
        voided: x.refunded,
      })),
  };
}

/** What the profile row keeps for attribution (first, lead and last touch, first payment, revenue). */
export function attributionColumns(p: ProfileState) {
  const live = livePayments(p);
  // Last touch: the one before the first payment that still counts; before any payment, the latest.
  const last =
    live[0]?.touch ??
    (p.lastTouch
      ? { channel: p.lastTouch.channel, campaign: p.lastTouch.touch.campaign ?? null, at: p.lastTouch.at }
      : null);
  return {
    revenue: JSON.stringify(revenueOf(p)),
    paymentCount: live.length,
    firstPaymentAt: live[0]?.at ?? null,
    firstCampaign: p.firstTouch?.touch.campaign ?? null,
    leadAt: p.lead?.at ?? null,
    leadChannel: p.lead ? (p.leadTouch?.channel ?? 'Direct') : null,
    leadCampaign: p.lead ? (p.leadTouch?.touch.campaign ?? null) : null,
    lastTouchAt: last?.at ?? null,
    lastChannel: last?.channel ?? null,
    lastCampaign: last?.campaign ?? null,
    paymentOverdueAt: expectedPayment(p)?.overdueAt ?? null,
  };
}
