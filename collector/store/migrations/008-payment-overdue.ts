// Migration 008: frozen once released; a change to the schema is a new numbered file.
// Billing (issue 5): when the next expected payment becomes overdue (the list flags the profile at risk).
export default [`ALTER TABLE profiles ADD COLUMN payment_overdue_at INTEGER`];
