// Applies the numbered migrations through the writer, after snapshotting a file database that needs them.
import { existsSync } from 'node:fs';
import type { Db as Client } from './client.ts';
import { MIGRATIONS } from '../migrations/index.ts';
import { filePath } from './client.ts';
import type { WriteFn } from './writer.ts';

async function appliedVersion(client: Client): Promise<number> {
  await client.execute(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  );
  const rs = await client.execute('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations');
  return Number(rs.rows[0].v);
}

/** A consistent copy of the live database at `target` (VACUUM INTO; the source stays online). */
export async function snapshot(client: Client, target: string): Promise<void> {
  if (existsSync(target)) throw new Error(`${target} already exists`);
  await client.execute({ sql: 'VACUUM INTO ?', args: [target] });
}

/**
 * Brings the schema up to date; returns the version reached and the snapshot taken first, if any. Each
 * migration is checked inside its write transaction, so two processes starting together apply it once.
 */
export async function migrate(
  client: Client,
  url: string,
  write: <T>(fn: WriteFn<T>) => Promise<T>,
  now = Date.now(),
): Promise<{ version: number; snapshot: string | null }> {
  const from = await appliedVersion(client);
  let taken: string | null = null;
  const path = filePath(url);
  if (path && from > 0 && from < MIGRATIONS.length) {
    taken = `${path}.v${from}-${new Date(now).toISOString().replace(/[:.]/g, '-')}.bak`;
    await snapshot(client, taken);
  }
  for (let i = from; i < MIGRATIONS.length; i++) {
    const version = i + 1;
    await write(async (tx) => {
      const done = await tx.execute({
        sql: 'SELECT 1 FROM schema_migrations WHERE version = ?',
        args: [version],
      });
      if (done.rows.length) return;
      for (const sql of MIGRATIONS[i]) await tx.execute(sql);
      await tx.execute({
        sql: 'INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)',
        args: [version, Date.now()],
      });
    });
  }
  // A migration is one transaction, so its pages all sit in the write-ahead log until a checkpoint: a log of a
  // few hundred MB slows every read (each page looked up through every block of the log's index). Fold it in.
  if (path && from < MIGRATIONS.length) await client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
  return { version: MIGRATIONS.length, snapshot: taken };
}
