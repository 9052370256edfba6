// Migration 020: frozen once released; a change to the schema is a new numbered file.
// A refold too big for the shared commit (a late event or a merge on a long history) leaves it: the profile is
// queued and marked recomputing, and the refolder folds its events outside the commit, then writes the result
// in a short transaction of its own.
export default [
  `ALTER TABLE profiles ADD COLUMN recomputing INTEGER NOT NULL DEFAULT 0`,
  `CREATE TABLE refold_queue (
      profile_id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      queued_at INTEGER NOT NULL
    ) WITHOUT ROWID`,
];
