// An acknowledged event is on disk: kill -9 the collector while requests are in flight, restart it on the
// same database, and every event that got `accepted` is there, once.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { afterAll, expect, it } from 'vitest';
import { openStore } from '../../collector/store/open.ts';
import { startCollectorProcess } from '../support/collector-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'tp-crash-'));
const dbUrl = `file:${join(dir, 'crash.db')}`;
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<{ url: string; child: ChildProcess }> {
  const started = await startCollectorProcess({
    DATABASE_URL: dbUrl,
    TOUCHPOINT_ADMIN_EMAIL: 'a@example.com',
    TOUCHPOINT_ADMIN_PASSWORD: 'long enough pw',
  });
  children.push(started.child);
  return started;
}

it('keeps every acknowledged event through a kill -9 and a restart', { timeout: 60_000 }, async () => {
  const store = await openStore({ url: dbUrl });
  const { site } = await store.sites.create('crash', ['https://shop.example']);
  await store.close();

  const first = await start();
  const acked = new Set<string>();
  let sent = 0;
  let stop = false;
  const sender = async (w: number) => {
    for (let r = 0; !stop; r++) {
      const batch = Array.from({ length: 5 }, (_, i) => ({
        type: 'track',
        event: 'Crash Test',
        messageId: `w${w}-r${r}-e${i}`,
        anonymousId: `anon-${w}`,
        properties: { r },
      }));
      sent += batch.length;
      try {
        const res = await fetch(`${first.url}/v1/batch`, {
          method: 'POST',
          body: JSON.stringify({ writeKey: site.siteKey, batch }),
        });
        const body = await res.json();
        for (const x of body.results ?? []) if (x.status === 'accepted') acked.add(x.messageId);
      } catch {
        return; // the process is gone: this request was never acknowledged
      }
    }
  };
  const senders = Array.from({ length: 8 }, (_, w) => sender(w));
  while (acked.size < 500) await new Promise((r) => setTimeout(r, 10));
  first.child.kill('SIGKILL');
  stop = true;
  await Promise.all(senders);
  expect(acked.size).toBeGreaterThanOrEqual(500);

  // Restart on the same file: migrations run again harmlessly and the write-ahead log is recovered.
  const second = await start();
  const health = await fetch(`${second.url}/health`);
  expect(health.status).toBe(200);
  second.child.kill('SIGKILL');

  const check = createClient({ url: dbUrl });
  const rows = (await check.execute('SELECT message_id FROM events')).rows.map((r) => String(r.message_id));
  check.close();
  const stored = new Set(rows);
  expect(rows.length).toBe(stored.size); // no duplicates
  const lost = [...acked].filter((id) => !stored.has(id));
  expect(lost).toEqual([]);
  expect(sent).toBeGreaterThan(acked.size - 1);
});
