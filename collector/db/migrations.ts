// Schema migrations, applied in order on start; each runs once, in its own write transaction.
import type { Client } from '@libsql/client';

const MIGRATIONS: string[][] = [
  [
    `CREATE TABLE sites (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      site_key TEXT NOT NULL UNIQUE,
      secret_hash TEXT NOT NULL UNIQUE,
      origins TEXT NOT NULL DEFAULT '[]',
      settings TEXT NOT NULL DEFAULT '{}',
      created_at INTEGER NOT NULL
    )`,
    `CREATE TABLE users (
      id TEXT PRIMARY KEY,
      email TEXT NOT NULL UNIQUE,
      password_hash TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`,
    `CREATE TABLE auth_sessions (
      token_hash TEXT PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    )`,
    `CREATE TABLE api_tokens (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      token_hash TEXT NOT NULL UNIQUE,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER
    )`,
    `CREATE TABLE setup_tokens (
      token_hash TEXT PRIMARY KEY,
      expires_at INTEGER NOT NULL
    )`,
    // Append-only; seq keeps inserts at the end of the table's b-tree. Two indexes only:
    // the idempotency key and the timeline read (events of one identifier in time order).
    `CREATE TABLE events (
      seq INTEGER PRIMARY KEY,
      site_id TEXT NOT NULL,
      message_id TEXT NOT NULL,
      type TEXT NOT NULL,
      event TEXT,
      ident TEXT NOT NULL,
      anonymous_id TEXT,
      user_id TEXT,
      ts INTEGER NOT NULL,
      received_at INTEGER NOT NULL,
      body TEXT NOT NULL
    )`,
    'CREATE UNIQUE INDEX events_message ON events(site_id, message_id)',
    'CREATE INDEX events_ident ON events(site_id, ident, ts)',
    `CREATE TABLE profiles (
      id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      email TEXT,
      user_id TEXT,
      name TEXT,
      stage TEXT NOT NULL DEFAULT 'reach',
      first_touch TEXT,
      first_touch_at INTEGER,
      first_seen INTEGER NOT NULL,
      last_seen INTEGER NOT NULL,
      event_count INTEGER NOT NULL DEFAULT 0,
      merged_into TEXT
    )`,
    'CREATE INDEX profiles_last_seen ON profiles(last_seen)',
    'CREATE INDEX profiles_site_last_seen ON profiles(site_id, last_seen)',
    // key is 'a:' + anonymous id, 'u:' + user id or 'e:' + normalised email.
    `CREATE TABLE identities (
      site_id TEXT NOT NULL,
      key TEXT NOT NULL,
      profile_id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (site_id, key)
    ) WITHOUT ROWID`,
    'CREATE INDEX identities_profile ON identities(profile_id)',
    `CREATE TABLE merges (
      id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      survivor_id TEXT NOT NULL,
      merged_id TEXT NOT NULL,
      reason TEXT NOT NULL,
      identifier TEXT NOT NULL,
      message_id TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`,
    'CREATE INDEX merges_survivor ON merges(survivor_id)',
  ],
];

export async function migrate(db: Client): Promise<number> {
  await db.execute(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  );
  for (let i = 0; i < MIGRATIONS.length; i++) {
    const version = i + 1;
    const tx = await db.transaction('write');
    try {
      // Checked inside the write transaction, so two processes starting together apply it once.
      const done = await tx.execute({
        sql: 'SELECT 1 FROM schema_migrations WHERE version = ?',
        args: [version],
      });
      if (done.rows.length === 0) {
        for (const sql of MIGRATIONS[i]) await tx.execute(sql);
        await tx.execute({
          sql: 'INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)',
          args: [version, Date.now()],
        });
      }
      await tx.commit();
    } finally {
      tx.close();
    }
  }
  return MIGRATIONS.length;
}
