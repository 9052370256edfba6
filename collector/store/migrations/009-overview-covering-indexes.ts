// Migration 009: frozen once released; a change to the schema is a new numbered file.
// Dashboard overview (issue 6): the indexes above made the overview read table rows; these cover its
// queries (site, then first_seen or the day column), so each is an index-only range scan of live profiles.
export default [
  `DROP INDEX IF EXISTS profiles_first_seen`,
  `DROP INDEX IF EXISTS profiles_lead_at`,
  `DROP INDEX IF EXISTS profiles_first_payment`,
  `CREATE INDEX profiles_cohort ON profiles(site_id, first_seen, stage, lead_at, first_payment_at)
      WHERE merged_into IS NULL`,
  `CREATE INDEX profiles_lead_day ON profiles(site_id, lead_at)
      WHERE merged_into IS NULL AND lead_at IS NOT NULL`,
  `CREATE INDEX profiles_paid_day ON profiles(site_id, first_payment_at)
      WHERE merged_into IS NULL AND first_payment_at IS NOT NULL`,
];
