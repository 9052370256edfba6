// Migration 007: frozen once released; a change to the schema is a new numbered file.
// Billing (issue 5): which event a payment's amount came from (a paid event over an invoice over a failed
// attempt, then the latest), so the amount does not depend on the order events arrive in.
export default [`ALTER TABLE payments ADD COLUMN amount_key TEXT`];
