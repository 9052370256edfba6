// The HTTP load of the ingest benchmarks (`npm run bench`, `npm run bench:floors`): collectors in their own
// processes, and autocannon sending 5-event /v1/batch requests on 50 keep-alive connections, each with fresh
// message ids, as a site's traffic reaches the collector.
import type { ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { startCollectorProcess } from '../support/collector-process.ts';

export const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
export const CONNECTIONS = 50;
export const PER_BATCH = 5;
const VISITORS = 20_000;

const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export interface BatchOptions {
  /** Sets every event's `context.consent` (false: sent without the visitor's consent). */
  consent?: boolean;
}

let serial = 0;
export function batchBody(siteKey: string, options: BatchOptions = {}) {
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
        ...(options.consent === undefined ? {} : { consent: options.consent }),
      },
    })),
  });
}

/** A collector process on the database at `databaseUrl`; resolves with its URL once it serves. */
export async function startCollector(databaseUrl: string): Promise<string> {
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

/** Stops every collector started (SIGTERM: each drains what is in flight) and waits until they are gone. */
export async function stopCollectors(): Promise<void> {
  await Promise.all(
    children.splice(0).map((c) => new Promise((resolve) => (c.once('exit', resolve), c.kill('SIGTERM')))),
  );
}

export interface Load {
  events: number;
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** autocannon against each url at once for SECONDS, the connections split between them. */
export async function loadOver(urls: string[], siteKey: string, options: BatchOptions = {}): Promise<Load> {
  const results = await Promise.all(
    urls.map((url) =>
      autocannon({
        url: `${url}/v1/batch`,
        connections: Math.round(CONNECTIONS / urls.length),
        duration: SECONDS,
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        requests: [{ setupRequest: (req) => ({ ...req, body: batchBody(siteKey, options) }) }],
      }),
    ),
  );
  const ok = results.reduce((n, r) => n + r['2xx'], 0);
  return {
    events: ok * PER_BATCH,
    perSecond: (ok * PER_BATCH) / SECONDS,
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    errors: results.reduce((n, r) => n + r.errors + r.timeouts, 0),
  };
}
