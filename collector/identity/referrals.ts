// Referrals, as pure rules. A visitor who lands with `ref=CODE` is referred by the identifier CODE resolves to;
// when that visitor's profile becomes a lead (with the referral folded no later than the lead evidence), the
// profile holding that identifier is credited, and the credit is `loyal` evidence for it. Credits are keyed by
// the referrer's identifier, not its profile id, so merges and unmerges move them with the identifier.
import type { Evidence, ProfileState } from './profile.ts';

/** What a referred profile claims: the code it arrived with and the lead event that earns the credit. */
export interface ReferralClaim {
  code: string;
  at: number;
  messageId: string;
}

/** A credit as stored: the referred profile, the referrer's identifier key, the lead event. */
export interface ReferralCredit {
  referredId: string;
  referrerKey: string;
  code: string;
  at: number;
  messageId: string;
}

/** Codes the collector hands out start with this (GET /api/profiles/:id → referralCode). */
export const REFERRAL_CODE_PREFIX = 'r_';

export function normaliseCode(code: unknown): string | null {
  if (typeof code !== 'string') return null;
  const c = code.trim();
  return c && c.length <= 200 ? c : null;
}

/**
 * The referral a profile's state claims: it was referred (a touch with `ref`) at or before the event that
 * made it a lead. A visitor who was already a lead when they followed a referral link earns nothing.
 */
export function referralClaim(p: ProfileState): ReferralClaim | null {
  // A state folded before referrals were credited has no leadReferredBy: its referral (if any) counts.
  const code = normaliseCode(p.leadReferredBy === undefined ? p.referredBy : p.leadReferredBy);
  if (!code || !p.lead) return null;
  return { code, at: p.lead.at, messageId: p.lead.messageId };
}

/** Where a code can point, as looked up for one group. */
export interface CodeLookups {
  /** Codes already bound to an identifier (handed-out codes, and profile ids pinned on first use). */
  codes: ReadonlyMap<string, string>;
  /** Profile ids (followed to the live profile), with the identifier key a code naming them is pinned to. */
  profiles: ReadonlyMap<string, string>;
}

/**
 * The referrer's identifier key for a code: a bound code first, then a profile id, else the code is taken
 * as the site's own user id (`u:CODE`), which may belong to a profile only later: the credit waits for it.
 */
export function resolveCode(code: string, lookups: CodeLookups): { key: string; pin: boolean } {
  const bound = lookups.codes.get(code);
  if (bound) return { key: bound, pin: false };
  const viaProfile = lookups.profiles.get(code);
  if (viaProfile) return { key: viaProfile, pin: true };
  return { key: `u:${code}`, pin: false };
}

/**
 * The credit a referred profile earns, or null: no claim, or the code points at one of its own identifiers
 * (`referrerProfile` is the profile holding the referrer key now, null while no profile holds it).
 */
export function creditFor(
  referredId: string,
  p: ProfileState,
  lookups: CodeLookups,
  referrerProfileOf: (key: string) => string | null,
): ReferralCredit | null {
  const claim = referralClaim(p);
  if (!claim) return null;
  const { key } = resolveCode(claim.code, lookups);
  if (referrerProfileOf(key) === referredId) return null;
  return { referredId, referrerKey: key, code: claim.code, at: claim.at, messageId: claim.messageId };
}

/** A referrer's credits as lifecycle evidence, earliest first; credits from the profile itself never count. */
export function referralEvidence(
  profileId: string,
  credits: readonly Pick<ReferralCredit, 'referredId' | 'at' | 'messageId'>[],
): Evidence[] {
  return credits
    .filter((c) => c.referredId !== profileId)
    .map((c) => ({
      at: c.at,
      messageId: c.messageId,
      rule: `referral: referred visitor ${c.referredId} became a lead`,
    }))
    .sort((a, b) => a.at - b.at || (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0));
}
