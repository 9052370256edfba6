// Migration 021: frozen once released; a change to the schema is a new numbered file.
// Every referral claim with the referrer identifier its code resolved to, credited or not: when the referrer's
// profile changes (a merge, a new browser, an unmerge), the claims naming it are decided again, so a credit
// does not depend on whether the referred lead or the referrer's change arrived first. Existing credits are
// claims; a claim refused before this migration is found again the next time its own profile changes.
export default [
  `CREATE TABLE referral_claims (
      referred_id TEXT PRIMARY KEY,
      site_id TEXT NOT NULL,
      referrer_key TEXT NOT NULL
    ) WITHOUT ROWID`,
  `CREATE INDEX referral_claims_referrer ON referral_claims(site_id, referrer_key)`,
  `INSERT INTO referral_claims (referred_id, site_id, referrer_key)
     SELECT referred_id, site_id, referrer_key FROM referral_credits`,
];
