// Referrals, as pure rules. A visitor who lands with `ref=CODE` is referred by the identifier CODE resolves to;
// when that visitor's profile becomes a lead (with the referral folded no later than the lead evidence), the
// profile holding that identifier is credited. Credits are keyed by the referrer's identifier, not its profile
// id, so merges and unmerges move them with the identifier.
//
// What makes a credit trustworthy: the lead left a contact identifier (email or phone) that no other credited
// lead used, and it did not come from a browser the referrer uses. A referrer's credits above the site's daily
// limit wait for a marketer's review. A credit is `loyal` evidence only for a referrer who has paid; one who
// never paid is an advocate, not a stage beyond customer.
import type { Evidence, ProfileState } from './profile.ts';

/** What a referred profile claims: the code it arrived with and the lead event that earns the credit. */
export interface ReferralClaim {
  code: string;
  at: number;
  messageId: string;
}

/** A credit as stored: the referred profile, the referrer's identifier key, the lead event, its contact. */
export interface ReferralCredit {
  referredId: string;
  referrerKey: string;
  code: string;
  at: number;
  messageId: string;
  /** The referred lead's contact identifier key ('e:…' or 'p:…'). */
  contact: string;
}

/** A marketer's answer to a credit that waited for review. */
export type ReferralReview = 'approved' | 'rejected';
/** Where a credit stands: counted, waiting for review (over the daily limit), or rejected by a marketer. */
export type ReferralStatus = 'credited' | 'review' | 'rejected';

/** A credit as the referrer's evidence reads it. */
export interface CreditView {
  referredId: string;
  at: number;
  messageId: string;
  review: ReferralReview | null;
}

/** The referred lead's contact identifier: its email, else its phone (a role mailbox counts: it is a contact). */
export function contactOf(p: ProfileState): string | null {
  if (p.email?.value) return `e:${p.email.value}`;
  if (p.phone?.value) return `p:${p.phone.value}`;
  return null;
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

/** What a credit decision needs to know about the profiles around it. */
export interface CreditContext {
  /** The profile holding an identifier key now, or null. */
  profileOf(key: string): string | null;
  /** The browsers (anonymous ids) a profile uses. */
  browsersOf(profileId: string): ReadonlySet<string>;
  /** Whether another referred lead already credited (earlier) used this contact. */
  contactTaken(contact: string, referredId: string, at: number, messageId: string): boolean;
}

/**
 * The credit a referred profile earns, or null: no claim; the code points at one of its own identifiers; the
 * lead left no contact, or one another credited lead used; or it came from a browser the referrer uses.
 */
export function creditFor(
  referredId: string,
  p: ProfileState,
  lookups: CodeLookups,
  ctx: CreditContext,
): ReferralCredit | null {
  const claim = referralClaim(p);
  if (!claim) return null;
  const { key } = resolveCode(claim.code, lookups);
  const referrer = ctx.profileOf(key);
  if (referrer === referredId) return null;
  const contact = contactOf(p);
  if (!contact || ctx.contactTaken(contact, referredId, claim.at, claim.messageId)) return null;
  if (referrer) {
    const theirs = ctx.browsersOf(referrer);
    for (const b of ctx.browsersOf(referredId)) if (theirs.has(b)) return null;
  }
  return {
    referredId,
    referrerKey: key,
    code: claim.code,
    at: claim.at,
    messageId: claim.messageId,
    contact,
  };
}

const creditOrder = (a: { at: number; messageId: string }, b: { at: number; messageId: string }) =>
  a.at - b.at || (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0);
const DAY = 86_400_000;

/**
 * Where each of a referrer's credits stands. Per UTC day, credits count in evidence order up to `dailyLimit`;
 * the rest wait for review. A marketer's approval counts a credit whatever the day; a rejection never does.
 * Credits from the profile itself never count.
 */
export function creditStatuses(
  profileId: string,
  credits: readonly CreditView[],
  dailyLimit: number,
): Map<string, ReferralStatus> {
  const out = new Map<string, ReferralStatus>();
  const perDay = new Map<number, number>();
  for (const c of [...credits].filter((x) => x.referredId !== profileId).sort(creditOrder)) {
    const day = Math.floor(c.at / DAY);
    const used = perDay.get(day) ?? 0;
    let status: ReferralStatus;
    if (c.review === 'rejected') status = 'rejected';
    else if (c.review === 'approved') status = 'credited';
    else status = used < dailyLimit ? 'credited' : 'review';
    if (status === 'credited') perDay.set(day, used + 1);
    out.set(c.messageId, status);
  }
  return out;
}

/** A referrer's counted credits as evidence, earliest first (see creditStatuses). */
export function referralEvidence(
  profileId: string,
  credits: readonly CreditView[],
  dailyLimit: number,
): Evidence[] {
  const status = creditStatuses(profileId, credits, dailyLimit);
  return credits
    .filter((c) => c.referredId !== profileId && status.get(c.messageId) === 'credited')
    .map((c) => ({
      at: c.at,
      messageId: c.messageId,
      rule: `referral: referred visitor ${c.referredId} became a lead`,
    }))
    .sort(creditOrder);
}
