// Which identifiers an event carries, normalised, as identity keys ('a:' anonymous id, 'u:' user id, 'e:' email).
import { EVENTS, type WireEvent } from '../../wire.ts';

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

/** The email an event states about its sender: identify traits, context traits, or a submitted form's email. */
export function eventEmail(e: WireEvent): string | null {
  const fromTraits = normaliseEmail(e.traits?.email) ?? normaliseEmail(e.context?.traits?.email);
  if (fromTraits) return fromTraits;
  if (e.type === 'track' && e.event === EVENTS.form) {
    const props = e.properties ?? {};
    const fields = (props.fields ?? {}) as Record<string, unknown>;
    return normaliseEmail(props.email) ?? normaliseEmail(fields.email);
  }
  return null;
}

export function eventName(e: WireEvent): string | null {
  const t = { ...(e.context?.traits ?? {}), ...(e.traits ?? {}) };
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
