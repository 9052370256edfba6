// Regression: 16 visitors' first chat messages arriving at once, while pages keep sending events. Every chat post
// is answered 2xx, the collector stays responsive (/health p99 under 100 ms), each message is stored once and
// every acknowledged event is stored once. Real HTTP to a real collector on 127.0.0.1, on a database file and on a
// libSQL server (sqld); every loop is bounded in count and time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openStore } from '../../collector/store/open.ts';
import type { ConversationReply, InboxReply, IngestReply } from '../../wire.ts';
import { VISITOR_UA } from '../support/browser.ts';
import { type CollectorProcess, startCollectorProcess } from '../support/collector-process.ts';
import { type Sqld, startSqld } from '../support/sqld.ts';

/** The collector under test runs in a process of its own, as deployed: the test's own traffic shares no thread with it. */
interface Burstable {
  url: string;
  databaseUrl: string;
  site: { id: string; siteKey: string };
  db: Client;
  api<T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }>;
}

const ORIGIN = 'http://localhost:5555';
const VISITORS = 16;
const INGEST_LOOPS = 4;
const EVENTS_PER_BATCH = 5;
const MAX_BATCHES_PER_LOOP = 150;
const HEALTH_EVERY_MS = 20;
const MAX_HEALTH_POLLS = 1500;
/** Traffic keeps going this long after the last chat answer, to see the collector settle. */
const TAIL_MS = 300;
/** No loop starts another round past this, whatever happens; a request in flight gives up after REQUEST_MS. */
const HARD_STOP_MS = 20_000;
const REQUEST_MS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

describe.each(['file', 'sqld'] as const)('on a %s database', (database) => {
  let sqld: Sqld | undefined;
  let dir = '';
  let running: CollectorProcess;
  let c: Burstable;
  beforeAll(async () => {
    if (database === 'sqld') sqld = await startSqld();
    else dir = mkdtempSync(join(tmpdir(), 'tp-burst-'));
    const databaseUrl = sqld?.url ?? `file:${join(dir, 'burst.db')}`;
    const store = await openStore({ url: databaseUrl });
    const { site } = await store.sites.create('Burst', [ORIGIN]);
    const { token } = await store.accounts.createToken('tests');
    await store.close();
    running = await startCollectorProcess({ DATABASE_URL: databaseUrl });
    c = {
      url: running.url,
      databaseUrl,
      site,
      db: createClient({ url: databaseUrl }),
      async api(path, init = {}) {
        const res = await fetch(running.url + path, {
          ...init,
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...init.headers },
        });
        return { status: res.status, body: await res.json() };
      },
    };
    const res = await c.api(`/api/sites/${c.site.id}/chat`, {
      method: 'PUT',
      body: JSON.stringify({ enabled: true, autoReply: 'Thanks, we will be right with you.' }),
    });
    expect(res.status).toBe(200);
  }, 180_000); // the first run on a machine installs sqld
  afterAll(async () => {
    c?.db.close();
    running?.child.kill('SIGTERM');
    await running?.exited;
    await sqld?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(
    'a burst of first chat messages during ingest: all answered, /health stays fast, nothing lost or doubled',
    () => burst(c),
    90_000,
  );
});

async function burst(c: Burstable) {
  const timeout = () => AbortSignal.timeout(REQUEST_MS);
  const started = performance.now();
  const hardStop = started + HARD_STOP_MS;
  let stop = false;
  const stopped = () => stop || performance.now() > hardStop;

  // /health every ~20 ms; a poll that times out counts as its timeout
  const health: number[] = [];
  const healthFailures: string[] = [];
  const polling = (async () => {
    while (!stopped() && health.length < MAX_HEALTH_POLLS) {
      const t = performance.now();
      try {
        const res = await fetch(`${c.url}/health`, { signal: timeout() });
        await res.arrayBuffer();
        if (res.status !== 200) healthFailures.push(`status ${res.status}`);
      } catch (err) {
        healthFailures.push(String(err));
      }
      const took = performance.now() - t;
      health.push(took);
      await sleep(Math.max(0, HEALTH_EVERY_MS - took));
    }
  })();

  // continuous ingest: a few browsers' loops of 5-event batches
  const acknowledged = new Set<string>();
  const ingestProblems: string[] = [];
  let batchesSent = 0;
  let firstAck!: () => void;
  const ingestFlowing = new Promise<void>((resolve) => (firstAck = resolve));
  const ingestLoop = async (loop: number) => {
    for (let i = 0; i < MAX_BATCHES_PER_LOOP && !stopped(); i++) {
      const batch = Array.from({ length: EVENTS_PER_BATCH }, (_, k) => ({
        type: 'track',
        event: 'Product Viewed',
        messageId: `burst-${loop}-${i}-${k}`,
        anonymousId: `shopper-${loop}-${i % 8}`,
        properties: { sku: `sku-${k}` },
        context: { page: { url: `${ORIGIN}/products/${k}` } },
      }));
      batchesSent++;
      try {
        const res = await fetch(`${c.url}/v1/batch`, {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain', Origin: ORIGIN, 'User-Agent': VISITOR_UA },
          body: JSON.stringify({ writeKey: c.site.siteKey, batch }),
          signal: timeout(),
        });
        const text = await res.text();
        if (res.status !== 200) {
          ingestProblems.push(`batch ${loop}/${i}: ${res.status} ${text.slice(0, 200)}`);
          continue;
        }
        for (const r of (JSON.parse(text) as IngestReply).results)
          if (r.status === 'accepted' || r.status === 'duplicate') acknowledged.add(r.messageId!);
          else ingestProblems.push(`event ${r.messageId}: ${r.status} ${r.error ?? ''}`);
        firstAck();
      } catch (err) {
        ingestProblems.push(`batch ${loop}/${i}: ${String(err)}`);
      }
    }
  };
  const ingesting = Promise.all(Array.from({ length: INGEST_LOOPS }, (_, loop) => ingestLoop(loop)));

  // once events are flowing: 16 visitors' first messages, all at the same moment
  await Promise.race([ingestFlowing, sleep(5000)]);
  const chatStarted = performance.now();
  const chats = await Promise.all(
    Array.from({ length: VISITORS }, async (_, i) => {
      const t = performance.now();
      try {
        const res = await fetch(`${c.url}/v1/chat/messages`, {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain', Origin: ORIGIN },
          body: JSON.stringify({
            key: c.site.siteKey,
            anonymousId: `burst-visitor-${i}`,
            clientId: `burst-message-${i}`,
            text: `Hello from visitor ${i}`,
          }),
          signal: AbortSignal.timeout(15_000),
        });
        const text = await res.text();
        return {
          status: res.status,
          text: `visitor ${i}: ${res.status} ${text.slice(0, 200)}`,
          ms: performance.now() - t,
        };
      } catch (err) {
        return { status: 0, text: `visitor ${i}: ${String(err)}`, ms: performance.now() - t };
      }
    }),
  );
  const chatMs = performance.now() - chatStarted;
  await sleep(TAIL_MS);
  stop = true;
  await Promise.all([ingesting, polling]);

  const p99 = percentile(health, 99);
  const summary = {
    chatMs: Math.round(chatMs),
    chatSlowestMs: Math.round(Math.max(...chats.map((x) => x.ms))),
    healthPolls: health.length,
    healthP50: Math.round(percentile(health, 50)),
    healthP99: Math.round(p99),
    healthMax: Math.round(Math.max(...health)),
    batchesSent,
    eventsAcknowledged: acknowledged.size,
    ingestProblems: ingestProblems.length,
  };
  console.info(`chat burst on ${c.databaseUrl.split(':')[0]}:`, JSON.stringify(summary));

  // every chat post answered 2xx
  expect
    .soft(
      chats.filter((x) => x.status < 200 || x.status >= 300).map((x) => x.text),
      'chat posts without a 2xx',
    )
    .toEqual([]);
  // the collector stayed responsive throughout
  expect.soft(healthFailures, '/health failures').toEqual([]);
  expect.soft(health.length, '/health polls made').toBeGreaterThan(5);
  expect.soft(p99, `/health p99 latency (ms); ${JSON.stringify(summary)}`).toBeLessThan(100);
  // ingest kept flowing, and what was acknowledged is stored exactly once
  expect.soft(ingestProblems.slice(0, 10), 'ingest problems').toEqual([]);
  expect.soft(acknowledged.size, 'events acknowledged').toBeGreaterThan(0);
  const stored = await c.db.execute({
    sql: `SELECT message_id, COUNT(*) AS n FROM events WHERE site_id = ? AND message_id LIKE 'burst-%' GROUP BY message_id`,
    args: [c.site.id],
  });
  const counts = new Map(stored.rows.map((r) => [String(r.message_id), Number(r.n)]));
  const missing = [...acknowledged].filter((id) => !counts.has(id));
  const doubled = [...counts].filter(([, n]) => n !== 1).map(([id]) => id);
  expect.soft(missing.slice(0, 10), `acknowledged events not stored (${missing.length})`).toEqual([]);
  expect.soft(doubled.slice(0, 10), `events stored more than once (${doubled.length})`).toEqual([]);

  // each visitor has one conversation holding their message exactly once (the inbox API, as an agent sees it)
  const inbox = await c.api<InboxReply>(`/api/inbox?siteId=${c.site.id}`, { signal: timeout() });
  expect(inbox.status).toBe(200);
  const byVisitor = new Map<string, string[]>();
  const conversations = await Promise.all(
    inbox.body.conversations.map((conv) =>
      c.api<ConversationReply>(`/api/inbox/${conv.id}`, { signal: timeout() }),
    ),
  );
  for (const { body } of conversations) {
    const texts = body.messages.filter((m) => m.author === 'visitor').map((m) => m.text);
    const visitor = body.conversation.anonymousId;
    byVisitor.set(visitor, [...(byVisitor.get(visitor) ?? []), ...texts]);
  }
  const expected = new Map(
    Array.from({ length: VISITORS }, (_, i) => [`burst-visitor-${i}`, [`Hello from visitor ${i}`]]),
  );
  expect
    .soft(Object.fromEntries(byVisitor), 'visitor messages per visitor in the inbox')
    .toEqual(Object.fromEntries(expected));
  expect.soft(inbox.body.conversations.length, 'conversations (one per visitor)').toBe(VISITORS);
}
