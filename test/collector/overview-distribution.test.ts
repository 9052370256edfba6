// The overview's maintained distributions (migration 030: stage intervals by band and hour, new leads and customers by
// day and quarter) against a recomputation from the profile rows, and the overview's medians and per-day counts
// against the same figures computed from the profiles directly: after a random history through the real write path
// (ingest, merges, an unmerge, a stage set by hand, an erasure) and after random edits of profile rows, for 30 and
// 365 days, odd ranges, all sites, and time zones east and west of UTC, with and without daylight saving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overviewRange } from '../../collector/store/libsql/overview.ts';
import { dayOf, nextDay } from '../../collector/reports/zone.ts';
import { type Harness, harness } from './harness.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.now();

function rng(seed: number) {
  let s = seed;
  const next = () => (s = (s * 48271) % 2147483647) / 2147483647;
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
  };
}

/** The distributions recomputed from scratch, in the order of each table's key. */
const SAMPLES = `SELECT site_id, first_seen / ${DAY} AS d, kind, hours FROM (
    ${[
      ['reach-lead', 'first_seen', 'lead_at'],
      ['lead-qualified', 'lead_at', 'qualified_at'],
      ['qualified-customer', 'qualified_at', 'first_payment_at'],
      ['customer-retained', 'first_payment_at', 'retained_at'],
      ['retained-loyal', 'retained_at', 'loyal_at'],
      ['reach-customer', 'first_seen', 'first_payment_at'],
    ]
      .map(
        ([kind, a, b]) => `SELECT site_id, first_seen, '${kind}' AS kind, (${b} - ${a}) / ${HOUR} AS hours
          FROM profiles WHERE merged_into IS NULL AND ${a} IS NOT NULL AND ${b} IS NOT NULL AND ${b} >= ${a}`,
      )
      .join(' UNION ALL ')})`;
const SPANS = '(SELECT 1 AS span UNION ALL SELECT 32)';
const MOMENTS = `SELECT site_id, 'lead' AS kind, lead_at AS at FROM profiles WHERE merged_into IS NULL AND lead_at IS NOT NULL
  UNION ALL SELECT site_id, 'customer', first_payment_at FROM profiles
    WHERE merged_into IS NULL AND first_payment_at IS NOT NULL`;
const RECOMPUTED: [string, string][] = [
  [
    'SELECT site_id, span, day, kind, band, profiles FROM overview_interval_bands ORDER BY 1, 2, 3, 4, 5',
    `SELECT site_id, span, d / span * span AS day, kind, hours / 32 AS band, COUNT(*) AS profiles
      FROM (${SAMPLES}), ${SPANS} GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`,
  ],
  [
    'SELECT site_id, kind, band, span, day, hours, profiles FROM overview_interval_hours ORDER BY 1, 2, 3, 4, 5, 6',
    `SELECT site_id, kind, hours / 32 AS band, span, d / span * span AS day, hours, COUNT(*) AS profiles
      FROM (${SAMPLES}), ${SPANS} GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`,
  ],
  [
    'SELECT site_id, kind, day, profiles FROM overview_moment_days ORDER BY 1, 2, 3',
    `SELECT site_id, kind, at / ${DAY} AS day, COUNT(*) AS profiles FROM (${MOMENTS}) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
  ],
  [
    'SELECT site_id, kind, day, quarter, profiles FROM overview_moment_quarters ORDER BY 1, 2, 3, 4',
    `SELECT site_id, kind, at / ${DAY} AS day, at % ${DAY} / 900000 AS quarter, COUNT(*) AS profiles
      FROM (${MOMENTS}) GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
  ],
];

let h: Harness;
let other: string;
let otherKey: string;
beforeAll(async () => {
  h = await harness();
  const made = await h.store.sites.create('Other', ['https://other.example']);
  other = made.site.id;
  otherKey = made.secretKey;
});
afterAll(() => h.close());

async function expectDistributionsRecomputed() {
  for (const [kept, scratch] of RECOMPUTED) {
    const rows = (await h.db.execute(kept)).rows.map((r) => ({ ...r }));
    expect(rows).toEqual((await h.db.execute(scratch)).rows.map((r) => ({ ...r })));
  }
}

type Row = {
  site_id: string;
  stage: string;
  first_seen: number;
  lead_at: number | null;
  qualified_at: number | null;
  first_payment_at: number | null;
  retained_at: number | null;
  loyal_at: number | null;
};
const STEPS = [
  ['reach', 'first_seen', 'lead', 'lead_at'],
  ['lead', 'lead_at', 'qualified', 'qualified_at'],
  ['qualified', 'qualified_at', 'customer', 'first_payment_at'],
  ['customer', 'first_payment_at', 'retained', 'retained_at'],
  ['retained', 'retained_at', 'loyal', 'loyal_at'],
  ['reach', 'first_seen', 'customer', 'first_payment_at'],
] as const;
const STAGES = ['reach', 'lead', 'qualified', 'customer', 'retained', 'loyal'];

/** What the overview should say, from the live profile rows: every sample sorted, the lower middle. */
async function fromProfiles(from: string, to: string, siteId: string | undefined, zone: string) {
  const rows = (
    await h.db.execute({
      sql: `SELECT site_id, stage, first_seen, lead_at, qualified_at, first_payment_at, retained_at, loyal_at
            FROM profiles WHERE merged_into IS NULL ${siteId ? 'AND site_id = ?' : ''}`,
      args: siteId ? [siteId] : [],
    })
  ).rows.map((r) => ({ ...r }) as unknown as Row);
  const { start, end } = overviewRange(from, to, NOW, zone);
  const cohort = rows.filter((r) => r.first_seen >= start && r.first_seen < end);
  const intervals = STEPS.map(([a, ca, b, cb]) => {
    const hours = cohort
      .filter((r) => r[ca] !== null && r[cb] !== null && r[cb]! >= r[ca]!)
      .map((r) => Math.floor((r[cb]! - r[ca]!) / HOUR))
      .sort((x, y) => x - y);
    const middle = hours[Math.floor((hours.length - 1) / 2)];
    return {
      from: a,
      to: b,
      count: hours.length,
      medianDays: hours.length ? Math.round(((middle * HOUR) / DAY) * 10) / 10 : null,
    };
  });
  const reached = STAGES.map((_, i) => cohort.filter((r) => STAGES.indexOf(r.stage) >= i).length);
  const days = [];
  const inRange = (t: number | null, day: string) =>
    t !== null && t >= start && t < end && dayOf(zone, t) === day;
  for (let day = from; day <= to; day = nextDay(day))
    days.push({
      day,
      leads: rows.filter((r) => inRange(r.lead_at, day)).length,
      customers: rows.filter((r) => inRange(r.first_payment_at, day)).length,
    });
  return { reached, intervals, days };
}

const dayAgo = (n: number) => new Date(NOW - n * DAY).toISOString().slice(0, 10);
/** Ranges: the dashboard's 30 and 365 days, a long one, a single day, and a few that start mid-block. */
const RANGES: [string, string][] = [
  [dayAgo(29), dayAgo(0)],
  [dayAgo(364), dayAgo(0)],
  [dayAgo(420), dayAgo(3)],
  [dayAgo(100), dayAgo(100)],
  [dayAgo(333), dayAgo(45)],
  [dayAgo(70), dayAgo(6)],
];

async function expectOverviewFromProfiles(zone: string) {
  for (const [from, to] of RANGES) {
    for (const siteId of [undefined, h.site.id, other]) {
      const res = await h.api(`/api/overview?from=${from}&to=${to}${siteId ? `&site=${siteId}` : ''}`);
      expect(res.status).toBe(200);
      // both sites are set to the zone, so all sites share it too
      expect(res.body.timeZone).toBe(zone);
      const want = await fromProfiles(from, to, siteId, zone);
      expect({
        reached: res.body.funnel.map((s: { count: number }) => s.count),
        intervals: res.body.intervals,
        days: res.body.days,
      }).toEqual(want);
    }
  }
}

/** Events over the last 420 days through /v1/batch with each site's secret key, as a server library sends them. */
async function randomHistory(seed: number, people: number) {
  const r = rng(seed);
  const keys = { [h.site.id]: h.site.secretKey, [other]: otherKey };
  let n = 0;
  const emails: string[] = [];
  for (let p = 0; p < people; p++) {
    const siteId = r.next() < 0.8 ? h.site.id : other;
    const anon = `anon-${seed}-${p}`;
    let t = NOW - r.int(420) * DAY - r.int(DAY);
    const step = () =>
      (t = Math.min(NOW - 60_000, t + r.int(r.pick([6, 48, 24 * 20, 24 * 70])) * HOUR + r.int(HOUR)));
    const events: Record<string, unknown>[] = [
      { type: 'page', properties: { url: 'https://shop.example/' }, timestamp: new Date(t).toISOString() },
    ];
    // someone known: a new address, or (now and then) one another browser already gave: a merge
    const email = r.next() < 0.15 && emails.length ? r.pick(emails) : `p${seed}-${p}@people.example`;
    if (r.next() < 0.6) {
      step();
      events.push(
        r.next() < 0.5
          ? { type: 'identify', traits: { email }, timestamp: new Date(t).toISOString() }
          : {
              type: 'track',
              event: 'Form Submitted',
              properties: { formId: 'contact', fields: { email } },
              timestamp: new Date(t).toISOString(),
            },
      );
      emails.push(email);
      for (let pay = r.int(5) - 1; pay > 0; pay--) {
        step();
        events.push({
          type: 'track',
          event: 'Order Completed',
          properties: { orderId: `o-${seed}-${p}-${pay}`, revenue: 20 },
          timestamp: new Date(t).toISOString(),
        });
      }
    }
    // now and then a page view dated before everything else arrives last: the profile is folded again
    if (r.next() < 0.2)
      events.push({
        type: 'page',
        properties: { url: 'https://shop.example/late' },
        timestamp: new Date(Date.parse(events[0].timestamp as string) - r.int(30 * DAY)).toISOString(),
      });
    for (const e of events) {
      const res = await h.post('/v1/batch', {
        writeKey: keys[siteId],
        batch: [{ messageId: `m-${seed}-${++n}`, anonymousId: anon, ...e }],
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
  }
}

async function liveProfiles(siteId: string): Promise<string[]> {
  const rs = await h.db.execute({
    sql: 'SELECT id FROM profiles WHERE site_id = ? AND merged_into IS NULL ORDER BY id',
    args: [siteId],
  });
  return rs.rows.map((x) => String(x.id));
}

// The tests run in order over one database: the first writes the history the others read and edit.
describe('the overview distributions', () => {
  it(
    'equal a recomputation after a random history through the write path',
    { timeout: 120_000 },
    async () => {
      await randomHistory(7, 140);
      await expectDistributionsRecomputed();
      const r = rng(99);
      // merges by hand, and an unmerge: revoke the link a form or identify made
      for (let i = 0; i < 4; i++) {
        const ids = await liveProfiles(h.site.id);
        const [a, b] = [r.pick(ids), r.pick(ids)];
        if (a === b) continue;
        const res = await h.api(`/api/profiles/${a}/merge`, {
          method: 'POST',
          body: JSON.stringify({ otherId: b, reason: 'the same person' }),
        });
        expect([200, 409]).toContain(res.status);
      }
      await expectDistributionsRecomputed();
      let revoked = 0;
      for (const id of await liveProfiles(h.site.id)) {
        const { profile } = (await h.api(`/api/profiles/${id}`)).body;
        const link = profile.links.find(
          (l: { status: string; b: { kind: string } }) => l.status === 'active' && l.b.kind === 'email',
        );
        if (!profile.merges.length || !link) continue;
        const res = await h.api(`/api/links/${link.id}/revoke`, {
          method: 'POST',
          body: JSON.stringify({ reason: 'two people' }),
        });
        expect(res.status).toBe(200);
        if (++revoked === 2) break;
      }
      expect(revoked).toBeGreaterThan(0);
      await expectDistributionsRecomputed();
      // leads qualified by hand (their time is now) who then pay, then an erasure of a customer
      const leads = await h.db.execute({
        sql: `SELECT p.id, MIN(i.key) AS anon FROM profiles p JOIN identities i ON i.profile_id = p.id AND i.key LIKE 'a:%'
            WHERE p.site_id = ? AND p.merged_into IS NULL AND p.stage = 'lead' GROUP BY p.id ORDER BY p.id LIMIT 3`,
        args: [h.site.id],
      });
      expect(leads.rows).toHaveLength(3);
      for (const { id, anon } of leads.rows) {
        const res = await h.api(`/api/profiles/${id}/stage`, {
          method: 'POST',
          body: JSON.stringify({ stage: 'qualified', reason: 'a good call' }),
        });
        expect(res.status).toBe(200);
        const paid = await h.post('/v1/batch', {
          writeKey: h.site.secretKey,
          batch: [
            {
              messageId: `paid-${id}`,
              anonymousId: String(anon).slice(2),
              type: 'track',
              event: 'Order Completed',
              properties: { orderId: `o-${id}`, revenue: 30 },
              timestamp: new Date(Date.now() + 1000).toISOString(),
            },
          ],
        });
        expect(paid.status).toBe(200);
      }
      await expectDistributionsRecomputed();
      const customer = await h.db.execute(
        'SELECT id FROM profiles WHERE merged_into IS NULL AND first_payment_at IS NOT NULL LIMIT 1',
      );
      const erased = await h.api(`/api/profiles/${customer.rows[0].id}/erase`, {
        method: 'POST',
        body: '{}',
      });
      expect(erased.status).toBe(200);
      await expectDistributionsRecomputed();
      // every interval has samples, and the history spans blocks of 32 days and bands of 32 hours
      const spread = await h.db.execute(
        `SELECT COUNT(DISTINCT kind) AS kinds, COUNT(DISTINCT band) AS bands, COUNT(DISTINCT day) AS blocks
       FROM overview_interval_bands WHERE span = 32`,
      );
      expect(spread.rows[0]).toMatchObject({ kinds: 6 });
      expect(Number(spread.rows[0].bands)).toBeGreaterThan(5);
      expect(Number(spread.rows[0].blocks)).toBeGreaterThan(10);
    },
  );

  it(
    'give the medians and days the profile rows give, in UTC and in time zones',
    { timeout: 120_000 },
    async () => {
      expect(
        await h.count('SELECT COUNT(*) FROM profiles WHERE first_payment_at IS NOT NULL'),
      ).toBeGreaterThan(20);
      await expectOverviewFromProfiles('UTC');
      for (const zone of ['Asia/Kathmandu', 'America/New_York', 'Europe/Berlin']) {
        for (const id of [h.site.id, other]) {
          const res = await h.api(`/api/sites/${id}/settings`, {
            method: 'PUT',
            body: JSON.stringify({ reports: { timeZone: zone } }),
          });
          expect(res.status).toBe(200);
        }
        await expectOverviewFromProfiles(zone);
      }
    },
  );

  it('equal a recomputation after random edits of profile rows', { timeout: 60_000 }, async () => {
    const r = rng(5);
    const ids = (await h.db.execute('SELECT id FROM profiles')).rows.map((x) => String(x.id));
    const at = () => (r.next() < 0.2 ? null : NOW - r.int(400 * DAY));
    for (let step = 0; step < 300; step++) {
      const id = r.pick(ids);
      const op = r.next();
      if (op < 0.4) {
        // stage times in any order, some before first_seen: no sample for those
        await h.db.execute({
          sql: `UPDATE profiles SET first_seen = COALESCE(?, first_seen), lead_at = ?, qualified_at = ?,
                  first_payment_at = ?, retained_at = ?, loyal_at = ? WHERE id = ?`,
          args: [at(), at(), at(), at(), at(), at(), id],
        });
      } else if (op < 0.55) {
        await h.db.execute({
          sql: 'UPDATE profiles SET merged_into = ? WHERE id = ?',
          args: [r.pick(ids), id],
        });
      } else if (op < 0.7) {
        await h.db.execute({ sql: 'UPDATE profiles SET merged_into = NULL WHERE id = ?', args: [id] });
      } else if (op < 0.8) {
        await h.db.execute({
          sql: 'UPDATE profiles SET site_id = ? WHERE id = ?',
          args: [r.pick([h.site.id, other]), id],
        });
      } else if (op < 0.9) {
        await h.db.execute({
          sql: 'UPDATE profiles SET last_seen = last_seen + 1, score = score + 1 WHERE id = ?',
          args: [id],
        });
      } else {
        await h.db.execute({ sql: 'DELETE FROM profiles WHERE id = ?', args: [id] });
        ids.splice(ids.indexOf(id), 1);
      }
    }
    await expectDistributionsRecomputed();
    await expectOverviewFromProfiles('Europe/Berlin');
  });
});
