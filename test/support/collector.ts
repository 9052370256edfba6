// Starts a real collector on a free port with a fresh database file (or a given libSQL server), a site, an admin
// and an API token.
import { mkdtempSync, rmSync } from 'node:fs';
import { type Client, createClient } from '@libsql/client';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../collector/config.ts';
import { type RunningCollector, startCollector as start } from '../../collector/server.ts';

export interface TestCollector extends RunningCollector {
  /** The store's client, for reading what was stored (tests only). */
  db: Client;
  site: { id: string; siteKey: string; secretKey: string };
  admin: { email: string; password: string };
  token: string;
  /** The database file; '' when the collector runs on `databaseUrl`. */
  dbPath: string;
  databaseUrl: string;
  /** GET/POST the admin API with the token. */
  api<T = any>(path: string, init?: RequestInit): Promise<{ status: number; body: T }>;
}

export async function startCollector(
  options: {
    origins?: string[];
    env?: Record<string, string>;
    dbPath?: string;
    /** A libSQL server (e.g. startSqld()'s url) instead of a database file; the caller owns its lifetime. */
    databaseUrl?: string;
  } = {},
): Promise<TestCollector> {
  const dir = options.dbPath || options.databaseUrl ? null : mkdtempSync(join(tmpdir(), 'touchpoint-test-'));
  const dbPath = options.databaseUrl ? '' : (options.dbPath ?? join(dir!, 'touchpoint.db'));
  const databaseUrl = options.databaseUrl ?? `file:${dbPath}`;
  const admin = { email: 'admin@example.com', password: 'correct horse battery staple' };
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    TOUCHPOINT_ADMIN_EMAIL: admin.email,
    TOUCHPOINT_ADMIN_PASSWORD: admin.password,
    ...options.env,
  });
  const running = await start(config, () => {});
  const { site, secretKey } = await running.store.sites.create(
    'Test site',
    options.origins ?? ['http://localhost:5555'],
  );
  const { token } = await running.store.accounts.createToken('tests');
  return {
    ...running,
    db: createClient({ url: config.databaseUrl }),
    site: { id: site.id, siteKey: site.siteKey, secretKey },
    admin,
    token,
    dbPath,
    databaseUrl: config.databaseUrl,
    async api(path, init = {}) {
      const res = await fetch(running.url + path, {
        ...init,
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          ...(init.headers ?? {}),
        },
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async close() {
      await running.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
