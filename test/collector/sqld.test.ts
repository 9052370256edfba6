// A real libSQL server (sqld): @libsql/client works on it over both Hrana transports (WebSocket and HTTP), and a
// collector starts on it, ingests an event and serves it back through the admin API.
import { type Client, createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ProfileReply, ProfilesReply } from '../../wire.ts';
import { startCollector } from '../support/collector.ts';
import { type Sqld, startSqld } from '../support/sqld.ts';

let sqld: Sqld;
beforeAll(async () => {
  sqld = await startSqld();
}, 180_000); // the first run on a machine installs sqld
afterAll(() => sqld?.stop());

const transports = [
  { name: 'ws', url: () => sqld.url },
  { name: 'http', url: () => sqld.httpUrl },
] as const;

describe.each(transports)('@libsql/client over $name', ({ name, url }) => {
  const clients: Client[] = [];
  const open = () => {
    const c = createClient({ url: url() });
    clients.push(c);
    return c;
  };
  afterAll(() => clients.forEach((c) => c.close()));
  let tables = 0;
  /** A new table for one test: the tests do not depend on each other's rows. */
  const fresh = async (db: Client) => {
    const table = `notes_${name}_${++tables}`;
    await db.execute(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)`);
    return table;
  };

  test('the URL scheme is the transport', () => {
    expect(url()).toMatch(name === 'ws' ? /^ws:\/\/127\.0\.0\.1:\d+$/ : /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('a write transaction commits; a rolled back one leaves nothing', async () => {
    const db = open();
    const table = await fresh(db);
    const tx = await db.transaction('write');
    try {
      await tx.execute({ sql: `INSERT INTO ${table} (body) VALUES (?)`, args: ['one'] });
      const rs = await tx.execute({
        sql: `INSERT INTO ${table} (body) VALUES (?) RETURNING id`,
        args: ['two'],
      });
      expect(Number(rs.rows[0].id)).toBe(2);
      await tx.commit();
    } finally {
      tx.close();
    }
    const undone = await db.transaction('write');
    try {
      await undone.execute({ sql: `INSERT INTO ${table} (body) VALUES (?)`, args: ['never'] });
      await undone.rollback();
    } finally {
      undone.close();
    }
    const rows = (await db.execute(`SELECT id, body FROM ${table} ORDER BY id`)).rows;
    expect(rows.map((r) => [Number(r.id), r.body])).toEqual([
      [1, 'one'],
      [2, 'two'],
    ]);
  });

  test("a 'write' batch is one transaction: all of it, or none of it", async () => {
    const db = open();
    const table = await fresh(db);
    await db.batch(
      [
        { sql: `INSERT INTO ${table} (body) VALUES (?)`, args: ['three'] },
        { sql: `INSERT INTO ${table} (body) VALUES (?)`, args: ['four'] },
      ],
      'write',
    );
    // the second statement breaks the UNIQUE constraint: the first is rolled back with it
    await expect(
      db.batch(
        [
          { sql: `INSERT INTO ${table} (body) VALUES (?)`, args: ['five'] },
          { sql: `INSERT INTO ${table} (body) VALUES (?)`, args: ['three'] },
        ],
        'write',
      ),
    ).rejects.toThrow(/UNIQUE/);
    const bodies = (await db.execute(`SELECT body FROM ${table} ORDER BY id`)).rows.map((r) => r.body);
    expect(bodies).toEqual(['three', 'four']);
  });

  test("two clients see each other's writes", async () => {
    const a = open();
    const b = open();
    const table = await fresh(a);
    await a.execute({ sql: `INSERT INTO ${table} (body) VALUES (?)`, args: [`from a`] });
    expect((await b.execute(`SELECT COUNT(*) AS n FROM ${table} WHERE body = 'from a'`)).rows[0].n).toBe(1);
    const tx = await b.transaction('write');
    try {
      await tx.execute({ sql: `INSERT INTO ${table} (body) VALUES (?)`, args: [`from b`] });
      await tx.commit();
    } finally {
      tx.close();
    }
    expect((await a.execute(`SELECT COUNT(*) AS n FROM ${table} WHERE body = 'from b'`)).rows[0].n).toBe(1);
  });
});

test('the two transports share one database', async () => {
  const ws = createClient({ url: sqld.url });
  const http = createClient({ url: sqld.httpUrl });
  try {
    await ws.execute('CREATE TABLE shared (v TEXT)');
    await ws.execute("INSERT INTO shared VALUES ('over ws')");
    await http.execute("INSERT INTO shared VALUES ('over http')");
    const read = async (c: Client) =>
      (await c.execute('SELECT v FROM shared ORDER BY v')).rows.map((r) => r.v);
    expect(await read(http)).toEqual(['over http', 'over ws']);
    expect(await read(ws)).toEqual(['over http', 'over ws']);
  } finally {
    ws.close();
    http.close();
  }
});

describe.each(transports)('a collector on sqld over $name', ({ name, url }) => {
  test('migrates, ingests one /v1/batch event and serves it from /api/profiles', async () => {
    const c = await startCollector({ databaseUrl: url() });
    try {
      expect(c.databaseUrl).toBe(url());
      const messageId = `sqld-${name}-1`;
      const res = await fetch(`${c.url}/v1/batch`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify({
          writeKey: c.site.siteKey,
          batch: [
            {
              type: 'track',
              event: 'Signed Up',
              messageId,
              anonymousId: `anon-${name}`,
              properties: { plan: 'pro' },
            },
          ],
        }),
      });
      expect(res.status).toBe(200);
      expect((await res.json()).results).toEqual([{ index: 0, messageId, status: 'accepted' }]);

      const list = await c.api<ProfilesReply>(`/api/profiles?site=${c.site.id}`);
      expect(list.status).toBe(200);
      expect(list.body.profiles).toHaveLength(1);
      expect(list.body.profiles[0]).toMatchObject({ siteId: c.site.id, eventCount: 1, status: 'active' });
      const one = await c.api<ProfileReply>(`/api/profiles/${list.body.profiles[0].id}`);
      expect(one.status).toBe(200);
      expect(one.body.timeline.map((e) => [e.event, e.anonymousId, e.properties.plan])).toEqual([
        ['Signed Up', `anon-${name}`, 'pro'],
      ]);
    } finally {
      await c.close();
    }
  });
});
