// Migration 026: frozen once released; a change to the schema is a new numbered file.
// Page views sent before consent (no identifiers, nothing on the device) are counted per site and UTC day,
// never stored as events; and the inbox's unanswered leads are found without reading every lead.
export default [
  `CREATE TABLE cookieless_days (
      site_id TEXT NOT NULL,
      day INTEGER NOT NULL,
      views INTEGER NOT NULL,
      PRIMARY KEY (site_id, day)
    ) WITHOUT ROWID`,
  `CREATE INDEX lead_responses_unanswered ON lead_responses(site_id, started_at) WHERE first_human_at IS NULL`,
];
