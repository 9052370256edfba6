// GET /api/overview: the range, the cumulative funnel, medians between stages, the per-day series, and the
// query checks; it reads profile rows only.
import { afterEach, beforeEach, expect, test } from 'vitest';
import { overviewRange } from '../../collector/store/libsql/overview.ts';
import { type Harness, harness } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(() => h.close());

const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A profile row as the write path leaves it, with just the columns the overview reads. */
async function profile(
  id: string,
  firstSeen: number,
  stage: string,
  extra: {
    leadAt?: number;
    qualifiedAt?: number;
    paidAt?: number;
    retainedAt?: number;
    loyalAt?: number;
    siteId?: string;
    mergedInto?: string;
  } = {},
) {
  await h.db.execute({
    sql: `INSERT INTO profiles (id, site_id, stage, first_seen, last_seen, event_count, lead_at, qualified_at,
            first_payment_at, retained_at, loyal_at, merged_into)
          VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)`,
    args: [
      id,
      extra.siteId ?? h.site.id,
      stage,
      firstSeen,
      firstSeen,
      extra.leadAt ?? null,
      extra.qualifiedAt ?? null,
      extra.paidAt ?? null,
      extra.retainedAt ?? null,
      extra.loyalAt ?? null,
      extra.mergedInto ?? null,
    ],
  });
}

test('the range: the last 30 days by default, inclusive days, checked', () => {
  const now = Date.UTC(2026, 10, 23, 15, 0);
  expect(overviewRange(undefined, undefined, now)).toMatchObject({
    start: Date.UTC(2026, 9, 25),
    end: Date.UTC(2026, 10, 24),
  });
  expect(overviewRange('2026-11-01', '2026-11-01', now)).toMatchObject({
    start: Date.UTC(2026, 10, 1),
    end: Date.UTC(2026, 10, 2),
  });
  expect(() => overviewRange('2026-02-30', undefined, now)).toThrow(/from must be a date/);
  expect(() => overviewRange('2026-11-05', '2026-11-01', now)).toThrow(/from must not be after to/);
  expect(() => overviewRange('2020-01-01', '2026-11-01', now)).toThrow(/at most/);
});

test('funnel, medians and days from profile rows', async () => {
  const today = Math.floor(Date.now() / DAY) * DAY;
  const t0 = today - 5 * DAY + 3_600_000;
  await profile('p1', t0, 'reach');
  await profile('p2', t0, 'lead', { leadAt: t0 + 2 * 3_600_000 });
  // p3 skipped qualified (its payment came first): no time of its own, so no lead → qualified for it
  await profile('p3', t0, 'customer', { leadAt: t0 + 4 * 3_600_000, paidAt: t0 + 2 * DAY });
  await profile('p4', t0, 'loyal', {
    leadAt: t0 + 6 * 3_600_000,
    qualifiedAt: t0 + DAY + 6 * 3_600_000, // a day after the lead
    paidAt: t0 + 4 * DAY, // 2.75 days after qualifying
    retainedAt: t0 + 34 * DAY, // 30 days after the first payment
    loyalAt: t0 + 94 * DAY, // 60 days after the second
  });
  // Outside the range, merged away, or another site: not counted.
  await profile('old', today - 90 * DAY, 'loyal', { leadAt: t0, paidAt: t0 });
  await profile('gone', t0, 'lead', { mergedInto: 'p2', leadAt: t0 });
  await h.db.execute({
    sql: "INSERT INTO sites (id, name, site_key, secret_hash, created_at) VALUES ('other', 'Other', 'pk_other', 'hash-other', 0)",
  });
  await profile('elsewhere', t0, 'customer', { siteId: 'other', leadAt: t0, paidAt: t0 + DAY });

  const all = await h.api(`/api/overview?from=${day(today - 6 * DAY)}&to=${day(today)}`);
  expect(all.status).toBe(200);
  const counts = Object.fromEntries(
    all.body.funnel.map((s: { stage: string; count: number }) => [s.stage, s.count]),
  );
  // Stages are cumulative: a loyal profile counts at every stage.
  expect(counts).toEqual({ reach: 5, lead: 4, qualified: 3, customer: 3, retained: 1, loyal: 1 });
  expect(all.body.funnel[1].conversion).toBeCloseTo(0.8);
  expect(all.body.funnel[0].conversion).toBeNull();
  expect(all.body.days).toHaveLength(7);

  const one = await h.api(`/api/overview?from=${day(today - 6 * DAY)}&to=${day(today)}&site=${h.site.id}`);
  const siteCounts = one.body.funnel.map((s: { count: number }) => s.count);
  expect(siteCounts).toEqual([4, 3, 2, 2, 1, 1]);
  // every step of the funnel, then first visit to first payment
  expect(one.body.intervals).toEqual([
    { from: 'reach', to: 'lead', count: 3, medianDays: 0.2 }, // 2, 4 and 6 h: 4 h
    { from: 'lead', to: 'qualified', count: 1, medianDays: 1 },
    { from: 'qualified', to: 'customer', count: 1, medianDays: 2.8 },
    { from: 'customer', to: 'retained', count: 1, medianDays: 30 },
    { from: 'retained', to: 'loyal', count: 1, medianDays: 60 },
    { from: 'reach', to: 'customer', count: 2, medianDays: 2 },
  ]);
  const leads = one.body.days.reduce((n: number, d: { leads: number }) => n + d.leads, 0);
  const customers = one.body.days.reduce((n: number, d: { customers: number }) => n + d.customers, 0);
  // "old" was first seen 90 days ago but became a lead and paid inside the range.
  expect({ leads, customers }).toEqual({ leads: 4, customers: 3 });

  const bad = await h.api('/api/overview?from=yesterday');
  expect(bad.status).toBe(400);
  expect(bad.body.error).toMatchObject({ code: 'invalid_query', field: 'from' });
  const anonymous = await h.app.request('/api/overview');
  expect(anonymous.status).toBe(401);
});

test('the write path keeps the stage times: events, then a stage set by hand', async () => {
  const base = Date.now() - 40 * DAY; // every event in the past: a future time is cut to the time received
  const at = (h: number) => new Date(base + h * 3_600_000).toISOString();
  const ev = (n: number, hour: number, over: Record<string, unknown>) => ({
    type: 'track',
    messageId: `st-${n}`,
    anonymousId: 'anon-stages',
    timestamp: at(hour),
    ...over,
  });
  const res = await h.post('/v1/batch', {
    writeKey: h.site.secretKey,
    batch: [
      ev(1, 0, { type: 'page', context: { page: { url: 'https://shop.example/' } } }),
      ev(2, 2, { type: 'identify', traits: { email: 'stages@example.com' } }),
      ev(3, 24, { event: 'Order Completed', properties: { orderId: 'o-1' } }),
      ev(4, 24 * 31, { event: 'Order Completed', properties: { orderId: 'o-2' } }),
    ],
  });
  expect(res.body.results.map((r: { status: string }) => r.status)).toEqual([
    'accepted',
    'accepted',
    'accepted',
    'accepted',
  ]);
  const row = async () =>
    (
      await h.db.execute(
        "SELECT id, stage, qualified_at, retained_at, loyal_at FROM profiles WHERE email = 'stages@example.com'",
      )
    ).rows[0];
  const r = await row();
  expect([r.stage, r.qualified_at, r.retained_at, r.loyal_at]).toEqual([
    'retained',
    null,
    Date.parse(at(24 * 31)),
    null,
  ]);
  const o = await h.api(`/api/overview?site=${h.site.id}&from=${day(base - DAY)}`);
  expect(o.body.intervals.find((i: { to: string }) => i.to === 'retained')).toEqual({
    from: 'customer',
    to: 'retained',
    count: 1,
    medianDays: 30,
  });
  // a marketer moves it on by hand: loyal from now
  const before = Date.now();
  const set = await h.api(`/api/profiles/${r.id}/stage`, {
    method: 'POST',
    body: JSON.stringify({ stage: 'loyal', reason: 'referred three friends' }),
  });
  expect(set.status).toBe(200);
  const after = await row();
  expect(after.stage).toBe('loyal');
  expect(Number(after.loyal_at)).toBeGreaterThanOrEqual(before);
});
