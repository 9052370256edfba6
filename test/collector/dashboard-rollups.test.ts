// The dashboard's maintained read models (attribution and funnel rollups, the profile search index) against a from-scratch
// recomputation, after a random history of profile rows: inserts, attribution changes, merges, unmerges, deletes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client as Db, createClient } from '@libsql/client';
import { attribution, attributionFromProfiles } from '../../collector/store/libsql/attribution.ts';
import { listProfiles } from '../../collector/store/libsql/profiles.ts';
import { type OpenedStore, openStore } from '../../collector/store/open.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const SITES = ['s1', 's2'];
const CHANNELS = [null, 'Direct', 'Email', 'Paid Search'];
const CAMPAIGNS = [null, '', 'spring', 'summer'];
const STAGES = ['reach', 'lead', 'customer'];
const NAMES = [null, 'Ada Lovelace', 'Grace Hopper', 'Zoë Ünal'];

let dir: string;
let db: Db;
let store: OpenedStore;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tp-rollups-'));
  store = await openStore({ url: `file:${join(dir, 'r.db')}` });
  db = createClient({ url: `file:${join(dir, 'r.db')}` });
  for (const id of SITES) {
    await db.execute({
      sql: 'INSERT INTO sites (id, name, site_key, secret_hash, created_at) VALUES (?, ?, ?, ?, 0)',
      args: [id, id, `pk_${id}`, `h_${id}`],
    });
  }
});
afterAll(async () => {
  db.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function rng(seed: number) {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    maybe: <T>(x: T): T | null => (next() < 0.3 ? null : x),
  };
}

/** Random attribution columns of a profile row, in minutes over 20 days (so days and their edges are hit). */
function attributionColumns(r: ReturnType<typeof rng>) {
  const at = () => T0 + r.int(20 * 24 * 60) * 60_000;
  const paid = r.next() < 0.4;
  const currencies = paid ? ['USD', 'EUR'].filter(() => r.next() < 0.7) : [];
  return {
    first_seen: at(),
    first_touch_at: r.maybe(at()),
    channel: r.pick(CHANNELS),
    first_campaign: r.pick(CAMPAIGNS),
    lead_at: r.maybe(at()),
    lead_channel: r.pick(CHANNELS),
    lead_campaign: r.pick(CAMPAIGNS),
    last_touch_at: r.maybe(at()),
    last_channel: r.pick(CHANNELS),
    last_campaign: r.pick(CAMPAIGNS),
    payment_count: paid ? 1 + r.int(3) : 0,
    first_payment_at: paid ? r.maybe(at()) : null,
    revenue:
      r.next() < 0.1 ? null : JSON.stringify(Object.fromEntries(currencies.map((c) => [c, r.int(3) * 1000]))),
  };
}

async function randomHistory(seed: number, steps: number): Promise<string[]> {
  const r = rng(seed);
  const ids: string[] = [];
  for (let step = 0; step < steps; step++) {
    const op = r.next();
    if (op < 0.35 || ids.length < 5) {
      const id = `p${seed}-${step}`;
      const c = attributionColumns(r);
      await db.execute({
        sql: `INSERT INTO profiles (id, site_id, email, name, user_id, last_seen, ${Object.keys(c).join(', ')})
              VALUES (?, ?, ?, ?, ?, ?, ${Object.keys(c)
                .map(() => '?')
                .join(', ')})`,
        args: [
          id,
          r.pick(SITES),
          r.maybe(`person${step}@Example.com`),
          r.pick(NAMES),
          r.maybe(`user-${step}`),
          c.first_seen,
          ...Object.values(c),
        ],
      });
      ids.push(id);
    } else if (op < 0.55) {
      // The upsert the write path makes, changing attribution columns.
      const c = attributionColumns(r);
      const id = r.pick(ids);
      await db.execute({
        sql: `INSERT INTO profiles (id, site_id, last_seen, ${Object.keys(c).join(', ')})
              VALUES (?, 's1', 0, ${Object.keys(c)
                .map(() => '?')
                .join(', ')})
              ON CONFLICT (id) DO UPDATE SET ${Object.keys(c)
                .map((k) => `${k} = excluded.${k}`)
                .join(', ')}, merged_into = NULL`,
        args: [id, ...Object.values(c)],
      });
    } else if (op < 0.65) {
      await db.execute({
        sql: 'UPDATE profiles SET last_seen = last_seen + 1, email = ?, name = ?, stage = ? WHERE id = ?',
        args: [r.maybe(`changed${step}@example.org`), r.pick(NAMES), r.pick(STAGES), r.pick(ids)],
      });
    } else if (op < 0.8) {
      await db.execute({
        sql: 'UPDATE profiles SET merged_into = ? WHERE id = ?',
        args: [r.pick(ids), r.pick(ids)],
      });
    } else if (op < 0.9) {
      await db.execute({ sql: 'UPDATE profiles SET merged_into = NULL WHERE id = ?', args: [r.pick(ids)] });
    } else {
      const id = r.pick(ids);
      await db.execute({ sql: 'DELETE FROM profiles WHERE id = ?', args: [id] });
      ids.splice(ids.indexOf(id), 1);
    }
  }
  return ids;
}

describe('attribution and funnel rollups', () => {
  it('equal a recomputation from profile rows after a random history', { timeout: 60_000 }, async () => {
    for (const seed of [1, 2, 3]) {
      await randomHistory(seed, 400);
      const r = rng(seed * 7);
      const ranges: [number, number][] = [
        [T0 - DAY, T0 + 30 * DAY],
        [T0 + 3 * DAY, T0 + 9 * DAY],
        [T0 + 2 * DAY + 3_600_000, T0 + 2 * DAY + 7_200_000],
      ];
      for (let i = 0; i < 6; i++) {
        const from = T0 + r.int(20 * DAY);
        ranges.push([from, from + 1 + r.int(10 * DAY)]);
      }
      for (const [from, to] of ranges) {
        for (const siteId of [undefined, 's1', 's2']) {
          expect(await attribution(db, { from, to, siteId })).toEqual(
            await attributionFromProfiles(db, { from, to, siteId }),
          );
        }
      }
      // The rollups hold no rows for groups no live profile is in any more.
      const stale = await db.execute(
        `SELECT (SELECT COUNT(*) FROM attribution_days WHERE visitors <= 0)
              + (SELECT COUNT(*) FROM attribution_revenue WHERE profiles <= 0) AS n`,
      );
      expect(Number(stale.rows[0].n)).toBe(0);
      // The overview's funnel counts per site, day of first_seen and stage.
      const counts = `SELECT site_id, day, stage, profiles FROM overview_days ORDER BY 1, 2, 3`;
      const scratch = `SELECT site_id, first_seen / ${DAY} AS day, stage, COUNT(*) AS profiles FROM profiles
        WHERE merged_into IS NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
      expect((await db.execute(counts)).rows.map((x) => ({ ...x }))).toEqual(
        (await db.execute(scratch)).rows.map((x) => ({ ...x })),
      );
    }
  });
});

describe('profile search index', () => {
  it('finds what a LIKE scan of email, name and user id finds', { timeout: 60_000 }, async () => {
    await randomHistory(9, 300);
    for (const q of [
      'example',
      'EXAMPLE.COM',
      'person1',
      'user-1',
      'Grace',
      'ünal',
      'lace',
      'nobody',
      'changed',
      '1@',
      'a',
      '100%',
      'o_r',
      'p9-3',
      '"quoted"',
    ]) {
      const like = `%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
      const scan = await db.execute({
        sql: `SELECT id FROM profiles WHERE merged_into IS NULL
                AND (email LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' OR user_id LIKE ? ESCAPE '\\' OR id = ?)
              ORDER BY last_seen DESC, id DESC LIMIT 500`,
        args: [like, like, like, q],
      });
      const found = await listProfiles(db, { q, limit: 500 });
      expect(found.profiles.map((p) => p.id)).toEqual(scan.rows.map((row) => String(row.id)));
    }
  });
});
