// Builds the real app over a fresh database file for route tests (app.request, no network).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { createApp } from '../../collector/app.ts';
import type { RateLimits } from '../../collector/http/rate-limit.ts';
import { type OpenedStore, openStore } from '../../collector/store/open.ts';
import { migratedCopy } from '../support/migrated.ts';

export interface Harness {
  /** The store's client, for reading what was stored (tests only: the collector itself never sees it). */
  db: Client;
  /** The database URL, for opening a second store on the same file (another collector process). */
  url: string;
  store: OpenedStore;
  app: ReturnType<typeof createApp>;
  site: { id: string; siteKey: string; secretKey: string };
  token: string;
  admin: { email: string; password: string };
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  api(path: string, init?: RequestInit): Promise<{ status: number; body: any }>;
  count(sql: string, args?: (string | number)[]): Promise<number>;
  close(): Promise<void>;
}

export const ORIGIN = 'https://shop.example';

/** Limits off: route tests send as fast as they like from one address; rate-limits.test.ts passes its own. */
const NO_LIMITS: RateLimits = {
  addressPerMinute: 0,
  sitePerMinute: 0,
  chatPerMinute: 0,
  loginPerAddress: 0,
  loginFailuresPerAccount: 0,
  trustProxy: false,
};

export async function harness(options: { limits?: RateLimits } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'tp-route-'));
  const url = `file:${join(dir, 'test.db')}`;
  const admin = { email: 'admin@example.com', password: 'a long enough password' };
  // Migrated, with the admin account, once per test process.
  await migratedCopy(join(dir, 'test.db'), 'harness', (s) =>
    s.accounts.createUser(admin.email, admin.password),
  );
  const store = await openStore({ url, queueLimit: 10_000 });
  // A connection of the test's own, for reading (and, in a few tests, tampering with) what was stored.
  const db = createClient({ url, timeout: 5_000 } as Parameters<typeof createClient>[0]);
  const app = createApp({ store, distDir: join(dir, 'dist'), limits: options.limits ?? NO_LIMITS });
  const { site, secretKey } = await store.sites.create('Shop', [ORIGIN]);
  const { token } = await store.accounts.createToken('tests');
  const parse = async (res: Response) => {
    const text = await res.text();
    try {
      return { status: res.status, body: text ? JSON.parse(text) : null };
    } catch {
      return { status: res.status, body: text };
    }
  };
  return {
    db,
    url,
    store,
    app,
    site: { id: site.id, siteKey: site.siteKey, secretKey },
    token,
    admin,
    post: async (path, body, headers = {}) =>
      parse(
        await app.request(path, {
          method: 'POST',
          body: typeof body === 'string' ? body : JSON.stringify(body),
          headers: { 'Content-Type': 'text/plain', ...headers },
        }),
      ),
    api: async (path, init = {}) =>
      parse(
        await app.request(path, {
          ...init,
          headers: {
            Authorization: `Bearer ${token}`,
            'Content-Type': 'application/json',
            ...(init.headers ?? {}),
          },
        }),
      ),
    count: async (sql, args = []) => Number((await db.execute({ sql, args })).rows[0][0]),
    async close() {
      db.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let n = 0;
/** A valid browser page event; override any field. */
export function pageEvent(over: Record<string, unknown> = {}) {
  n++;
  return {
    type: 'page',
    messageId: `msg-${Date.now()}-${n}`,
    anonymousId: 'anon-1',
    originalTimestamp: new Date().toISOString(),
    context: { page: { url: 'https://shop.example/', path: '/', title: 'Home', referrer: '' } },
    ...over,
  };
}
