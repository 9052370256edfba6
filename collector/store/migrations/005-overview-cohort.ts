// Migration 005: frozen once released; a change to the schema is a new numbered file.
// Dashboard overview (issue 6): the funnel cohort by first_seen, new leads and customers by day.
export default [
  `CREATE INDEX profiles_first_seen ON profiles(first_seen, stage)`,
  `CREATE INDEX profiles_lead_at ON profiles(lead_at) WHERE lead_at IS NOT NULL`,
  `CREATE INDEX profiles_first_payment ON profiles(first_payment_at) WHERE first_payment_at IS NOT NULL`,
];
