// `npm run bench` (first part): ingest over real HTTP, as a site's traffic reaches it. Collectors run in their own
// processes; autocannon sends 5-event /v1/batch requests on 50 keep-alive connections, each with fresh message
// ids. Every figure is printed beside the baseline measured in the same run: the libSQL client's raw batch
// insert (one write transaction of 5 rows per call, 50 calls in flight) on the same disk.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { openStore } from '../../collector/store/open.ts';
import { startSqld } from '../support/sqld.ts';
import {
  batchBody,
  CONNECTIONS,
  type Load,
  loadOver,
  PER_BATCH,
  SECONDS,
  startCollector,
  stopCollectors,
} from './http-load.ts';

const dir = mkdtempSync(join(tmpdir(), 'tp-bench-'));

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

async function scenario(label: string, url: string, processes: number): Promise<Load> {
  const store = await openStore({ url });
  const { site } = await store.sites.create('bench', ['https://shop.example']);
  await store.close();
  const urls = await Promise.all(Array.from({ length: processes }, () => startCollector(url)));
  const result = await loadOver(urls, site.siteKey);
  // Drained and gone before the database is read (or its server stopped).
  await stopCollectors();
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
