// Opens the libSQL database (an embedded file by default, a libSQL server by URL) and applies migrations.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, createClient } from '@libsql/client';
import { migrate } from './migrations.ts';

export type Db = Client;

export async function openDb(url: string, authToken?: string): Promise<Db> {
  if (url.startsWith('file:')) {
    const path = url.startsWith('file://') ? fileURLToPath(url) : url.slice('file:'.length).split('?')[0];
    if (path && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  }
  // timeout: wait for another connection's (or process's) write lock instead of failing at once.
  const db = createClient({ url, authToken, timeout: 10_000 } as Parameters<typeof createClient>[0]);
  if (url.startsWith('file:')) {
    // WAL lets dashboard reads run beside the writer; the setting is stored in the file, so once is enough.
    // synchronous stays FULL (the default): an acknowledged event is on disk, and group commit pays the fsync once per group.
    await db.execute('PRAGMA journal_mode=WAL');
  }
  await migrate(db);
  return db;
}
