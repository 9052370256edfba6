// `npm run bench:stitch`: a generated history of 1,000,000 events over 100,000 profiles through the real
// writer and commit path (insert, identify, link ledger, incremental profile fold), printing events/s and
// peak memory. BENCH_EVENTS and BENCH_PROFILES scale it down.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PreparedEvent, prepareEvent } from '../../collector/ingest/prepare.ts';
import { createClient } from '@libsql/client';
import { openStore } from '../../collector/store/open.ts';
import type { WireEvent } from '../../wire.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const PROFILES = Number(process.env.BENCH_PROFILES ?? 100_000);
const BATCH = 500;
const IN_FLIGHT = 4;
const T0 = Date.parse('2024-01-01T00:00:00Z');

const dir = mkdtempSync(join(tmpdir(), 'tp-stitch-'));
const storeUrl = `file:${join(dir, 'stitch.db')}`;
const store = await openStore({
  url: storeUrl,
  commitDelayMs: 2,
  commitMaxEvents: 2000,
  queueLimit: 1_000_000,
});
const db = createClient({ url: storeUrl });
const { site } = await store.sites.create('Bench', ['https://shop.example']);
const writer = store.events;

/** Event i is round ⌊i / PROFILES⌋ of profile i mod PROFILES: arrivals interleave across profiles. */
function event(i: number): WireEvent {
  const p = i % PROFILES;
  const round = Math.floor(i / PROFILES);
  const ts = new Date(T0 + round * 3_600_000 + p).toISOString();
  const base = { messageId: `b${i}`, anonymousId: `anon-${p}`, timestamp: ts };
  const page = (path: string, referrer: string) =>
    ({
      ...base,
      type: 'page',
      context: { page: { url: `https://shop.example${path}`, path, referrer } },
    }) as WireEvent;
  if (round === 0) return page('/', p % 3 === 0 ? 'https://www.google.com/' : '');
  if (round === 3 && p % 3 === 0)
    return {
      ...base,
      type: 'identify',
      userId: `user-${p}`,
      traits: { email: `p${p}@acme.com`, name: `P ${p}` },
    } as WireEvent;
  if (round === 5 && p % 7 === 0)
    return {
      ...base,
      type: 'track',
      event: 'Form Submitted',
      properties: { formId: 'demo', fields: { email: `p${p}@acme.com` } },
    } as WireEvent;
  if (round === 8 && p % 10 === 0)
    return {
      ...base,
      type: 'track',
      event: 'Order Completed',
      properties: { orderId: `o${p}`, revenue: 49 },
    } as WireEvent;
  return page(round % 2 ? '/pricing' : '/docs', 'https://shop.example/');
}

let next = 0;
let peakRss = 0;
const start = process.hrtime.bigint();
let lastReport = Date.now();
await Promise.all(
  Array.from({ length: IN_FLIGHT }, async () => {
    while (next < EVENTS) {
      const from = next;
      next = Math.min(EVENTS, next + BATCH);
      const batch: PreparedEvent[] = [];
      for (let i = from; i < next; i++) {
        const e = event(i);
        batch.push(prepareEvent(e, JSON.stringify(e), T0 + 86_400_000 * 30));
      }
      await writer.submit(site.id, batch);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        const s = Number(process.hrtime.bigint() - start) / 1e9;
        console.log(`  ${next} events, ${Math.round(next / s)} events/s`);
      }
    }
  }),
);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const profiles = Number(
  (await db.execute('SELECT COUNT(*) FROM profiles WHERE merged_into IS NULL')).rows[0][0],
);
const links = Number((await db.execute('SELECT COUNT(*) FROM links')).rows[0][0]);
console.log(
  `stitch: ${EVENTS} events over ${profiles} profiles (${links} links) in ${seconds.toFixed(1)} s: ` +
    `${Math.round(EVENTS / seconds)} events/s, ${(await store.writerState()).commits} commits, ` +
    `peak RSS ${Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 1048576)} MB`,
);
await store.close();
rmSync(dir, { recursive: true, force: true });
