// The one place that picks the storage driver: a libSQL client for a file or a server URL.
import { openClient } from './libsql/client.ts';
import { createLibsqlStore, type LibsqlStore } from './libsql/index.ts';

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

export async function openStore(options: StoreOptions): Promise<LibsqlStore> {
  const client = await openClient(options.url, options.authToken);
  try {
    return await createLibsqlStore(client, {
      url: options.url,
      delayMs: options.commitDelayMs ?? 0,
      maxEvents: options.commitMaxEvents ?? 500,
      queueLimit: options.queueLimit ?? 20_000,
      maxRequests: options.maxRequests,
      versionPollMs: options.versionPollMs,
      chatPollMs: options.chatPollMs,
    });
  } catch (err) {
    client.close();
    throw err;
  }
}
