// Opens a libSQL client: an embedded file (WAL) or a libSQL server by ws://, http:// or libsql:// URL.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, createClient } from '@libsql/client';

/** What the store uses of a libSQL connection: reads, the writer's transactions, close. */
export type Db = Pick<Client, 'execute' | 'transaction' | 'close'>;

/** The file path of a `file:` URL, or null for a server URL or an in-memory database. */
export function filePath(url: string): string | null {
  if (!url.startsWith('file:')) return null;
  const path = url.startsWith('file://') ? fileURLToPath(url) : url.slice('file:'.length).split('?')[0];
  return path && path !== ':memory:' ? path : null;
}

export async function openClient(url: string, authToken?: string): Promise<Client> {
  const path = filePath(url);
  if (path) mkdirSync(dirname(path), { recursive: true });
  // A lock held by another process is waited for by the writer with asynchronous backoff; the driver's own
  // busy wait is synchronous and would stall the event loop, so it is kept to a few milliseconds.
  const client = createClient({ url, authToken, timeout: 3 } as Parameters<typeof createClient>[0]);
  if (url.startsWith('file:')) {
    // WAL lets reads run beside the writer; the mode is stored in the file. synchronous stays FULL (the
    // default): an acknowledged write is on disk, and group commit pays the fsync once per group.
    await client.execute('PRAGMA journal_mode=WAL');
  }
  return client;
}
