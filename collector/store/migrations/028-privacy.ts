// Migration 028: frozen once released; a change to the schema is a new numbered file.
// Privacy: erasure receipts (no personal data: who erased, when, why, how many rows of each kind), the tombstones of an
// erased person's identifiers (SHA-256 per site) that keep a queued retry from bringing them back, and retention:
// how far each site's raw events have been purged, and the folded state of each profile's purged events (its
// history before the horizon), so a later refold of the profile starts from it instead of from nothing.
export default [
  `CREATE TABLE erasures (
      id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      erased_at INTEGER NOT NULL,
      by_user_id TEXT,
      via TEXT NOT NULL,
      reason TEXT,
      counts TEXT NOT NULL
    )`,
  `CREATE INDEX erasures_site ON erasures(site_id, erased_at)`,
  `CREATE TABLE erased_keys (
      site_id TEXT NOT NULL,
      key_hash TEXT NOT NULL,
      erasure_id TEXT NOT NULL,
      PRIMARY KEY (site_id, key_hash)
    ) WITHOUT ROWID`,
  // Every event of the site dated at or before `horizon` is purged (and a late one is not stored).
  `CREATE TABLE purge_state (
      site_id TEXT PRIMARY KEY,
      horizon INTEGER NOT NULL,
      purged INTEGER NOT NULL,
      purged_at INTEGER NOT NULL
    ) WITHOUT ROWID`,
  // A profile's purged history: its events up to the horizon folded in event-time order (identity/profile.ts).
  `CREATE TABLE history_bases (
      id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      profile_id TEXT NOT NULL,
      horizon INTEGER NOT NULL,
      events INTEGER NOT NULL,
      state TEXT NOT NULL
    )`,
  // The identifiers whose events a base holds (the purged events' stored owners): a refold finds it by them.
  `CREATE TABLE history_base_keys (
      site_id TEXT NOT NULL,
      key TEXT NOT NULL,
      base_id TEXT NOT NULL,
      PRIMARY KEY (site_id, key)
    ) WITHOUT ROWID`,
  `CREATE INDEX history_base_keys_base ON history_base_keys(base_id)`,
  // The purge walks a site's events oldest first.
  `CREATE INDEX events_site_ts ON events(site_id, ts)`,
  // Deleting a profile's search row removes its tokens from the index itself (not a delete marker beside them),
  // and one merge now drops what earlier updates and deletes left behind.
  `INSERT INTO profiles_search (profiles_search, rank) VALUES ('secure-delete', 1)`,
  `INSERT INTO profiles_search (profiles_search) VALUES ('optimize')`,
];
