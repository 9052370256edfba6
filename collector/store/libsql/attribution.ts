// Revenue attribution from maintained profile rows (never events): per channel and campaign under the
// first-touch, lead-touch and last-touch models, with visitors, leads, customers, revenue, rates and the
// median time from first touch to first payment.
import type { AttributionModel, AttributionRow, Revenue } from '../../../wire.ts';
import type { Exec as Db } from './writer.ts';

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

interface Group {
  row: AttributionRow;
  /** Days from first touch to first payment of the group's customers, or only the middle one or two of them. */
  days: number[];
  /** How many of the group's customers have a first payment (those `days` would list). */
  payers: number;
}

/** Sums of (channel, campaign) groups: profiles one by one, or rollup rows already summed. */
class Groups {
  private readonly groups = new Map<string, Group>();

  get(channel: string | null, campaign: string | null): Group {
    const ch = channel ?? 'Direct';
    const key = `${ch}\u0000${campaign ?? ''}`;
    let g = this.groups.get(key);
    if (!g) {
      g = {
        row: {
          channel: ch,
          campaign,
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
        payers: 0,
      };
      this.groups.set(key, g);
    }
    return g;
  }

  /** One profile; its days to first payment too unless `withDays` is false (they are read apart). */
  addProfile(r: AttributionInput, withDays = true): void {
    const g = this.get(r.channel, r.campaign);
    g.row.visitors++;
    if (r.isLead) g.row.leads++;
    if (r.payments > 0) {
      g.row.customers++;
      if (r.firstPaymentAt !== null) {
        g.payers++;
        if (withDays) g.days.push(Math.max(0, r.firstPaymentAt - r.firstAt) / DAY);
      }
    }
    addRevenue(g.row.revenue, r.revenue);
  }

  all(): Group[] {
    return [...this.groups.values()];
  }

  rows(): AttributionRow[] {
    return [...this.groups.values()]
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
}

function addRevenue(into: Revenue, add: Revenue): void {
  for (const [c, n] of Object.entries(add)) into[c] = (into[c] ?? 0) + n;
}

/** Groups profiles by (channel, campaign); pure. */
export function attributionRows(rows: AttributionInput[]): AttributionRow[] {
  const groups = new Groups();
  for (const r of rows) groups.addProfile(r);
  return groups.rows();
}

const MODELS: AttributionModel[] = ['firstTouch', 'leadTouch', 'lastTouch'];

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
 * The report computed from profile rows alone (a scan of every live profile in the range): what the
 * maintained rollups must always agree with. Used by tests, not by the API.
 */
export async function attributionFromProfiles(
  db: Db,
  query: { from: number; to: number; siteId?: string },
): Promise<Record<AttributionModel, AttributionRow[]>> {
  const out = {} as Record<AttributionModel, AttributionRow[]>;
  for (const model of MODELS) {
    const col = MODEL_COLUMNS[model];
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
        // The rollups keep a missing campaign as ''; both read back as none.
        campaign: (r.campaign as string | null) || null,
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

/**
 * A cohort per model: the profiles whose touch of that model falls in [from, to), credited with everything
 * they paid (net of refunds) so far. Whole UTC days of the range come from the attribution_days and
 * attribution_revenue rollups, the partial days at its ends from attribution_touches rows, and the median
 * days to first payment from the middle of each group's paying profiles (index attribution_median). All three tables are
 * maintained by triggers on profiles (migrations.ts), so a 365-day report reads a few thousand rows.
 */
export async function attribution(
  db: Db,
  query: { from: number; to: number; siteId?: string },
): Promise<Record<AttributionModel, AttributionRow[]>> {
  const siteIds = query.siteId
    ? [query.siteId]
    : (await db.execute('SELECT id FROM sites ORDER BY id')).rows.map((r) => String(r.id));
  const firstDay = Math.ceil(query.from / DAY);
  const endDay = Math.floor(query.to / DAY);
  // [from, to) as whole days [firstDay, endDay) plus the edges around them, or only the edge.
  const edges: [number, number][] =
    firstDay < endDay
      ? [
          [query.from, firstDay * DAY],
          [endDay * DAY, query.to],
        ]
      : [[query.from, query.to]];
  const out = {} as Record<AttributionModel, AttributionRow[]>;
  for (const model of MODELS) {
    const groups = new Groups();
    for (const siteId of siteIds) {
      if (firstDay < endDay) {
        const days = [siteId, model, firstDay, endDay];
        const counts = await db.execute({
          sql: `SELECT channel, campaign, SUM(visitors) AS visitors, SUM(leads) AS leads, SUM(customers) AS customers,
                  SUM(payers) AS payers
                FROM attribution_days WHERE site_id = ? AND model = ? AND day >= ? AND day < ?
                GROUP BY channel, campaign`,
          args: days,
        });
        for (const r of counts.rows) {
          const g = groups.get(String(r.channel), String(r.campaign) || null);
          g.row.visitors += Number(r.visitors);
          g.row.leads += Number(r.leads);
          g.row.customers += Number(r.customers);
          g.payers += Number(r.payers);
        }
        const revenue = await db.execute({
          sql: `SELECT channel, campaign, currency, SUM(amount) AS amount
                FROM attribution_revenue WHERE site_id = ? AND model = ? AND day >= ? AND day < ?
                GROUP BY channel, campaign, currency`,
          args: days,
        });
        for (const r of revenue.rows) {
          addRevenue(groups.get(String(r.channel), String(r.campaign) || null).row.revenue, {
            [String(r.currency)]: Number(r.amount),
          });
        }
      }
      for (const [from, to] of edges) {
        if (from >= to) continue;
        const rs = await db.execute({
          sql: `SELECT channel, campaign, first_at, lead, payments, first_payment_at, revenue FROM attribution_touches
                WHERE site_id = ? AND model = ? AND at >= ? AND at < ?`,
          args: [siteId, model, from, to],
        });
        for (const r of rs.rows) {
          groups.addProfile(
            {
              channel: String(r.channel),
              campaign: String(r.campaign) || null,
              firstAt: Number(r.first_at),
              isLead: Number(r.lead) === 1,
              payments: Number(r.payments),
              firstPaymentAt: r.first_payment_at === null ? null : Number(r.first_payment_at),
              revenue: r.revenue ? (JSON.parse(String(r.revenue)) as Revenue) : {},
            },
            false,
          );
        }
      }
    }
    // The median days to first payment per group, across sites: the middle one or two of its paying profiles,
    // found by walking the group's paying touches in order of paid_after (index attribution_median).
    for (const g of groups.all()) {
      if (!g.payers) continue;
      const middle = await db.execute({
        sql: `SELECT paid_after FROM attribution_touches INDEXED BY attribution_median
              WHERE model = ? AND channel = ? AND campaign = ? AND paid_after IS NOT NULL
                AND site_id IN (${siteIds.map(() => '?').join(', ')}) AND at >= ? AND at < ?
              ORDER BY paid_after LIMIT ? OFFSET ?`,
        args: [
          model,
          g.row.channel,
          g.row.campaign ?? '',
          ...siteIds,
          query.from,
          query.to,
          g.payers % 2 ? 1 : 2,
          (g.payers - 1) >> 1,
        ],
      });
      for (const r of middle.rows) g.days.push(Number(r.paid_after) / DAY);
    }
    out[model] = groups.rows();
  }
  return out;
}
