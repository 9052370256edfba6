// Builds the real app over a fresh database file for route tests (app.request, no network).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSite, createToken, createUser } from '../../collector/admin/accounts.ts';
import { createApp } from '../../collector/app.ts';
import { type Db, openDb } from '../../collector/db/client.ts';
import { createSiteCache } from '../../collector/ingest/sites.ts';
import { createWriter, type Writer } from '../../collector/ingest/writer.ts';

export interface Harness {
  db: Db;
  writer: Writer;
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

export async function harness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'tp-route-'));
  const db = await openDb(`file:${join(dir, 'test.db')}`);
  const writer = createWriter(db, { delayMs: 0, maxEvents: 500, queueLimit: 10_000 });
  const app = createApp({ db, writer, sites: createSiteCache(db), distDir: join(dir, 'dist') });
  const { site, secretKey } = await createSite(db, 'Shop', [ORIGIN]);
  const { token } = await createToken(db, 'tests');
  const admin = { email: 'admin@example.com', password: 'a long enough password' };
  await createUser(db, admin.email, admin.password);
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
    writer,
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
      await writer.close();
      db.close();
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
