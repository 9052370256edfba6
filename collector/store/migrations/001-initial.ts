// Migration 001: frozen once released; a change to the schema is a new numbered file.
export default [
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
  `CREATE UNIQUE INDEX events_message ON events(site_id, message_id)`,
  `CREATE INDEX events_ident ON events(site_id, ident, ts)`,
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
  `CREATE INDEX profiles_last_seen ON profiles(last_seen)`,
  `CREATE INDEX profiles_site_last_seen ON profiles(site_id, last_seen)`,
  `CREATE TABLE identities (
      site_id TEXT NOT NULL,
      key TEXT NOT NULL,
      profile_id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (site_id, key)
    ) WITHOUT ROWID`,
  `CREATE INDEX identities_profile ON identities(profile_id)`,
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
  `CREATE INDEX merges_survivor ON merges(survivor_id)`,
];
