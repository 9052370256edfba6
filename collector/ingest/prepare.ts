// Turns one validated wire event into the row the writer stores: corrected time, timeline key, identifiers.
import type { WireEvent } from '../../wire.ts';

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

/**
 * Segment's rule: when the sender tells both when it made the event (originalTimestamp) and when it sent it
 * (sentAt), the gap is trusted and the sender's clock is not: ts = receivedAt − (sentAt − originalTimestamp).
 * An explicit `timestamp` (a server library stating when something happened) is taken as given.
 * Nothing is dated in the future.
 */
export function correctedTime(
  e: Pick<WireEvent, 'timestamp' | 'originalTimestamp' | 'sentAt'>,
  receivedAt: number,
): number {
  let ts: number;
  if (e.timestamp) ts = Date.parse(e.timestamp);
  else if (e.originalTimestamp && e.sentAt)
    ts = receivedAt - (Date.parse(e.sentAt) - Date.parse(e.originalTimestamp));
  else if (e.originalTimestamp) ts = Date.parse(e.originalTimestamp);
  else ts = receivedAt;
  return Number.isFinite(ts) ? Math.min(ts, receivedAt) : receivedAt;
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
