// Migration 016: frozen once released; a change to the schema is a new numbered file.
// What became of each processed Stripe event (stored on a profile, waiting unmatched, or ignored) and why, so an
// event acknowledged without being used can still be found. NULL for events processed before this migration.
export default [
  `ALTER TABLE stripe_events ADD COLUMN outcome TEXT`,
  `ALTER TABLE stripe_events ADD COLUMN reason TEXT`,
];
