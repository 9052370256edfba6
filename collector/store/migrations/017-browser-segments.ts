// Migration 017: frozen once released; a change to the schema is a new numbered file.
// Shared devices: a browser used by several people is cut into parts, one identity node each. The browser's
// own row lists where each later part begins ([{key, ts, messageId}], JSON), NULL while one person uses it.
// Each act in which a browser says who uses it (an identify, an alias, a form with an address, a server's
// statement) is kept, with the user ids and emails it names ([[key, verified 0|1]], JSON).
export default [
  `ALTER TABLE identities ADD COLUMN segments TEXT`,
  `CREATE TABLE browser_acts (
      site_id TEXT NOT NULL,
      browser TEXT NOT NULL,
      ts INTEGER NOT NULL,
      message_id TEXT NOT NULL,
      persons TEXT NOT NULL,
      PRIMARY KEY (site_id, browser, ts, message_id)
    ) WITHOUT ROWID`,
];
