// Lifetime value by first touch, as pure rules: for the profiles acquired through each channel and campaign,
// the revenue they brought within 30, 90 and 180 days of their first touch (net of refunds), counted only over
// the profiles old enough for each window, and the payback time (first touch to first payment).
import { LTV_DAYS, type LtvRow, type Revenue } from '../../wire.ts';
import type { Payment } from './profile.ts';

const DAY = 86_400_000;

export interface LtvInput {
  channel: string | null;
  campaign: string | null;
  /** When the first touch happened. */
  firstAt: number;
  payments: Pick<Payment, 'at' | 'amount' | 'currency' | 'refunded' | 'refundedAmount' | 'placeholder'>[];
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** What a payment brought, net of refunds (minor units), or 0. */
function net(p: LtvInput['payments'][number]): number {
  if (p.placeholder || p.amount === null || p.amount === undefined) return 0;
  if (p.refunded) return Math.max(0, p.amount - Math.max(p.refundedAmount ?? 0, p.amount));
  return Math.max(0, p.amount - (p.refundedAmount ?? 0));
}

export function lifetimeValue(profiles: LtvInput[], now: number): LtvRow[] {
  const groups = new Map<string, { row: LtvRow; days: number[] }>();
  for (const p of profiles) {
    const channel = p.channel ?? 'Direct';
    const key = `${channel}\u0000${p.campaign ?? ''}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        row: {
          channel,
          campaign: p.campaign,
          profiles: 0,
          customers: 0,
          windows: LTV_DAYS.map((days) => ({ days, measured: 0, revenue: {}, perProfile: {} })),
          medianDaysToFirstPayment: null,
        },
        days: [],
      };
      groups.set(key, g);
    }
    g.row.profiles++;
    const paid = p.payments.filter((x) => net(x) > 0).sort((a, b) => a.at - b.at);
    if (paid.length) {
      g.row.customers++;
      g.days.push(Math.max(0, (paid[0].at - p.firstAt) / DAY));
    }
    for (const w of g.row.windows) {
      if (p.firstAt + w.days * DAY > now) continue;
      w.measured++;
      for (const x of paid) {
        if (x.at > p.firstAt + w.days * DAY) continue;
        const currency = (x.currency ?? 'XXX').toUpperCase();
        w.revenue[currency] = (w.revenue[currency] ?? 0) + net(x);
      }
    }
  }
  const rows: LtvRow[] = [];
  for (const { row, days } of groups.values()) {
    for (const w of row.windows) {
      const per: Revenue = {};
      for (const [c, v] of Object.entries(w.revenue)) per[c] = w.measured ? Math.round(v / w.measured) : 0;
      w.perProfile = per;
    }
    const m = median(days);
    row.medianDaysToFirstPayment = m === null ? null : Math.round(m * 10) / 10;
    rows.push(row);
  }
  const total = (r: LtvRow) =>
    Object.values(r.windows[r.windows.length - 1].revenue).reduce((a, b) => a + b, 0);
  return rows.sort(
    (a, b) => total(b) - total(a) || b.profiles - a.profiles || (a.channel < b.channel ? -1 : 1),
  );
}
