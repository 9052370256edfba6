// Running it: an online backup from the CLI, a snapshot before a migration, liveness and readiness, and a
// SIGTERM that lets requests in flight finish before the process exits.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareEvent } from '../../collector/ingest/prepare.ts';
import { MIGRATIONS } from '../../collector/store/migrations/index.ts';
import { openStore } from '../../collector/store/open.ts';
import type { WireEvent } from '../../wire.ts';
import { touchpointCli } from '../support/cli.ts';
import { startCollector } from '../support/collector.ts';
import { startCollectorProcess } from '../support/collector-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'tp-ops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const page = (messageId: string): WireEvent =>
  ({ type: 'page', messageId, anonymousId: 'anon-ops', name: 'Home' }) as WireEvent;
const count = async (url: string, sql: string) => {
  const c = createClient({ url });
  try {
    return Number((await c.execute(sql)).rows[0][0]);
  } finally {
    c.close();
  }
};

describe('backup and migrations', { timeout: 60_000 }, () => {
  it('touchpoint backup PATH writes a consistent copy while the database is in use', async () => {
    const url = `file:${join(dir, 'live.db')}`;
    const store = await openStore({ url });
    const { site } = await store.sites.create('Shop', ['https://shop.example']);
    await store.events.submit(site.id, [prepareEvent(page('b-1'), JSON.stringify(page('b-1')), Date.now())]);
    // the store stays open (a running collector) while the CLI copies the file
    const target = join(dir, 'copy.db');
    const res = await touchpointCli(url)('backup', target);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout.trim())).toEqual({ backup: target });
    expect(await count(`file:${target}`, 'SELECT COUNT(*) FROM events')).toBe(1);
    expect(await count(`file:${target}`, 'SELECT MAX(version) FROM schema_migrations')).toBe(
      MIGRATIONS.length,
    );
    // refuses to overwrite
    expect((await touchpointCli(url)('backup', target)).code).toBe(1);
    await store.close();
  });

  it('snapshots a database file before upgrading it', async () => {
    const path = join(dir, 'old.db');
    const url = `file:${path}`;
    // a database as the release before the newest migration left it, with a site in it
    const c = createClient({ url });
    await c.execute(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
    );
    for (const [i, statements] of MIGRATIONS.slice(0, -1).entries()) {
      for (const sql of statements) await c.execute(sql);
      await c.execute({ sql: 'INSERT INTO schema_migrations VALUES (?, 0)', args: [i + 1] });
    }
    await c.execute(
      "INSERT INTO sites (id, name, site_key, secret_hash, created_at) VALUES ('s1', 'Shop', 'pk_1', 'h', 0)",
    );
    c.close();
    const upgraded = await openStore({ url });
    // the upgrade's pages are folded into the file at once: a large log would slow every read until a checkpoint
    expect(statSync(`${path}-wal`).size).toBe(0);
    expect((await upgraded.sites.byId('s1'))?.name).toBe('Shop');
    await upgraded.close();
    const snapshots = readdirSync(dir).filter((f) => f.startsWith(`old.db.v${MIGRATIONS.length - 1}-`));
    expect(snapshots).toHaveLength(1);
    const snap = `file:${join(dir, snapshots[0])}`;
    expect(await count(snap, 'SELECT MAX(version) FROM schema_migrations')).toBe(MIGRATIONS.length - 1);
    expect(await count(snap, 'SELECT COUNT(*) FROM sites')).toBe(1);
    expect(await count(url, 'SELECT MAX(version) FROM schema_migrations')).toBe(MIGRATIONS.length);
    // an up-to-date database is not copied again
    await (await openStore({ url })).close();
    expect(readdirSync(dir).filter((f) => f.startsWith('old.db.v'))).toHaveLength(1);
  });
});

describe('health, readiness and shutdown', { timeout: 60_000 }, () => {
  it('answers /health and /ready, and /ready says why when it is not', async () => {
    const c = await startCollector();
    try {
      expect(await (await fetch(`${c.url}/health`)).json()).toEqual({ ok: true });
      const ready = await fetch(`${c.url}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ ready: true, problems: [] });
    } finally {
      await c.close();
    }
    const busy = await startCollector({ env: { TOUCHPOINT_QUEUE_LIMIT: '0' } });
    try {
      const ready = await fetch(`${busy.url}/ready`);
      expect(ready.status).toBe(503);
      expect((await ready.json()).problems).toEqual(['writer saturated']);
    } finally {
      await busy.close();
    }
  });

  it('on SIGTERM finishes the requests in flight, commits them and exits', async () => {
    const url = `file:${join(dir, 'drain.db')}`;
    const store = await openStore({ url });
    const { site } = await store.sites.create('Shop', ['https://shop.example']);
    await store.close();
    // a commit delay keeps requests waiting in the writer when the signal arrives
    const {
      url: base,
      child,
      exited,
    } = await startCollectorProcess({
      DATABASE_URL: url,
      TOUCHPOINT_COMMIT_DELAY_MS: '1000',
    });
    const sends = Array.from({ length: 10 }, (_, i) =>
      fetch(`${base}/v1/batch`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify({ writeKey: site.siteKey, batch: [page(`drain-${i}`)] }),
      }),
    );
    // signal once all ten wait in the writer (received, not yet committed)
    for (let waited = 0; waited < 100; waited++) {
      const ready = (await (await fetch(`${base}/ready`)).json()) as { writer: { pending: number } };
      if (ready.writer.pending >= 10) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGTERM');
    const replies = await Promise.all(sends);
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(await exited).toBe(0);
    expect(await count(url, "SELECT COUNT(*) FROM events WHERE message_id LIKE 'drain-%'")).toBe(10);
    expect(existsSync(join(dir, 'drain.db'))).toBe(true);
  });
});
