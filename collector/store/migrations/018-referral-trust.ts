// Migration 018: frozen once released; a change to the schema is a new numbered file.
// Referrals a marketer can trust: each credit names the referred lead's contact identifier (an email or a phone
// no other credited lead used), and credits above a referrer's daily limit wait for a marketer's decision,
// kept by the lead event's messageId so it survives refolds, merges and unmerges.
export default [
  `ALTER TABLE referral_credits ADD COLUMN contact TEXT`,
  `CREATE INDEX referral_credits_contact ON referral_credits(site_id, contact)`,
  `CREATE TABLE referral_reviews (
      site_id TEXT NOT NULL,
      message_id TEXT NOT NULL,
      decision TEXT NOT NULL,
      decided_at INTEGER NOT NULL,
      PRIMARY KEY (site_id, message_id)
    ) WITHOUT ROWID`,
];
