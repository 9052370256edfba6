// GET /api/profiles?sort=&order=: each order with keyset paging (ties by id), combined with filters, and the 400s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './harness.ts';

let h: Harness;
const DAY = 86_400_000;
const now = Date.now();

interface Row {
  id: string;
  email: string | null;
  firstSeen: number;
  lastSeen: number;
  events: number;
  stage: string;
}

// Ties on purpose: several rows share each sort value, so paging must break them by id.
const ROWS: Row[] = Array.from({ length: 13 }, (_, i) => ({
  id: `p${String(i).padStart(2, '0')}`,
  email: i % 4 === 0 ? null : `${String.fromCharCode(97 + (i % 5))}@example.com`,
  firstSeen: now - (10 + (i % 3)) * DAY,
  lastSeen: now - (i % 4) * DAY,
  events: (i * 7) % 5,
  stage: i % 2 ? 'lead' : 'anonymous',
}));

beforeAll(async () => {
  h = await harness();
  for (const r of ROWS) {
    await h.db.execute({
      sql: `INSERT INTO profiles (id, site_id, email, stage, first_seen, last_seen, event_count)
            VALUES (?, ?, ?, ?, ?, ?, ?)`,
      args: [r.id, h.site.id, r.email, r.stage, r.firstSeen, r.lastSeen, r.events],
    });
  }
  // A merged profile never lists.
  await h.db.execute({
    sql: `INSERT INTO profiles (id, site_id, email, stage, first_seen, last_seen, event_count, merged_into)
          VALUES ('pmerged', ?, 'z@example.com', 'lead', ?, ?, 99, 'p00')`,
    args: [h.site.id, now, now],
  });
});
afterAll(() => h.close());

const KEY: Record<string, (r: Row) => string | number> = {
  lastSeen: (r) => r.lastSeen,
  firstSeen: (r) => r.firstSeen,
  eventCount: (r) => r.events,
  email: (r) => r.email ?? '\u{10FFFF}',
};

function expected(sort: string, order: 'asc' | 'desc', rows = ROWS): string[] {
  const sign = order === 'asc' ? 1 : -1;
  return [...rows]
    .sort((a, b) => {
      const x = KEY[sort](a);
      const y = KEY[sort](b);
      return (x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0) * sign;
    })
    .map((r) => r.id);
}

async function all(query: string, limit = 3): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 20; page++) {
    const res = await h.api(`/api/profiles?limit=${limit}&${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    expect(res.body.profiles.length).toBeLessThanOrEqual(limit);
    ids.push(...res.body.profiles.map((p: { id: string }) => p.id));
    cursor = res.body.nextCursor;
    if (!cursor) break;
  }
  return ids;
}

describe('GET /api/profiles sorting', () => {
  it('defaults to last seen, most recent first', async () => {
    expect(await all('')).toEqual(expected('lastSeen', 'desc'));
    expect(await all('sort=lastSeen')).toEqual(expected('lastSeen', 'desc'));
  });

  for (const sort of ['lastSeen', 'firstSeen', 'eventCount', 'email']) {
    for (const order of ['asc', 'desc'] as const) {
      it(`orders and pages by ${sort} ${order}`, async () => {
        const want = expected(sort, order);
        expect(
          (await h.api(`/api/profiles?sort=${sort}&order=${order}`)).body.profiles.map(
            (p: { id: string }) => p.id,
          ),
        ).toEqual(want);
        expect(await all(`sort=${sort}&order=${order}`, 2)).toEqual(want);
        expect(await all(`sort=${sort}&order=${order}`, 5)).toEqual(want);
      });
    }
  }

  it('combines sort with filters', async () => {
    const leads = ROWS.filter((r) => r.stage === 'lead');
    expect(await all('sort=email&order=asc&stage=lead', 2)).toEqual(expected('email', 'asc', leads));
    expect(await all(`sort=eventCount&order=desc&stage=lead&site=${h.site.id}`, 2)).toEqual(
      expected('eventCount', 'desc', leads),
    );
    const bs = ROWS.filter((r) => r.email?.startsWith('b@'));
    expect(await all('sort=firstSeen&order=asc&q=b%40example', 1)).toEqual(expected('firstSeen', 'asc', bs));
  });

  it('lists the funnel cohort: profiles that reached a stage, first seen in a range of days', async () => {
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const from = day(now - 11 * DAY);
    const to = day(now - 10 * DAY);
    const inRange = (r: Row) => r.firstSeen >= Date.parse(from) && r.firstSeen < Date.parse(to) + DAY;
    const got = await all(`reached=lead&from=${from}&to=${to}`, 3);
    expect(got).toEqual(
      expected(
        'lastSeen',
        'desc',
        ROWS.filter((r) => r.stage === 'lead' && inRange(r)),
      ),
    );
    // reach is every stage
    expect((await all(`reached=reach&from=${from}&to=${to}`, 5)).length).toBe(
      ROWS.filter((r) => inRange(r) && r.stage !== 'anonymous').length,
    );
    for (const [bad, field] of [
      ['reached=vip', 'reached'],
      ['from=yesterday', 'from'],
      ['to=2024-13', 'to'],
    ]) {
      const res = await h.api(`/api/profiles?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.field).toBe(field);
    }
  });

  it('refuses an unknown sort, order or a cursor from another sort, naming the field', async () => {
    const sort = await h.api('/api/profiles?sort=score');
    expect(sort.status).toBe(400);
    expect(sort.body.error.field).toBe('sort');
    expect(sort.body.error.message).toContain('lastSeen, firstSeen, eventCount, email');
    const order = await h.api('/api/profiles?sort=email&order=up');
    expect(order.status).toBe(400);
    expect(order.body.error.field).toBe('order');
    const first = await h.api('/api/profiles?limit=2&sort=email');
    const mixed = await h.api(`/api/profiles?limit=2&sort=firstSeen&cursor=${first.body.nextCursor}`);
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.field).toBe('cursor');
    const junk = await h.api('/api/profiles?cursor=not-a-cursor');
    expect(junk.status).toBe(400);
  });
});
