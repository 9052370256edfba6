// The profile list's maintained state against a recomputation from the profile rows, after a random history sent
// through HTTP (visits over 120 days on two sites, merges by email, an unmerge, a manual merge, an erase, payments
// falling overdue) and sweeps with the clock moved on: each profile's status, each site's count of live profiles,
// and the status filter of GET /api/profiles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusAt } from '../../collector/identity/profile.ts';
import { type Harness, harness } from './harness.ts';

const DAY = 86_400_000;

function rng(seed: number) {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return { next, int: (n: number) => Math.floor(next() * n) };
}

let h: Harness;
let other: { id: string; siteKey: string };
beforeAll(async () => {
  h = await harness();
  other = (await h.store.sites.create('Other', ['https://other.example'])).site;
});
afterAll(async () => {
  await h.close();
});

/** The status of a profile row at `now` by the existing rule: its last visit, at risk too when a payment is overdue. */
function recomputed(r: Record<string, unknown>, now: number): string {
  const s = statusAt(Number(r.last_seen), now);
  const overdue = r.payment_overdue_at === null ? null : Number(r.payment_overdue_at);
  return s === 'active' && overdue !== null && overdue < now ? 'at_risk' : s;
}

let sent = 0;
const browser = (writeKey: string, anonymousId: string, at: number, over: Record<string, unknown> = {}) => ({
  type: 'page',
  messageId: `m-${++sent}`,
  anonymousId,
  originalTimestamp: new Date(at).toISOString(),
  context: { page: { url: 'https://shop.example/', path: '/', title: 'Home', referrer: '' } },
  ...over,
});

/** Visits over the last 120 days on both sites, some browsers sharing an email (a merge), some paying. */
async function randomHistory(seed: number, people: number) {
  const r = rng(seed);
  const now = Date.now();
  const ago = () => now - r.int(120 * DAY);
  const all: [string, unknown][] = [];
  const payments: unknown[] = [];
  for (let i = 0; i < people; i++) {
    const key = r.next() < 0.7 ? h.site.siteKey : other.siteKey;
    const b = `s${seed}-b${i}`;
    for (let n = 1 + r.int(4); n > 0; n--) all.push([key, browser(key, b, ago())]);
    if (r.next() < 0.35) {
      // A second browser of the same person: the email links the two, and their profiles merge.
      const email = { type: 'identify', traits: { email: `person${seed}-${i}@example.com` } };
      all.push([key, browser(key, b, ago(), email)]);
      if (r.next() < 0.6) all.push([key, browser(key, `${b}x`, ago(), email)]);
    }
    if (key === h.site.siteKey && r.next() < 0.3) {
      // Three payments 30 days apart, the last 0 to 50 days ago: the next one falls due before or after now.
      const last = now - r.int(50 * DAY);
      for (let k = 0; k < 3; k++)
        payments.push({
          type: 'track',
          messageId: `pay-${++sent}`,
          userId: `u${seed}-${i}`,
          ...(r.next() < 0.5 ? { anonymousId: b } : {}),
          event: 'Payment Succeeded',
          timestamp: new Date(last - k * 30 * DAY).toISOString(),
          properties: { payment_id: `p${sent}`, amount: 30, currency: 'USD', method: 'card' },
        });
    }
  }
  // Sent in shuffled batches, so later visits of a browser often arrive before earlier ones.
  for (let i = all.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [all[i], all[j]] = [all[j], all[i]];
  }
  for (let i = 0; i < all.length; i += 7) {
    for (const key of [h.site.siteKey, other.siteKey]) {
      const batch = all
        .slice(i, i + 7)
        .filter(([k]) => k === key)
        .map(([, e]) => e);
      if (batch.length) expect((await h.post('/v1/batch', { writeKey: key, batch })).status).toBe(200);
    }
  }
  const auth = { Authorization: `Basic ${btoa(`${h.site.secretKey}:`)}` };
  for (let i = 0; i < payments.length; i += 5)
    expect((await h.post('/v1/batch', { batch: payments.slice(i, i + 5) }, auth)).status).toBe(200);
}

/** Sweeps as the worker would at `now` until nothing is left to move. */
async function sweep(now: number) {
  for (let round = 0; round < 50; round++) {
    const r = await h.store.automations.process({ smtp: false, now, sweepMs: 0 });
    if (!r.more) return;
  }
  throw new Error('the sweep did not settle');
}

async function listAll(query: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await h.api(`/api/profiles?limit=7&${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    ids.push(...(res.body.profiles as { id: string }[]).map((p) => p.id));
    cursor = res.body.nextCursor;
  } while (cursor);
  return ids;
}

/** Every maintained value equals its recomputation at `now`; returns how many profiles hold each status. */
async function check(now: number) {
  const rows = (
    await h.db.execute(
      `SELECT id, site_id, last_seen, payment_overdue_at, status FROM profiles WHERE merged_into IS NULL
       ORDER BY last_seen DESC, id DESC`,
    )
  ).rows as Record<string, unknown>[];
  // (a) each live profile's status is the one its row gives now
  expect(rows.map((r) => [r.id, r.status])).toEqual(rows.map((r) => [r.id, recomputed(r, now)]));
  // (b) each site's count is its number of live profiles, and GET /api/sites shows it
  const live = new Map<string, number>();
  for (const r of rows) live.set(String(r.site_id), (live.get(String(r.site_id)) ?? 0) + 1);
  const counts = await h.db.execute('SELECT site_id, profiles FROM site_counts WHERE profiles <> 0');
  expect(new Map(counts.rows.map((r) => [String(r.site_id), Number(r.profiles)]))).toEqual(live);
  const sites = (await h.api('/api/sites')).body.sites as { id: string; eventCount: number }[];
  expect(sites.map((s) => [s.id, s.eventCount])).toEqual(sites.map((s) => [s.id, live.get(s.id) ?? 0]));
  // (c) the status filter lists exactly the profiles of that status, newest visit first, per site and across sites
  const held: Record<string, number> = {};
  for (const status of ['active', 'at_risk', 'churned']) {
    const want = rows.filter((r) => recomputed(r, now) === status);
    held[status] = want.length;
    for (const siteId of [h.site.id, other.id])
      expect(await listAll(`status=${status}&site=${siteId}`)).toEqual(
        want.filter((r) => r.site_id === siteId).map((r) => String(r.id)),
      );
    expect(await listAll(`status=${status}`)).toEqual(want.map((r) => String(r.id)));
  }
  return held;
}

describe('maintained status and site counts', () => {
  it(
    'equal a recomputation from the profile rows after a random history and sweeps',
    { timeout: 120_000 },
    async () => {
      await randomHistory(1, 60);
      const now = Date.now();
      await sweep(now);
      const first = await check(now);
      expect(first.active).toBeGreaterThan(0);
      expect(first.at_risk).toBeGreaterThan(0);
      expect(first.churned).toBeGreaterThan(0);

      // A merge by hand, an unmerge (a link revoked) and an erase.
      const anonymous = (
        await h.db.execute({
          sql: `SELECT id FROM profiles WHERE site_id = ? AND merged_into IS NULL AND email IS NULL AND user_id IS NULL
              ORDER BY id LIMIT 3`,
          args: [h.site.id],
        })
      ).rows.map((r) => String(r.id));
      const merged = await h.api(`/api/profiles/${anonymous[0]}/merge`, {
        method: 'POST',
        body: JSON.stringify({ otherId: anonymous[1], reason: 'same person' }),
      });
      expect(merged.status).toBe(200);
      const byEmail = (
        await h.db.execute(
          `SELECT survivor_id FROM merges WHERE undone_at IS NULL AND COALESCE(kind, 'auto') <> 'manual' LIMIT 1`,
        )
      ).rows[0];
      expect(byEmail).toBeDefined();
      const survivor = (await h.api(`/api/profiles/${String(byEmail.survivor_id)}`)).body.profile;
      const link = survivor.links.find((l: { status: string; b: { kind: string } }) => l.status === 'active');
      const revoke = { method: 'POST', body: JSON.stringify({ reason: 'two people' }) };
      expect((await h.api(`/api/links/${link.id}/revoke`, revoke)).status).toBe(200);
      expect(
        (await h.api(`/api/profiles/${anonymous[2]}/erase`, { method: 'POST', body: '{}' })).status,
      ).toBe(200);
      expect(await h.count('SELECT COUNT(*) FROM merges WHERE undone_at IS NOT NULL')).toBeGreaterThan(0);
      expect(await h.count('SELECT COUNT(*) FROM profiles WHERE merged_into IS NOT NULL')).toBeGreaterThan(0);
      expect(
        await h.count('SELECT COUNT(*) FROM profiles WHERE payment_overdue_at IS NOT NULL'),
      ).toBeGreaterThan(0);
      const later = Date.now();
      await sweep(later);
      await check(later);

      // Time passes: thresholds are crossed with no write; then more visits and payments arrive, and time passes again.
      for (const days of [10, 25, 40]) {
        await sweep(now + days * DAY);
        await check(now + days * DAY);
      }
      await randomHistory(2, 30);
      for (const days of [40, 61, 95, 130]) {
        await sweep(now + days * DAY);
        await check(now + days * DAY);
      }
      // Nothing left active once every visit is more than 90 days old.
      expect((await check(now + 130 * DAY)).active).toBe(0);
    },
  );
});
