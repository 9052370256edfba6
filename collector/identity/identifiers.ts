// Which identifiers an event carries, normalised, as identity keys ('a:' anonymous id, 'u:' user id, 'e:' email,
// 'p:' phone in E.164, 'b:' billing customer id), and which of them are blocked from linking.
import { EVENTS, type WireEvent } from '../../wire.ts';
import { blockReason, type IdentitySettings } from './rules.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Trimmed and lower-cased, or null when it does not look like an address. */
export function normaliseEmail(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const email = value.trim().toLowerCase();
  return email.length <= 254 && EMAIL.test(email) ? email : null;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.trim() ? value.trim() : null;
}

/** The traits an event states about the person: a `group` call's traits describe the company instead. */
function personTraits(e: WireEvent): Record<string, unknown> | undefined {
  return e.type === 'group' ? undefined : e.traits;
}

/** The email an event states about its sender: identify traits, context traits, or a submitted form's email. */
export function eventEmail(e: WireEvent): string | null {
  const fromTraits = normaliseEmail(personTraits(e)?.email) ?? normaliseEmail(e.context?.traits?.email);
  if (fromTraits) return fromTraits;
  if (e.type === 'track' && e.event === EVENTS.form) {
    const props = e.properties ?? {};
    const fields = (props.fields ?? {}) as Record<string, unknown>;
    return normaliseEmail(props.email) ?? normaliseEmail(fields.email);
  }
  return null;
}

export function eventName(e: WireEvent): string | null {
  const t = { ...(e.context?.traits ?? {}), ...(personTraits(e) ?? {}) };
  const full = str(t.name) ?? ([str(t.firstName), str(t.lastName)].filter(Boolean).join(' ') || null);
  if (full) return full.slice(0, 200);
  if (e.type === 'track' && e.event === EVENTS.form) {
    const fields = (e.properties?.fields ?? {}) as Record<string, unknown>;
    return str(fields.name)?.slice(0, 200) ?? null;
  }
  return null;
}

/** Identity keys the event links together, in a fixed order. */
export function identityKeys(e: WireEvent): string[] {
  const keys: string[] = [];
  if (e.anonymousId) keys.push(`a:${e.anonymousId}`);
  if (e.userId) keys.push(`u:${e.userId}`);
  // alias(userId, previousId): the previous id is the browser's anonymous id in the common case.
  if (e.type === 'alias' && e.previousId) keys.push(`a:${e.previousId}`);
  const email = eventEmail(e);
  if (email) keys.push(`e:${email}`);
  return keys;
}

/** E.164 (+ and 8–15 digits) from common spellings; null without a country code, since we cannot guess one. */
export function normalisePhone(value: unknown): string | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  let s = String(value)
    .trim()
    .replace(/[\s().\-/]/g, '');
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  return /^\+[1-9]\d{7,14}$/.test(s) ? s : null;
}

export const BILLING_KEYS = [
  'stripe_customer_id',
  'stripeCustomerId',
  'customerId',
  'customer_id',
  'billingCustomerId',
];

function stated(e: WireEvent): Record<string, unknown> {
  const fields = (e.properties?.fields ?? {}) as Record<string, unknown>;
  return { ...fields, ...(e.properties ?? {}), ...(e.context?.traits ?? {}), ...(personTraits(e) ?? {}) };
}

export function eventPhone(e: WireEvent): string | null {
  const t = stated(e);
  return normalisePhone(t.phone) ?? normalisePhone(t.phoneNumber);
}

export function eventCompany(e: WireEvent): string | null {
  if (e.type === 'group') return str(e.traits?.name)?.slice(0, 200) ?? null;
  const t = stated(e);
  const c = t.company;
  if (typeof c === 'string') return str(c)?.slice(0, 200) ?? null;
  if (c && typeof c === 'object') return str((c as Record<string, unknown>).name)?.slice(0, 200) ?? null;
  return null;
}

export function eventBillingId(e: WireEvent): string | null {
  const t = stated(e);
  for (const k of BILLING_KEYS) {
    const v = t[k];
    if ((typeof v === 'string' && v.trim()) || typeof v === 'number') return String(v).trim().slice(0, 200);
  }
  return null;
}

export type IdentifierKind = 'anonymous' | 'user' | 'email' | 'phone' | 'billing';
export const KIND_PREFIX: Record<IdentifierKind, string> = {
  anonymous: 'a',
  user: 'u',
  email: 'e',
  phone: 'p',
  billing: 'b',
};
export const PREFIX_KIND: Record<string, IdentifierKind> = {
  a: 'anonymous',
  u: 'user',
  e: 'email',
  p: 'phone',
  b: 'billing',
};

/**
 * How an event proves who sent it: the secret key (a server), an HMAC of the user id made with the site's
 * identity secret, a signed webhook (Stripe: its money is vouched for, but the collector chose the profile,
 * so its identifiers stay claimed), or nothing.
 */
export type Proof = 'secret' | 'hmac' | 'webhook' | null;

export interface EventIdentifier {
  key: string;
  kind: IdentifierKind;
  /** Stated by a sender the site vouches for. */
  verified: boolean;
}

export interface Blocked {
  kind: IdentifierKind;
  value: string;
  reason: string;
}

export interface EventIdentity {
  /** Identifiers that may link, the owner first. */
  ids: EventIdentifier[];
  /** The key the event belongs to: its user id, else its anonymous id (a blocked one only when nothing else is left). */
  owner: string;
  blocked: Blocked[];
}

/** The identifiers of one event, normalised, with the blocked ones set aside. */
export function eventIdentity(e: WireEvent, proof: Proof, settings: IdentitySettings): EventIdentity {
  const raw: [IdentifierKind, string | null | undefined][] = [
    ['user', e.userId],
    ['anonymous', e.anonymousId],
    ['anonymous', e.type === 'alias' ? e.previousId : null],
    ['email', eventEmail(e)],
    ['phone', eventPhone(e)],
    ['billing', eventBillingId(e)],
  ];
  const ids: EventIdentifier[] = [];
  const blocked: Blocked[] = [];
  const seen = new Set<string>();
  for (const [kind, value] of raw) {
    if (value === null || value === undefined) continue;
    const key = `${KIND_PREFIX[kind]}:${value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const reason = blockReason(kind, value, settings);
    if (reason) {
      blocked.push({ kind, value, reason });
      continue;
    }
    // The secret key vouches for every identifier a server sends; an HMAC covers only the user id of the
    // identify it signs.
    const verified = proof === 'secret' || (e.type === 'identify' && proof === 'hmac' && kind === 'user');
    ids.push({ key, kind, verified });
  }
  const fallback = e.userId ? `u:${e.userId}` : `a:${e.anonymousId}`;
  // The event belongs to its user id only when the site vouches for it; a claimed user id stays with the
  // browser that claimed it, so a claim of someone else's login never lands on their timeline.
  const owner =
    ids.find((i) => i.kind === 'user' && i.verified)?.key ??
    ids.find((i) => i.kind === 'anonymous')?.key ??
    ids.find((i) => i.kind === 'user')?.key ??
    fallback;
  if (ids[0]?.key !== owner) {
    const at = ids.findIndex((i) => i.key === owner);
    if (at > 0) ids.unshift(...ids.splice(at, 1));
  }
  return { ids, owner, blocked };
}
