// `npm run bench` (first part): ingest over real HTTP, as a site's traffic reaches it. Collectors run in their own
// processes; autocannon sends 5-event /v1/batch requests on 50 keep-alive connections, each with fresh message
// ids. Every figure is printed beside the baseline measured in the same run: the libSQL client's raw batch
// insert (one write transaction of 5 rows per call, 50 calls in flight) on the same disk.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import autocannon from 'autocannon';
import { openStore } from '../../collector/store/open.ts';
import { startCollectorProcess } from '../support/collector-process.ts';
import { startSqld } from '../support/sqld.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 50;
const PER_BATCH = 5;
const VISITORS = 20_000;
const dir = mkdtempSync(join(tmpdir(), 'tp-bench-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

let serial = 0;
function batchBody(siteKey: string) {
  const r = serial++;
  const now = new Date().toISOString();
  const visitor = `anon-${(r * 7919) % VISITORS}`;
  return JSON.stringify({
    writeKey: siteKey,
    sentAt: now,
    batch: Array.from({ length: PER_BATCH }, (_, i) => ({
      type: i === 0 ? 'page' : 'track',
      event: i === 0 ? undefined : 'Element Clicked',
      messageId: `bench-${process.pid}-${r}-${i}`,
      anonymousId: visitor,
      originalTimestamp: now,
      properties: { text: 'Buy now', href: '/pricing' },
      context: {
        page: { url: 'https://shop.example/pricing?utm_source=news', title: 'Pricing', referrer: '' },
        userAgent: 'bench',
      },
    })),
  });
}

/** Baseline: 50 loops of client.batch([5 inserts], 'write') on one libSQL client for SECONDS. */
async function rawBatchInsert(): Promise<number> {
  const client = createClient({ url: `file:${join(dir, 'raw.db')}`, timeout: 5000 } as Parameters<
    typeof createClient
  >[0]);
  await client.execute('PRAGMA journal_mode=WAL');
  await client.execute(
    'CREATE TABLE events (seq INTEGER PRIMARY KEY, site_id TEXT, message_id TEXT, body TEXT)',
  );
  await client.execute('CREATE UNIQUE INDEX events_message ON events(site_id, message_id)');
  let rows = 0;
  let n = 0;
  const until = Date.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < until) {
        const body = JSON.parse(batchBody('k')).batch as { messageId: string }[];
        await client.batch(
          body.map((e) => ({
            sql: 'INSERT INTO events (site_id, message_id, body) VALUES (?, ?, ?)',
            args: ['s', `${e.messageId}-${n++}`, JSON.stringify(e)],
          })),
          'write',
        );
        rows += body.length;
      }
    }),
  );
  const rate = rows / ((performance.now() - started) / 1000);
  client.close();
  return rate;
}

async function startCollector(databaseUrl: string): Promise<string> {
  const started = await startCollectorProcess({
    DATABASE_URL: databaseUrl,
    TOUCHPOINT_ADMIN_EMAIL: '',
    NODE_ENV: 'production',
    // The load comes from one address and one site: as a flood it would be refused, so the limits are off.
    TOUCHPOINT_RATE_ADDRESS_PER_MINUTE: '0',
    TOUCHPOINT_RATE_SITE_PER_MINUTE: '0',
  });
  children.push(started.child);
  return started.url;
}

interface Load {
  events: number;
  perSecond: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** autocannon against each url at once, the connections split between them. */
async function load(urls: string[], siteKey: string): Promise<Load> {
  const results = await Promise.all(
    urls.map((url) =>
      autocannon({
        url: `${url}/v1/batch`,
        connections: Math.round(CONNECTIONS / urls.length),
        duration: SECONDS,
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        requests: [{ setupRequest: (req) => ({ ...req, body: batchBody(siteKey) }) }],
      }),
    ),
  );
  const ok = results.reduce((n, r) => n + r['2xx'], 0);
  return {
    events: ok * PER_BATCH,
    perSecond: (ok * PER_BATCH) / SECONDS,
    p99: Math.max(...results.map((r) => r.latency.p99)),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    errors: results.reduce((n, r) => n + r.errors + r.timeouts, 0),
  };
}

async function scenario(label: string, url: string, processes: number): Promise<Load> {
  const store = await openStore({ url });
  const { site } = await store.sites.create('bench', ['https://shop.example']);
  await store.close();
  const urls = await Promise.all(Array.from({ length: processes }, () => startCollector(url)));
  const result = await load(urls, site.siteKey);
  // Drained and gone before the database is read (or its server stopped).
  await Promise.all(
    children.splice(0).map((c) => new Promise((resolve) => (c.once('exit', resolve), c.kill('SIGTERM')))),
  );
  // Every 2xx must be committed: count what is stored.
  const check = createClient({ url });
  const stored = Number(
    (
      await check.execute({
        sql: 'SELECT COUNT(*) AS n FROM events WHERE site_id = ?',
        args: [site.id],
      })
    ).rows[0].n,
  );
  check.close();
  console.log(
    `${label.padEnd(46)} ${Math.round(result.perSecond).toString().padStart(7)} events/s  p99 ${String(result.p99).padStart(4)} ms  ` +
      `(${result.non2xx} non-2xx, ${result.errors} errors, ${stored - result.events >= 0 ? 'every 2xx stored' : `MISSING ${result.events - stored}`})`,
  );
  if (stored < result.events) process.exitCode = 1;
  return result;
}

console.log(`ingest over HTTP: ${CONNECTIONS} connections, ${PER_BATCH}-event batches, ${SECONDS} s each\n`);
const raw = await rawBatchInsert();
console.log(
  `${'baseline: libSQL client raw batch insert'.padEnd(46)} ${Math.round(raw).toString().padStart(7)} rows/s`,
);
const one = await scenario('one collector, embedded file', `file:${join(dir, 'one.db')}`, 1);
const two = await scenario('two collectors, one embedded file', `file:${join(dir, 'two.db')}`, 2);
const sqld = await startSqld();
let onSqld: Load;
try {
  onSqld = await scenario('two collectors, one sqld', sqld.url, 2);
} finally {
  await sqld.stop();
}
rmSync(dir, { recursive: true, force: true });

const verdict = (x: number, target: number) =>
  `${x.toFixed(2)}x (target ≥ ${target}x: ${x >= target ? 'ok' : 'MISSED'})`;
console.log('');
console.log(
  `one collector vs raw batch insert:        ${verdict(one.perSecond / raw, 0.75)}, p99 ${one.p99} ms (target < 50 ms: ${one.p99 < 50 ? 'ok' : 'MISSED'})`,
);
console.log(`two collectors on one file vs one:        ${verdict(two.perSecond / one.perSecond, 0.9)}`);
console.log(`two collectors on one sqld vs one on file: ${verdict(onSqld.perSecond / one.perSecond, 0.5)}`);
