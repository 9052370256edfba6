// Migration 019: frozen once released; a change to the schema is a new numbered file.
// The identity engine's change log, append-only: what each commit changed about a profile (created, merged,
// unmerged, a stage entered or left, the lead score crossing the threshold, a referral credited). `seq` is the
// readers' cursor (automations, the dashboard's live views); `at` and `message_id` are the evidence.
export default [
  `CREATE TABLE profile_changes (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      site_id TEXT NOT NULL,
      profile_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      detail TEXT NOT NULL,
      at INTEGER NOT NULL,
      message_id TEXT,
      created_at INTEGER NOT NULL
    )`,
  `CREATE INDEX profile_changes_site ON profile_changes(site_id, seq)`,
  `CREATE INDEX profile_changes_profile ON profile_changes(profile_id, seq)`,
];
