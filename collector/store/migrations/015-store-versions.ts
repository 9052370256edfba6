// Migration 015: frozen once released; a change to the schema is a new numbered file.
// A version per cached kind of setting (sites, chat, forms…), bumped in the transaction that changes it, so
// every collector process sharing the database drops its cached copy within a poll interval.
export default [`CREATE TABLE store_versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL)`];
