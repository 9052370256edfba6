// The one place that picks the storage driver: the libSQL store (an embedded file or a server by URL), run on a
// thread of its own by default so SQLite's synchronous work never blocks the thread that answers HTTP.
import { openClient } from './libsql/client.ts';
import { createLibsqlStore, type LibsqlStore, type LibsqlStoreOptions } from './libsql/index.ts';
import { openThreadStore } from './thread/proxy.ts';
import type { Store } from './types.ts';

export interface StoreOptions {
  url: string;
  authToken?: string;
  /** Group commit: longest wait before a batch of events is committed. */
  commitDelayMs?: number;
  /** Group commit: commit at once when this many events wait. */
  commitMaxEvents?: number;
  /** Past this many queued events, ingest is refused (503). */
  queueLimit?: number;
  /** Most event requests per commit; 1 turns group commit off (a benchmark baseline). */
  maxRequests?: number;
  versionPollMs?: number;
  /** How often chat streams learn of messages written by other processes (one query per process). */
  chatPollMs?: number;
}

export type { LibsqlStore as OpenedStore };

function libsqlOptions(options: StoreOptions): LibsqlStoreOptions & { authToken?: string } {
  return {
    url: options.url,
    authToken: options.authToken,
    delayMs: options.commitDelayMs ?? 0,
    maxEvents: options.commitMaxEvents ?? 500,
    queueLimit: options.queueLimit ?? 20_000,
    maxRequests: options.maxRequests,
    versionPollMs: options.versionPollMs,
    chatPollMs: options.chatPollMs,
  };
}

/** The store on this thread (tests and tools that also read the database directly through `client`). */
export async function openStore(options: StoreOptions): Promise<LibsqlStore> {
  const client = await openClient(options.url, options.authToken);
  try {
    return await createLibsqlStore(client, libsqlOptions(options));
  } catch (err) {
    client.close();
    throw err;
  }
}

/** The store on a thread of its own: what a running collector uses. */
export function openStoreThread(options: StoreOptions): Promise<Store> {
  return openThreadStore(libsqlOptions(options));
}
