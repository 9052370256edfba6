// Migration 012: frozen once released; a change to the schema is a new numbered file.
// Dashboard overview (issue 6): the funnel's cohort counts per site, UTC day of first_seen and current stage,
// kept by triggers on profiles, so a year's funnel sums a few thousand rows instead of counting profiles.
export default [
  `CREATE TABLE overview_days (
      site_id TEXT NOT NULL,
      day INTEGER NOT NULL,
      stage TEXT NOT NULL,
      profiles INTEGER NOT NULL,
      PRIMARY KEY (site_id, day, stage)
    ) WITHOUT ROWID`,
  `INSERT INTO overview_days (site_id, day, stage, profiles)
      SELECT site_id, first_seen / 86400000, stage, COUNT(*) FROM profiles WHERE merged_into IS NULL GROUP BY 1, 2, 3`,
  `CREATE TRIGGER overview_profile_insert AFTER INSERT ON profiles WHEN new.merged_into IS NULL BEGIN
        INSERT INTO overview_days (site_id, day, stage, profiles)
      SELECT new.site_id, new.first_seen / 86400000, new.stage, 1 WHERE true
      ON CONFLICT DO UPDATE SET profiles = profiles + excluded.profiles;
      END`,
  `CREATE TRIGGER overview_profile_update AFTER UPDATE ON profiles
      WHEN old.stage IS NOT new.stage OR old.first_seen IS NOT new.first_seen
        OR old.merged_into IS NOT new.merged_into OR old.site_id IS NOT new.site_id BEGIN
        INSERT INTO overview_days (site_id, day, stage, profiles)
      SELECT old.site_id, old.first_seen / 86400000, old.stage, -1 WHERE old.merged_into IS NULL
      ON CONFLICT DO UPDATE SET profiles = profiles + excluded.profiles;
        INSERT INTO overview_days (site_id, day, stage, profiles)
      SELECT new.site_id, new.first_seen / 86400000, new.stage, 1 WHERE new.merged_into IS NULL
      ON CONFLICT DO UPDATE SET profiles = profiles + excluded.profiles;
        DELETE FROM overview_days WHERE site_id = old.site_id AND day = old.first_seen / 86400000
          AND stage = old.stage AND profiles = 0;
      END`,
  `CREATE TRIGGER overview_profile_delete AFTER DELETE ON profiles WHEN old.merged_into IS NULL BEGIN
        INSERT INTO overview_days (site_id, day, stage, profiles)
      SELECT old.site_id, old.first_seen / 86400000, old.stage, -1 WHERE true
      ON CONFLICT DO UPDATE SET profiles = profiles + excluded.profiles;
        DELETE FROM overview_days WHERE site_id = old.site_id AND day = old.first_seen / 86400000
          AND stage = old.stage AND profiles = 0;
      END`,
];
