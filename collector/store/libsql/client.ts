// Opens the store's connection: an embedded file (WAL, through native.ts) or a libSQL server by ws://, http://
// or libsql:// URL (through @libsql/client).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, createClient } from '@libsql/client';
import { openNative } from './native.ts';

/** What the store uses of a libSQL connection: reads, the writer's transactions, close. */
export type Db = Pick<Client, 'execute' | 'transaction' | 'close'>;

/** The file path of a `file:` URL, or null for a server URL or an in-memory database. */
export function filePath(url: string): string | null {
  if (!url.startsWith('file:')) return null;
  const path = url.startsWith('file://') ? fileURLToPath(url) : url.slice('file:'.length).split('?')[0];
  return path && path !== ':memory:' ? path : null;
}

export async function openClient(url: string, authToken?: string): Promise<Db> {
  const path = filePath(url);
  if (path) {
    mkdirSync(dirname(path), { recursive: true });
    const db = openNative(path);
    // WAL lets reads run beside the writer; the mode is stored in the file.
    await db.execute('PRAGMA journal_mode=WAL');
    return db;
  }
  // A server (or an in-memory database): the client's own connections. (secure_delete is the server's setting:
  // sqld refuses the PRAGMA from a client, and an in-memory database has no file to scrub.)
  return createClient({ url, authToken, timeout: 3 } as Parameters<typeof createClient>[0]);
}
