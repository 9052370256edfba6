// Turns one validated wire event into the row the writer stores: corrected time, timeline key, identifiers.
import { isStorable, LIMITS, type WireEvent } from '../../wire.ts';
import { BILLING_KEYS } from '../identity/identifiers.ts';

export interface PreparedEvent {
  messageId: string;
  type: WireEvent['type'];
  /** Track event name or page name. */
  event: string | null;
  /** The key the timeline reads by: 'a:' + anonymousId, else 'u:' + userId. */
  ident: string;
  anonymousId: string | null;
  userId: string | null;
  /** Event time in ms, corrected for the sender's clock skew. */
  ts: number;
  receivedAt: number;
  /** The event as validated, as JSON text. */
  body: string;
  raw: WireEvent;
  /** How the sender proved itself: the secret key, an HMAC of the user id, a signed webhook, or nothing. */
  proof?: 'secret' | 'hmac' | 'webhook' | null;
}

type Times = Pick<WireEvent, 'timestamp' | 'originalTimestamp' | 'sentAt'>;

/**
 * Segment's rule: when the sender tells both when it made the event (originalTimestamp) and when it sent it
 * (sentAt), the gap is trusted and the sender's clock is not: ts = receivedAt − (sentAt − originalTimestamp).
 * An explicit `timestamp` (a server library stating when something happened) is taken as given.
 * Also names the field the time comes from (null: the time received).
 */
function statedTime(e: Times, receivedAt: number): { ts: number; field: keyof Times | null } {
  if (e.timestamp) return { ts: Date.parse(e.timestamp), field: 'timestamp' };
  if (e.originalTimestamp && e.sentAt)
    return {
      ts: receivedAt - (Date.parse(e.sentAt) - Date.parse(e.originalTimestamp)),
      field: 'originalTimestamp',
    };
  if (e.originalTimestamp) return { ts: Date.parse(e.originalTimestamp), field: 'originalTimestamp' };
  return { ts: receivedAt, field: null };
}

/**
 * Why the event's corrected time is refused ("field: message"): before LIMITS.earliestEventMs (2000-01-01) or
 * more than LIMITS.futureEventMs (a day) after it was received. Null when it is fine.
 */
export function timeProblem(e: Times, receivedAt: number): { field: string; message: string } | null {
  const { ts, field } = statedTime(e, receivedAt);
  if (!field) return null;
  const dates = field === 'originalTimestamp' && e.sentAt ? 'corrected by sentAt, dates' : 'dates';
  if (!(ts >= LIMITS.earliestEventMs))
    return { field, message: `${field}: ${dates} the event before 2000-01-01` };
  if (ts > receivedAt + LIMITS.futureEventMs)
    return { field, message: `${field}: ${dates} the event more than a day after it was received` };
  return null;
}

/** Where an event states identifiers in free-form records (identity/identifiers.ts reads them as keys). */
const IDENTIFIER_KEYS = ['email', ...BILLING_KEYS];

/**
 * Why an identifier the event states in its traits or properties is refused ("field: message"): the wire schema
 * checks ids, but an email or billing customer id in a record becomes an identity key too, so it must be stored
 * as itself. Null when it is fine.
 */
export function identifierProblem(e: WireEvent): { field: string; message: string } | null {
  const fields = e.properties?.fields;
  const records: [string, unknown][] = [
    ['traits', e.traits],
    ['context.traits', e.context?.traits],
    ['properties', e.properties],
    ['properties.fields', fields],
  ];
  for (const [path, record] of records) {
    if (!record || typeof record !== 'object') continue;
    for (const key of IDENTIFIER_KEYS) {
      const value = (record as Record<string, unknown>)[key];
      if (typeof value === 'string' && !isStorable(value))
        return {
          field: `${path}.${key}`,
          message: `${path}.${key}: must not contain U+0000 or a lone surrogate`,
        };
    }
  }
  return null;
}

/** The event's time in ms, corrected for clock skew. Nothing is dated in the future, and it is always a valid Date. */
export function correctedTime(e: Times, receivedAt: number): number {
  const { ts } = statedTime(e, receivedAt);
  return Number.isFinite(ts) && Math.abs(ts) <= 8.64e15 ? Math.min(ts, receivedAt) : receivedAt;
}

export function prepareEvent(e: WireEvent, body: string, receivedAt: number): PreparedEvent {
  const anonymousId = e.anonymousId || null;
  const userId = e.userId || null;
  return {
    messageId: e.messageId,
    type: e.type,
    event: e.type === 'track' ? (e.event ?? null) : (e.name ?? null),
    ident: anonymousId ? `a:${anonymousId}` : `u:${userId}`,
    anonymousId,
    userId,
    ts: correctedTime(e, receivedAt),
    receivedAt,
    body,
    raw: e,
  };
}
