// `npm run bench:stitch`: a generated history of 1,000,000 events over 100,000 profiles through the real
// writer and commit path (insert, identify, link ledger, incremental profile fold), printing events/s and
// peak memory. A tenth of the events arrive out of order (dated before their profile's latest event, so the
// profile is folded again) and 1% are aliases that merge two profiles. BENCH_EVENTS and BENCH_PROFILES scale
// it down.
//
// Then the late-event stall: on a profile of BENCH_STALL_EVENTS (20,000) events, a late event, and a merge of
// two such profiles, each committed beside an unrelated visitor's event. It prints what the unrelated request
// waited and how long the merge's commit took, with the refold outside the commit (now) and inside it (the
// baseline, TOUCHPOINT_REFOLD_INLINE_LIMIT=Infinity), measured in the same run.
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
  // A ninth of the events after the first round (a tenth of all) is dated half an hour before the profile's
  // event of the round before: it arrives after a later one.
  const late = round > 0 && i % 9 === 4;
  const ts = new Date(T0 + round * 3_600_000 + p - (late ? 5_400_000 : 0)).toISOString();
  const base = { messageId: `b${i}`, anonymousId: `anon-${p}`, timestamp: ts };
  const page = (path: string, referrer: string) =>
    ({
      ...base,
      type: 'page',
      context: { page: { url: `https://shop.example${path}`, path, referrer } },
    }) as WireEvent;
  if (round === 0) return page('/', p % 3 === 0 ? 'https://www.google.com/' : '');
  // 1% of the events: in round 6, every tenth visitor says it is also the next one's browser (a merge).
  if (round === 6 && p % 10 === 0)
    return {
      ...base,
      type: 'alias',
      previousId: `anon-${(p + 1) % PROFILES}`,
    } as WireEvent;
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
const merges = Number((await db.execute("SELECT COUNT(*) FROM merges WHERE kind = 'auto'")).rows[0][0]);
let late = 0;
for (let i = 0; i < EVENTS; i++) if (i >= PROFILES && i % 9 === 4) late++;
console.log(
  `stitch: ${EVENTS} events (${late} out of order, ${merges} merges) over ${profiles} profiles (${links} links) in ${seconds.toFixed(1)} s: ` +
    `${Math.round(EVENTS / seconds)} events/s, ${(await store.writerState()).commits} commits, ` +
    `peak RSS ${Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 1048576)} MB`,
);
await store.close();
rmSync(dir, { recursive: true, force: true });

// ---- The late-event stall ----

const STALL = Number(process.env.BENCH_STALL_EVENTS ?? 20_000);
const pageOf = (id: string, anon: string, at: number): PreparedEvent => {
  const e = {
    messageId: id,
    anonymousId: anon,
    timestamp: new Date(at).toISOString(),
    type: 'page',
    context: { page: { url: 'https://shop.example/docs', path: '/docs', referrer: '' } },
  } as WireEvent;
  return prepareEvent(e, JSON.stringify(e), T0 + 86_400_000 * 400);
};
const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;

async function stall(limit: string | undefined) {
  if (limit === undefined) delete process.env.TOUCHPOINT_REFOLD_INLINE_LIMIT;
  else process.env.TOUCHPOINT_REFOLD_INLINE_LIMIT = limit;
  const where = mkdtempSync(join(tmpdir(), 'tp-stall-'));
  const s = await openStore({ url: `file:${join(where, 's.db')}`, queueLimit: 1_000_000 });
  const { site: big } = await s.sites.create('Stall', ['https://shop.example']);
  for (const anon of ['big-a', 'big-b']) {
    for (let i = 0; i < STALL; i += BATCH) {
      const batch: PreparedEvent[] = [];
      for (let j = i; j < Math.min(STALL, i + BATCH); j++)
        batch.push(pageOf(`${anon}-${j}`, anon, T0 + 3_600_000 + j * 1000));
      await s.events.submit(big.id, batch);
    }
  }
  const settle = async () => {
    const c = createClient({ url: `file:${join(where, 's.db')}` });
    for (;;) {
      const n = Number((await c.execute('SELECT COUNT(*) FROM refold_queue')).rows[0][0]);
      if (!n) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    c.close();
  };
  const beside = async (work: () => Promise<unknown>, n: number) => {
    // The unrelated visitor's event is submitted just after, so it shares the commit or waits for it.
    const t = process.hrtime.bigint();
    const a = work();
    const u = process.hrtime.bigint();
    await s.events.submit(big.id, [pageOf(`other-${n}`, `other-${n}`, T0 + 7_200_000)]);
    const waited = ms(u);
    await a;
    return { waited, total: ms(t) };
  };
  const late = await beside(() => s.events.submit(big.id, [pageOf('late-1', 'big-a', T0)]), 1);
  await settle();
  const alias = {
    messageId: 'merge-1',
    anonymousId: 'big-a',
    previousId: 'big-b',
    type: 'alias',
    timestamp: new Date(T0 + 3_600_000 + STALL * 1000).toISOString(),
  } as WireEvent;
  const merge = await beside(
    () => s.events.submit(big.id, [prepareEvent(alias, JSON.stringify(alias), T0 + 86_400_000 * 400)]),
    2,
  );
  await settle();
  await s.close();
  rmSync(where, { recursive: true, force: true });
  return { late, merge };
}

const inline = await stall('Infinity');
const outside = await stall(undefined);
const f = (x: number) => `${x.toFixed(1)} ms`;
console.log(
  `late event on a ${STALL}-event profile: an unrelated request waited ${f(outside.late.waited)} (baseline, refold inside the commit: ${f(inline.late.waited)})`,
);
console.log(
  `merge of two ${STALL}-event profiles: the commit took ${f(outside.merge.total)}, an unrelated request waited ${f(outside.merge.waited)} (baseline: ${f(inline.merge.total)} and ${f(inline.merge.waited)})`,
);
