// The profile list's walks (issue 15): a filtered, sorted page can be one index walk, one per reached stage, or
// one per stage and 32-day bucket of first seen, merged. Whatever the walks, every page of every filter in every
// order must be exactly the rows a plain filter and sort gives, with nothing lost or repeated between pages.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProfileSort, type SortOrder, STAGES } from '../../wire.ts';
import type { ProfileQuery } from '../../collector/store/types.ts';
import { type Harness, harness } from './harness.ts';

let h: Harness;
const DAY = 86_400_000;
const T0 = Date.parse('2025-01-03T00:00:00Z');
const CHANNELS = ['Email', 'Direct', 'Paid Search'];
const STATUSES = ['active', 'at_risk', 'churned'] as const;

interface Row {
  id: string;
  email: string | null;
  firstSeen: number;
  lastSeen: number;
  events: number;
  stage: (typeof STAGES)[number];
  channel: string;
  status: (typeof STATUSES)[number];
}

// A seeded generator: the rows are the same on every run, spread over 800 days (25 buckets), with ties.
let seed = 42;
const rand = (n: number) => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed % n;
};
const ROWS: Row[] = Array.from({ length: 300 }, (_, i) => {
  const firstSeen = T0 + rand(800) * DAY + rand(3) * 3_600_000;
  return {
    id: `p${String(i).padStart(3, '0')}`,
    email: rand(5) < 2 ? null : `${'abcdefgh'[rand(8)]}@example.com`,
    firstSeen,
    lastSeen: firstSeen + rand(400) * DAY,
    events: 1 + rand(6),
    stage: STAGES[rand(STAGES.length)],
    channel: CHANNELS[rand(3)],
    status: STATUSES[rand(3)],
  };
});

beforeAll(async () => {
  h = await harness();
  for (const r of ROWS) {
    await h.db.execute({
      sql: `INSERT INTO profiles (id, site_id, email, stage, first_seen, last_seen, event_count, channel, status)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      args: [r.id, h.site.id, r.email, r.stage, r.firstSeen, r.lastSeen, r.events, r.channel, r.status],
    });
  }
  // merged profiles never list, whatever the walk
  await h.db.execute({
    sql: `INSERT INTO profiles (id, site_id, email, stage, first_seen, last_seen, event_count, channel, status,
            merged_into) VALUES ('pmerged', ?, 'a@example.com', 'lead', ?, ?, 3, 'Email', 'active', 'p000')`,
    args: [h.site.id, T0 + 100 * DAY, T0 + 200 * DAY],
  });
}, 60_000);
afterAll(() => h.close());

const KEY: Record<ProfileSort, (r: Row) => string | number> = {
  lastSeen: (r) => r.lastSeen,
  firstSeen: (r) => r.firstSeen,
  eventCount: (r) => r.events,
  email: (r) => r.email ?? '\u{10FFFF}',
};

function expected(q: Omit<ProfileQuery, 'limit'>): string[] {
  const sort = q.sort ?? 'lastSeen';
  const sign = q.order === 'asc' ? 1 : -1;
  return ROWS.filter(
    (r) =>
      (!q.stage || r.stage === q.stage) &&
      (!q.reached || STAGES.indexOf(r.stage) >= STAGES.indexOf(q.reached)) &&
      (q.firstSeenFrom === undefined || r.firstSeen >= q.firstSeenFrom) &&
      (q.firstSeenBefore === undefined || r.firstSeen < q.firstSeenBefore) &&
      (!q.status || r.status === q.status) &&
      (!q.channel || r.channel === q.channel) &&
      (!q.q || (r.email ?? '').includes(q.q.toLowerCase()) || r.id === q.q),
  )
    .sort((a, b) => {
      const x = KEY[sort](a);
      const y = KEY[sort](b);
      return (x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0) * sign;
    })
    .map((r) => r.id);
}

async function all(q: Omit<ProfileQuery, 'limit'>, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 400; page++) {
    const got = await h.store.profiles.list({ ...q, limit, cursor });
    expect(got.profiles.length).toBeLessThanOrEqual(limit);
    ids.push(...got.profiles.map((p) => p.id));
    if (!got.nextCursor) break;
    cursor = got.nextCursor;
  }
  return ids;
}

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const day = fc.integer({ min: -20, max: 1250 }).map((d) => T0 + d * DAY);

describe('the profile list, whichever walks answer it', () => {
  it('pages every filter in every order exactly as a plain filter and sort does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          sort: fc.constantFrom<ProfileSort>('lastSeen', 'firstSeen', 'eventCount', 'email'),
          order: fc.constantFrom<SortOrder>('asc', 'desc'),
          reached: maybe(fc.constantFrom(...STAGES)),
          stage: maybe(fc.constantFrom(...STAGES)),
          status: maybe(fc.constantFrom(...STATUSES)),
          channel: maybe(fc.constantFrom(...CHANNELS)),
          firstSeenFrom: maybe(day),
          firstSeenBefore: maybe(day),
          // short text walks the order; three characters or more read the trigram index's candidates
          q: maybe(fc.constantFrom('c@', 'XAMPLE', 'b@example.com', 'p007', 'nobody')),
        }),
        fc.integer({ min: 1, max: 40 }),
        async (q, limit) => {
          expect(await all(q, limit)).toEqual(expected(q));
        },
      ),
      { numRuns: 120, seed: 15 },
    );
  }, 120_000);

  it('walks one bucket per 32 days of a range: a funnel cohort over two years', async () => {
    const q = { reached: 'lead' as const, firstSeenFrom: T0, firstSeenBefore: T0 + 800 * DAY };
    const want = expected(q);
    expect(want.length).toBeGreaterThan(100);
    for (const sort of ['lastSeen', 'eventCount', 'email'] as const) {
      for (const order of ['asc', 'desc'] as const) {
        expect(await all({ ...q, sort, order }, 7)).toEqual(expected({ ...q, sort, order }));
      }
    }
  });
});
