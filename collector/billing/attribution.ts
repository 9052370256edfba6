// Revenue attribution from maintained profile rows (never events): per channel and campaign under the
// first-touch, lead-touch and last-touch models, with visitors, leads, customers, revenue, rates and the
// median time from first touch to first payment.
import type { AttributionModel, AttributionRow, Revenue } from '../../wire.ts';
import type { Db } from '../db/client.ts';

const DAY = 86_400_000;

export interface AttributionInput {
  channel: string | null;
  campaign: string | null;
  firstAt: number;
  isLead: boolean;
  payments: number;
  firstPaymentAt: number | null;
  revenue: Revenue;
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const rate = (a: number, b: number) => (b ? Math.round((a / b) * 10_000) / 10_000 : 0);

/** Groups profiles by (channel, campaign); pure. */
export function attributionRows(rows: AttributionInput[]): AttributionRow[] {
  const groups = new Map<string, { row: AttributionRow; days: number[] }>();
  for (const r of rows) {
    const channel = r.channel ?? 'Direct';
    const key = `${channel}\u0000${r.campaign ?? ''}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        row: {
          channel,
          campaign: r.campaign,
          visitors: 0,
          leads: 0,
          customers: 0,
          revenue: {},
          leadRate: 0,
          customerRate: 0,
          leadToCustomerRate: 0,
          medianDaysToFirstPayment: null,
        },
        days: [],
      };
      groups.set(key, g);
    }
    g.row.visitors++;
    if (r.isLead) g.row.leads++;
    if (r.payments > 0) {
      g.row.customers++;
      if (r.firstPaymentAt !== null) g.days.push(Math.max(0, r.firstPaymentAt - r.firstAt) / DAY);
    }
    for (const [c, n] of Object.entries(r.revenue)) g.row.revenue[c] = (g.row.revenue[c] ?? 0) + n;
  }
  return [...groups.values()]
    .map(({ row, days }) => {
      const m = median(days);
      return {
        ...row,
        leadRate: rate(row.leads, row.visitors),
        customerRate: rate(row.customers, row.visitors),
        leadToCustomerRate: rate(row.customers, row.leads),
        medianDaysToFirstPayment: m === null ? null : Math.round(m * 100) / 100,
      };
    })
    .sort(
      (a, b) =>
        b.customers - a.customers ||
        b.visitors - a.visitors ||
        (a.channel + (a.campaign ?? '') < b.channel + (b.campaign ?? '') ? -1 : 1),
    );
}

const MODEL_COLUMNS: Record<AttributionModel, { at: string; channel: string; campaign: string }> = {
  firstTouch: { at: 'COALESCE(first_touch_at, first_seen)', channel: 'channel', campaign: 'first_campaign' },
  leadTouch: { at: 'lead_at', channel: 'lead_channel', campaign: 'lead_campaign' },
  lastTouch: {
    at: 'COALESCE(last_touch_at, first_touch_at, first_seen)',
    channel: 'COALESCE(last_channel, channel)',
    campaign: 'last_campaign',
  },
};

/**
 * A cohort per model: the profiles whose touch of that model falls in [from, to), credited with everything
 * they paid (net of refunds) so far.
 */
export async function attribution(
  db: Db,
  query: { from: number; to: number; siteId?: string },
): Promise<Record<AttributionModel, AttributionRow[]>> {
  const out = {} as Record<AttributionModel, AttributionRow[]>;
  for (const [model, col] of Object.entries(MODEL_COLUMNS) as [
    AttributionModel,
    (typeof MODEL_COLUMNS)['firstTouch'],
  ][]) {
    const rs = await db.execute({
      sql: `SELECT ${col.channel} AS ch, ${col.campaign} AS campaign, COALESCE(first_touch_at, first_seen) AS first_at,
              lead_at, payment_count, first_payment_at, revenue
            FROM profiles WHERE merged_into IS NULL ${query.siteId ? 'AND site_id = ?' : ''}
              AND ${col.at} >= ? AND ${col.at} < ?`,
      args: [...(query.siteId ? [query.siteId] : []), query.from, query.to],
    });
    out[model] = attributionRows(
      rs.rows.map((r) => ({
        channel: (r.ch as string | null) ?? null,
        campaign: (r.campaign as string | null) ?? null,
        firstAt: Number(r.first_at),
        isLead: r.lead_at !== null,
        payments: Number(r.payment_count ?? 0),
        firstPaymentAt: r.first_payment_at === null ? null : Number(r.first_payment_at),
        revenue: r.revenue ? (JSON.parse(String(r.revenue)) as Revenue) : {},
      })),
    );
  }
  return out;
}
