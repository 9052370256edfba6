// Migration 029: frozen once released; a change to the schema is a new numbered file.
// The profile list at 1M profiles (issue 15): each sort and each filter of the default sort reaches its page through
// an index that starts with the site and ends with id (the keyset's tie-break); the status (active, at_risk,
// churned) is a maintained column, set by every profile write and moved as time passes by the worker's sweep;
// each site's count of live profiles is kept by triggers, so GET /api/sites counts nothing.

/** Now, in ms, inside SQL (julianday works on every libSQL and SQLite version). */
const NOW = `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`;
/** The status rule of identity/profile.ts (statusAt with an overdue payment) at `now`, in SQL. */
const statusAt = (now: string) => `CASE
      WHEN last_seen <= ${now} - 90 * 86400000 THEN 'churned'
      WHEN last_seen <= ${now} - 30 * 86400000 OR payment_overdue_at < ${now} THEN 'at_risk'
      ELSE 'active' END`;

export default [
  `ALTER TABLE profiles ADD COLUMN status TEXT`,
  `UPDATE profiles SET status = ${statusAt(NOW)}`,
  // A row written without its status (not by the write path, which always sets it) gets the one it has now.
  `CREATE TRIGGER profiles_status_unset AFTER INSERT ON profiles WHEN new.status IS NULL BEGIN
        UPDATE profiles SET status = ${statusAt(NOW)} WHERE rowid = new.rowid;
      END`,
  `DROP INDEX profiles_last_seen`,
  `DROP INDEX profiles_site_last_seen`,
  `DROP INDEX profiles_first_seen_order`,
  `DROP INDEX profiles_event_count_order`,
  `DROP INDEX profiles_email_order`,
  `CREATE INDEX profiles_list_last_seen ON profiles(site_id, last_seen, id) WHERE merged_into IS NULL`,
  // The firstSeen order is the overview's cohort index with id after first_seen: one index, still covering every
  // overview range of first_seen (a second index on (site_id, first_seen, id) drew the overview's scans to itself,
  // reading rows the cohort index holds: 10x slower).
  `DROP INDEX profiles_cohort`,
  `CREATE INDEX profiles_cohort ON profiles(site_id, first_seen, id, stage, lead_at, first_payment_at, qualified_at,
      retained_at, loyal_at) WHERE merged_into IS NULL`,
  `CREATE INDEX profiles_list_event_count ON profiles(site_id, event_count, id) WHERE merged_into IS NULL`,
  `CREATE INDEX profiles_list_email ON profiles(site_id, COALESCE(email, char(1114111)), id)
      WHERE merged_into IS NULL`,
  `CREATE INDEX profiles_list_stage ON profiles(site_id, stage, last_seen, id) WHERE merged_into IS NULL`,
  `CREATE INDEX profiles_list_channel ON profiles(site_id, channel, last_seen, id) WHERE merged_into IS NULL`,
  // The status filter, and the sweep's way to the profiles whose visit clock ran out (per site: active or at risk,
  // oldest last_seen first).
  `CREATE INDEX profiles_list_status ON profiles(site_id, status, last_seen, id) WHERE merged_into IS NULL`,
  // The sweep's other way: active profiles with a payment that falls due (few: those with a payment rhythm).
  `CREATE INDEX profiles_status_overdue ON profiles(payment_overdue_at)
      WHERE status = 'active' AND merged_into IS NULL AND payment_overdue_at IS NOT NULL`,
  `CREATE TABLE site_counts (
      site_id TEXT PRIMARY KEY,
      profiles INTEGER NOT NULL
    ) WITHOUT ROWID`,
  `INSERT INTO site_counts (site_id, profiles)
      SELECT site_id, COUNT(*) FROM profiles WHERE merged_into IS NULL GROUP BY site_id`,
  `CREATE TRIGGER site_counts_insert AFTER INSERT ON profiles WHEN new.merged_into IS NULL BEGIN
        INSERT INTO site_counts (site_id, profiles) VALUES (new.site_id, 1)
      ON CONFLICT DO UPDATE SET profiles = profiles + 1;
      END`,
  // The write path's upsert names merged_into in every update, so the condition keeps this trigger's work to a
  // merge, an unmerge or a move.
  `CREATE TRIGGER site_counts_update AFTER UPDATE OF merged_into, site_id ON profiles
      WHEN (old.merged_into IS NULL) <> (new.merged_into IS NULL) OR old.site_id IS NOT new.site_id BEGIN
        INSERT INTO site_counts (site_id, profiles) SELECT old.site_id, -1 WHERE old.merged_into IS NULL
      ON CONFLICT DO UPDATE SET profiles = profiles + excluded.profiles;
        INSERT INTO site_counts (site_id, profiles) SELECT new.site_id, 1 WHERE new.merged_into IS NULL
      ON CONFLICT DO UPDATE SET profiles = profiles + excluded.profiles;
      END`,
  `CREATE TRIGGER site_counts_delete AFTER DELETE ON profiles WHEN old.merged_into IS NULL BEGIN
        UPDATE site_counts SET profiles = profiles - 1 WHERE site_id = old.site_id;
      END`,
];
