// Migration 011: frozen once released; a change to the schema is a new numbered file.
// Referrals (issue 3): codes bound to a referrer's identifier (handed out by the API, or a profile id pinned
// on first use), and one credit per referred profile that became a lead, keyed by the referrer's identifier
// so a merge or unmerge moves it with that identifier.
export default [
  `CREATE TABLE referral_codes (
      site_id TEXT NOT NULL,
      code TEXT NOT NULL,
      key TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (site_id, code)
    ) WITHOUT ROWID`,
  `CREATE INDEX referral_codes_key ON referral_codes(site_id, key)`,
  `CREATE TABLE referral_credits (
      referred_id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      referrer_key TEXT NOT NULL,
      code TEXT NOT NULL,
      at INTEGER NOT NULL,
      message_id TEXT NOT NULL
    )`,
  `CREATE INDEX referral_credits_referrer ON referral_credits(site_id, referrer_key)`,
];
