// `npm run bench`: ingest throughput of the real /v1/batch path (validation, group commit, stitching, fsync)
// against baselines measured in the same run on the same disk: a bare Hono request, and a plain libSQL
// insert with one transaction per request (what a naive collector does).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { Hono } from 'hono';
import { createApp } from '../../collector/app.ts';
import { openStore } from '../../collector/store/open.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4000);
const PER_BATCH = 5;
const IN_FLIGHT = 64;
const dir = mkdtempSync(join(tmpdir(), 'tp-bench-'));

function batchBody(siteKey: string, r: number) {
  const now = new Date().toISOString();
  return JSON.stringify({
    writeKey: siteKey,
    sentAt: now,
    batch: Array.from({ length: PER_BATCH }, (_, i) => ({
      type: i === 0 ? 'page' : 'track',
      event: i === 0 ? undefined : 'Element Clicked',
      messageId: `bench-${r}-${i}`,
      anonymousId: `anon-${r % 500}`,
      originalTimestamp: now,
      properties: { text: 'Buy now', href: '/pricing' },
      context: {
        page: { url: 'https://shop.example/pricing', title: 'Pricing', referrer: '' },
        userAgent: 'bench',
      },
    })),
  });
}

async function timed(label: string, requests: number, run: (i: number) => Promise<unknown>) {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < requests) await run(next++);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const perRequestUs = (seconds * 1e6) / requests;
  const eventsPerSecond = (requests * PER_BATCH) / seconds;
  console.log(
    `${label.padEnd(52)} ${perRequestUs.toFixed(1).padStart(8)} µs/request ${Math.round(eventsPerSecond).toString().padStart(8)} events/s`,
  );
  return { perRequestUs, eventsPerSecond };
}

// Baseline 1: a bare Hono request, no body handling.
const bare = new Hono().post('/', (c) => c.json({ ok: true }));
const bareResult = await timed('baseline: bare Hono request', REQUESTS, async () =>
  bare.request('/', { method: 'POST', body: '{}' }),
);

// Baseline 2: one libSQL write transaction per 5-event request.
const naive = createClient({ url: `file:${join(dir, 'naive.db')}` });
await naive.execute('PRAGMA journal_mode=WAL');
await naive.execute(
  'CREATE TABLE events (seq INTEGER PRIMARY KEY, site_id TEXT, message_id TEXT, body TEXT)',
);
await naive.execute('CREATE UNIQUE INDEX events_message ON events(site_id, message_id)');
const naiveResult = await timed(
  'baseline: libSQL insert, one transaction per request',
  REQUESTS,
  async (r) => {
    const body = JSON.parse(batchBody('k', r)).batch as { messageId: string }[];
    await naive.batch(
      body.map((e) => ({
        sql: 'INSERT INTO events (site_id, message_id, body) VALUES (?, ?, ?)',
        args: ['s', e.messageId, JSON.stringify(e)],
      })),
      'write',
    );
  },
);
naive.close();

// The real ingest path, in process (no sockets), run twice on fresh databases: once with one commit per
// request (what group commit replaces), once with group commit.
async function ingest(label: string, maxRequests?: number) {
  const store = await openStore({
    url: `file:${join(dir, `touchpoint-${maxRequests ?? 'group'}.db`)}`,
    queueLimit: 1_000_000,
    maxRequests,
  });
  const db = store.client;
  const { site } = await store.sites.create('bench', ['https://shop.example']);
  const app = createApp({ store, distDir: dir });
  const bodies = Array.from({ length: REQUESTS }, (_, r) => batchBody(site.siteKey, r));
  let failures = 0;
  const result = await timed(label, REQUESTS, async (r) => {
    const res = await app.request('/v1/batch', {
      method: 'POST',
      body: bodies[r],
      headers: { 'Content-Type': 'text/plain' },
    });
    if (res.status !== 200) failures++;
    await res.arrayBuffer();
  });
  const { commits, events } = store.writerState();
  const stored = Number((await db.execute('SELECT COUNT(*) AS n FROM events')).rows[0].n);
  await store.close();
  return { ...result, commits, perCommit: events / commits, stored, failures };
}

const single = await ingest('touchpoint path, one commit per request', 1);
const tp = await ingest('touchpoint path, group commit (validate, commit, stitch)');
rmSync(dir, { recursive: true, force: true });

console.log('');
console.log(`group commit: ${tp.commits} commits, ${tp.perCommit.toFixed(0)} events per commit`);
for (const r of [single, tp]) {
  console.log(`stored ${r.stored} of ${REQUESTS * PER_BATCH} events, ${r.failures} failed requests`);
}
console.log(
  `group commit vs one commit per request, same path: ${(tp.eventsPerSecond / single.eventsPerSecond).toFixed(2)}x the throughput`,
);
console.log(
  `full path with stitching vs a bare one-transaction-per-request insert: ${(tp.eventsPerSecond / naiveResult.eventsPerSecond).toFixed(2)}x`,
);
console.log(`request cost vs bare Hono request: ${(tp.perRequestUs / bareResult.perRequestUs).toFixed(1)}x`);
for (const r of [single, tp]) if (r.stored !== REQUESTS * PER_BATCH || r.failures) process.exitCode = 1;
