// The one writer: what waits commits together, a failing job rolls back alone, and a lock held by another
// process is waited for without blocking the event loop.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openClient } from '../../collector/store/libsql/client.ts';
import { createWriter, type Exec } from '../../collector/store/libsql/writer.ts';

let dir: string;
let url: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tp-writer-'));
  url = `file:${join(dir, 'w.db')}`;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function setup() {
  const db = await openClient(url);
  await db.execute('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)');
  const writer = createWriter(db, { delayMs: 0, maxEvents: 500, queueLimit: 100 }, async () => []);
  const bodies = async () =>
    (await db.execute('SELECT body FROM notes ORDER BY body')).rows.map((r) => String(r.body));
  return { db, writer, bodies };
}
const insert = (body: string) => async (tx: Exec) =>
  tx.execute({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [body] });

it('commits waiting jobs together; one that fails rolls back alone and is told why', async () => {
  const { db, writer, bodies } = await setup();
  const results = await Promise.allSettled([
    writer.run(insert('a')),
    writer.run(async (tx) => {
      await insert('b')(tx);
      await insert('a')(tx); // UNIQUE: this job fails after writing b
    }),
    writer.run(insert('c')),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
  expect(await bodies()).toEqual(['a', 'c']);
  expect(writer.stats.commits).toBe(1);
  await writer.close();
  db.close();
});

it('a job alone that fails leaves nothing', async () => {
  const { db, writer, bodies } = await setup();
  await expect(
    writer.run(async (tx) => {
      await insert('x')(tx);
      throw new Error('changed my mind');
    }),
  ).rejects.toThrow('changed my mind');
  expect(await bodies()).toEqual([]);
  await writer.close();
  db.close();
});

it('waits for a lock another process holds without blocking the event loop', async () => {
  const { db, writer, bodies } = await setup();
  // Another process's connection (its own client) takes the write lock for 300 ms.
  const other = createClient({ url });
  const held = await other.transaction('write');
  await held.execute({ sql: 'INSERT INTO notes (body) VALUES (?)', args: ['theirs'] });
  let ticks = 0;
  let worstGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worstGap = Math.max(worstGap, now - last);
    last = now;
    ticks++;
  }, 5);
  const mine = writer.run(insert('mine'));
  await new Promise((r) => setTimeout(r, 300));
  await held.commit();
  held.close();
  await mine;
  clearInterval(timer);
  expect(await bodies()).toEqual(['mine', 'theirs']);
  expect(writer.stats.busy).toBeGreaterThan(0);
  expect(ticks).toBeGreaterThan(20);
  // The driver's own busy wait is 3 ms; the rest of the wait is asynchronous.
  expect(worstGap).toBeLessThan(50);
  other.close();
  await writer.close();
  db.close();
});
