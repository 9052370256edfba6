// Migration 024: frozen once released; a change to the schema is a new numbered file.
// Roles: an admin manages users, keys, sites, webhooks and privacy; a member works with profiles, the inbox and
// automations. Every user before this migration was an admin.
export default [`ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'`];
