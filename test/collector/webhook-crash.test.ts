// The outbox survives a crash: deliveries pending (their receiver down) when the collector is killed with
// SIGKILL all arrive once it restarts and the receiver is back; each keeps its webhook-id.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { afterAll, expect, it } from 'vitest';
import { openStore } from '../../collector/store/open.ts';
import { startCollectorProcess } from '../support/collector-process.ts';
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts';

const dir = mkdtempSync(join(tmpdir(), 'tp-wh-crash-'));
const dbUrl = `file:${join(dir, 'crash.db')}`;
const children: ChildProcess[] = [];
let rx: Receiver | null = null;

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await rx?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start() {
  const started = await startCollectorProcess({
    DATABASE_URL: dbUrl,
    TOUCHPOINT_ADMIN_EMAIL: 'a@example.com',
    TOUCHPOINT_ADMIN_PASSWORD: 'long enough pw',
    TOUCHPOINT_WEBHOOK_ALLOW_PRIVATE: '1',
    TOUCHPOINT_WEBHOOK_SCHEDULE: Array(60).fill('0.2').join(','),
    TOUCHPOINT_WEBHOOK_TIMEOUT_MS: '500',
    TOUCHPOINT_AUTOMATION_POLL_MS: '50',
  });
  children.push(started.child);
  return started;
}

it('delivers every pending webhook after a SIGKILL and a restart', { timeout: 60_000 }, async () => {
  // A port nobody listens on yet: the receiver is down until after the crash.
  const probe = await startReceiver();
  const port = Number(new URL(probe.url).port);
  await probe.close();

  const store = await openStore({ url: dbUrl });
  const { site } = await store.sites.create('crash', ['https://shop.example']);
  await store.automations.createEndpoint(site.id, {
    url: `http://127.0.0.1:${port}/hook`,
    events: ['form.submitted'],
  });
  const secret = (await store.automations.endpoints(site.id))[0];
  expect(secret.enabled).toBe(true);
  await store.close();

  const first = await start();
  const N = 20;
  const batch = Array.from({ length: N }, (_, i) => ({
    type: 'track',
    event: 'Form Submitted',
    messageId: `crash-form-${i}`,
    anonymousId: `anon-crash-${i}`,
    properties: { formId: 'contact', fields: { email: `lead${i}@acme.example` } },
  }));
  const res = await fetch(`${first.url}/v1/batch`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    body: JSON.stringify({ writeKey: site.siteKey, batch }),
  });
  expect(res.status).toBe(200);
  // Wait until every delivery has been tried (and failed: nobody listens), then kill the collector mid-retry.
  const db = createClient({ url: dbUrl });
  for (let i = 0; ; i++) {
    const tried = Number(
      (await db.execute("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending' AND attempts > 0"))
        .rows[0][0],
    );
    if (tried === N) break;
    if (i > 300) throw new Error(`only ${tried} of ${N} deliveries were tried`);
    await new Promise((r) => setTimeout(r, 50));
  }
  first.child.kill('SIGKILL');
  await first.exited;
  expect(
    Number(
      (await db.execute("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'delivered'")).rows[0][0],
    ),
  ).toBe(0);

  rx = await startReceiver(port);
  await start();
  const hits = await rx.waitFor('/hook', N, 30_000);
  const ids = new Set(hits.map((h) => h.headers['webhook-id']));
  const stored = (await db.execute('SELECT id FROM webhook_deliveries')).rows.map((r) => String(r.id));
  expect(stored).toHaveLength(N);
  for (const id of stored) expect(ids.has(id), id).toBe(true);
  const emails = hits.map((h) => JSON.parse(h.body).data.profile.email);
  expect(new Set(emails).size).toBe(N);
  for (;;) {
    const left = Number(
      (await db.execute("SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'delivered'")).rows[0][0],
    );
    if (left === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  db.close();
});
