// Cross-process cache invalidation: a version row per cached kind, bumped in the writing transaction and
// polled by each process with one small query, so a change made through any collector applies in all of them.
import type { Db as Client } from './client.ts';
import type { Exec, WriteFn } from './writer.ts';

export type CacheName = 'sites' | 'chat' | 'forms';

export async function bumpVersion(tx: Exec, name: CacheName): Promise<void> {
  await tx.execute({
    sql: `INSERT INTO store_versions (name, version) VALUES (?, 1)
          ON CONFLICT (name) DO UPDATE SET version = version + 1`,
    args: [name],
  });
}

/**
 * Runs `fn` through the writer and bumps `name` in the same transaction; once committed, this process's
 * caches of that kind are dropped at once (others' at their next poll).
 */
export async function writeChanging<T>(
  write: <R>(fn: WriteFn<R>) => Promise<R>,
  versions: VersionWatch,
  name: CacheName,
  fn: WriteFn<T>,
): Promise<T> {
  const out = await write(async (tx) => {
    const result = await fn(tx);
    await bumpVersion(tx, name);
    return result;
  });
  versions.changed(name);
  return out;
}

export interface VersionWatch {
  /** Calls `listener` whenever `name` changes (in this process at once, in others within a poll). */
  on(name: CacheName, listener: () => void): void;
  /** Tells this process's listeners at once (after a local commit that bumped the version). */
  changed(name: CacheName): void;
  close(): void;
}

export function watchVersions(client: Client, pollMs: number): VersionWatch {
  const listeners = new Map<string, (() => void)[]>();
  const seen = new Map<string, number>();
  let polling = false;
  const fire = (name: string) => {
    for (const l of listeners.get(name) ?? []) l();
  };
  const timer = setInterval(async () => {
    if (polling) return;
    polling = true;
    try {
      const rs = await client.execute('SELECT name, version FROM store_versions');
      for (const r of rs.rows) {
        const name = String(r.name);
        const version = Number(r.version);
        const before = seen.get(name);
        seen.set(name, version);
        // First sight counts as a change too: what was cached before the first poll may be stale.
        if (before !== version) fire(name);
      }
    } catch {
      // The next poll tries again; a database that stays unreachable shows in /ready.
    } finally {
      polling = false;
    }
  }, pollMs);
  timer.unref();
  return {
    on(name, listener) {
      const list = listeners.get(name) ?? [];
      list.push(listener);
      listeners.set(name, list);
    },
    changed: fire,
    close() {
      clearInterval(timer);
    },
  };
}
