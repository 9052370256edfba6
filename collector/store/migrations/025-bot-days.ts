// Migration 025: frozen once released; a change to the schema is a new numbered file.
// Bots are counted apart, per site and UTC day: requests and events that were kept out of profiles and counts.
export default [
  `CREATE TABLE bot_days (
      site_id TEXT NOT NULL,
      day INTEGER NOT NULL,
      requests INTEGER NOT NULL,
      events INTEGER NOT NULL,
      PRIMARY KEY (site_id, day)
    ) WITHOUT ROWID`,
];
