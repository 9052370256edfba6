// Migration 003: frozen once released; a change to the schema is a new numbered file.
// Lead forms and chat (issue 4).
export default [
  `CREATE TABLE forms (
      id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      name TEXT NOT NULL,
      definition TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
  `CREATE INDEX forms_site ON forms(site_id)`,
  `CREATE TABLE chat_settings (
      site_id TEXT PRIMARY KEY,
      settings TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
  `CREATE TABLE conversations (
      id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      anonymous_id TEXT NOT NULL,
      email TEXT,
      status TEXT NOT NULL DEFAULT 'open',
      assignee_id TEXT,
      last_seq INTEGER NOT NULL DEFAULT 0,
      agent_read_seq INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
  `CREATE UNIQUE INDEX conversations_visitor ON conversations(site_id, anonymous_id)`,
  `CREATE INDEX conversations_site ON conversations(site_id, updated_at)`,
  `CREATE TABLE chat_messages (
      conversation_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      id TEXT NOT NULL,
      client_id TEXT,
      author TEXT NOT NULL,
      user_id TEXT,
      text TEXT NOT NULL,
      at INTEGER NOT NULL,
      PRIMARY KEY (conversation_id, seq)
    ) WITHOUT ROWID`,
  `CREATE UNIQUE INDEX chat_messages_client ON chat_messages(conversation_id, client_id)`,
  `CREATE TABLE inbox_changes (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      site_id TEXT NOT NULL,
      conversation_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      at INTEGER NOT NULL
    )`,
];
