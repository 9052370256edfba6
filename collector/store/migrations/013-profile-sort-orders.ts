// Migration 013: frozen once released; a change to the schema is a new numbered file.
// The profile list's other orders (GET /api/profiles?sort=): each a keyset over (column, id) among live
// profiles, so a page walks the index from the cursor; last_seen keeps its earlier indexes.
export default [
  `CREATE INDEX profiles_first_seen_order ON profiles(first_seen, id) WHERE merged_into IS NULL`,
  `CREATE INDEX profiles_event_count_order ON profiles(event_count, id) WHERE merged_into IS NULL`,
  `CREATE INDEX profiles_email_order ON profiles(COALESCE(email, char(1114111)), id) WHERE merged_into IS NULL`,
];
