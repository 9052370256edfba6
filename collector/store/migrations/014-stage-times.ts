// Migration 014: frozen once released; a change to the schema is a new numbered file.
// When a profile entered qualified, retained and loyal (identity/profile.ts stageTimes), for the overview's
// median time between every pair of stages; the cohort index covers them, so the overview still reads no row.
// Profiles written before this version get them at their next write (there is no SQL for the lifecycle rules).
export default [
  `ALTER TABLE profiles ADD COLUMN qualified_at INTEGER`,
  `ALTER TABLE profiles ADD COLUMN retained_at INTEGER`,
  `ALTER TABLE profiles ADD COLUMN loyal_at INTEGER`,
  `DROP INDEX IF EXISTS profiles_cohort`,
  `CREATE INDEX profiles_cohort
      ON profiles(site_id, first_seen, stage, lead_at, first_payment_at, qualified_at, retained_at, loyal_at)
      WHERE merged_into IS NULL`,
];
