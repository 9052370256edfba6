// GET /api/overview: the range, the cumulative funnel, medians between stages, the per-day series, and the
// query checks; it reads profile rows only.
import { afterEach, beforeEach, expect, test } from 'vitest';
import { overviewRange } from '../../collector/admin/overview.ts';
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
  extra: { leadAt?: number; paidAt?: number; siteId?: string; mergedInto?: string } = {},
) {
  await h.db.execute({
    sql: `INSERT INTO profiles (id, site_id, stage, first_seen, last_seen, event_count, lead_at, first_payment_at, merged_into)
          VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)`,
    args: [
      id,
      extra.siteId ?? h.site.id,
      stage,
      firstSeen,
      firstSeen,
      extra.leadAt ?? null,
      extra.paidAt ?? null,
      extra.mergedInto ?? null,
    ],
  });
}

test('the range: the last 30 days by default, inclusive days, checked', () => {
  const now = Date.UTC(2026, 10, 23, 15, 0);
  expect(overviewRange(undefined, undefined, now)).toEqual({
    start: Date.UTC(2026, 9, 25),
    end: Date.UTC(2026, 10, 24),
  });
  expect(overviewRange('2026-11-01', '2026-11-01', now)).toEqual({
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
  await profile('p3', t0, 'customer', { leadAt: t0 + 4 * 3_600_000, paidAt: t0 + 2 * DAY });
  await profile('p4', t0, 'loyal', { leadAt: t0 + 6 * 3_600_000, paidAt: t0 + 4 * DAY });
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
  const [toLead, leadToPaid, toPaid] = one.body.intervals;
  expect(toLead).toMatchObject({ from: 'reach', to: 'lead', count: 3, medianDays: 0.2 }); // 4 h
  expect(leadToPaid).toMatchObject({ from: 'lead', to: 'customer', count: 2 });
  expect(toPaid).toMatchObject({ from: 'reach', to: 'customer', count: 2, medianDays: 2 });
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
