// Migration 022: frozen once released; a change to the schema is a new numbered file.
// What each browser's acts add up to (everyone it has named, and its latest act), so keeping a new act reads
// one row instead of every act the browser ever made (a site that identifies on every page makes thousands).
// Browsers with acts from before this migration get their row the next time they act.
export default [
  `CREATE TABLE browser_act_summary (
      site_id TEXT NOT NULL,
      browser TEXT NOT NULL,
      persons TEXT NOT NULL,
      last_ts INTEGER NOT NULL,
      last_message_id TEXT NOT NULL,
      PRIMARY KEY (site_id, browser)
    ) WITHOUT ROWID`,
];
