// Read side of profiles for the admin API: the list with search and paging, and one profile with its timeline.
import type {
  Identifier,
  ProfileDetail,
  ProfileSummary,
  TimelineItem,
  Touch,
  TouchSummary,
  WireEvent,
} from '../../wire.ts';
import type { Db } from '../db/client.ts';

const iso = (ms: number) => new Date(ms).toISOString();

function touchSummary(json: unknown): TouchSummary | null {
  if (!json) return null;
  const t = JSON.parse(String(json)) as Touch;
  return {
    source: t.source ?? null,
    medium: t.medium ?? null,
    campaign: t.campaign ?? null,
    referrer: t.referrer ?? null,
    landingUrl: t.landingUrl ?? null,
    at: t.at ?? null,
  };
}

function summaryFromRow(r: Record<string, unknown>): ProfileSummary {
  return {
    id: String(r.id),
    siteId: String(r.site_id),
    email: (r.email as string | null) ?? null,
    userId: (r.user_id as string | null) ?? null,
    name: (r.name as string | null) ?? null,
    stage: String(r.stage) as ProfileSummary['stage'],
    firstTouch: touchSummary(r.first_touch),
    firstSeen: iso(Number(r.first_seen)),
    lastSeen: iso(Number(r.last_seen)),
    eventCount: Number(r.event_count),
  };
}

export interface ProfileQuery {
  q?: string;
  siteId?: string;
  cursor?: string;
  limit: number;
}

function encodeCursor(lastSeen: number, id: string): string {
  return Buffer.from(`${lastSeen}:${id}`).toString('base64url');
}

/** Null when the cursor is not one we made. */
export function decodeCursor(cursor: string): { lastSeen: number; id: string } | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const at = text.indexOf(':');
  const lastSeen = Number(text.slice(0, at));
  return at > 0 && Number.isInteger(lastSeen) ? { lastSeen, id: text.slice(at + 1) } : null;
}

export async function listProfiles(
  db: Db,
  query: ProfileQuery,
): Promise<{ profiles: ProfileSummary[]; nextCursor: string | null }> {
  const where = ['merged_into IS NULL'];
  const args: (string | number)[] = [];
  if (query.siteId) {
    where.push('site_id = ?');
    args.push(query.siteId);
  }
  if (query.q) {
    const like = `%${query.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    where.push(
      "(email LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' OR user_id LIKE ? ESCAPE '\\' OR id = ?)",
    );
    args.push(like, like, like, query.q);
  }
  if (query.cursor) {
    const c = decodeCursor(query.cursor);
    if (c) {
      where.push('(last_seen < ? OR (last_seen = ? AND id < ?))');
      args.push(c.lastSeen, c.lastSeen, c.id);
    }
  }
  const rs = await db.execute({
    sql: `SELECT * FROM profiles WHERE ${where.join(' AND ')} ORDER BY last_seen DESC, id DESC LIMIT ?`,
    args: [...args, query.limit + 1],
  });
  const rows = rs.rows.slice(0, query.limit).map((r) => summaryFromRow(r as Record<string, unknown>));
  const last = rs.rows[query.limit - 1];
  return {
    profiles: rows,
    nextCursor:
      rs.rows.length > query.limit && last ? encodeCursor(Number(last.last_seen), String(last.id)) : null,
  };
}

const KINDS: Record<string, Identifier['kind']> = { a: 'anonymous', u: 'user', e: 'email' };

function timelineItem(r: Record<string, unknown>): TimelineItem {
  const e = JSON.parse(String(r.body)) as WireEvent;
  const page = e.context?.page;
  return {
    id: String(r.message_id),
    type: e.type,
    event: (r.event as string | null) ?? null,
    at: iso(Number(r.ts)),
    receivedAt: iso(Number(r.received_at)),
    anonymousId: e.anonymousId ?? null,
    userId: e.userId ?? null,
    url: page?.url ?? (typeof e.properties?.url === 'string' ? e.properties.url : null),
    title: page?.title ?? (typeof e.properties?.title === 'string' ? e.properties.title : null),
    properties: e.properties ?? {},
    traits: e.traits ?? {},
  };
}

/** The profile (following merges to the survivor), its identifiers and its events in time order. */
export async function getProfile(
  db: Db,
  id: string,
  timelineLimit = 2000,
): Promise<{ profile: ProfileDetail; timeline: TimelineItem[] } | null> {
  let row: Record<string, unknown> | undefined;
  for (let hops = 0, next = id; hops < 20; hops++) {
    const rs = await db.execute({ sql: 'SELECT * FROM profiles WHERE id = ?', args: [next] });
    row = rs.rows[0] as Record<string, unknown> | undefined;
    if (!row?.merged_into) break;
    next = String(row.merged_into);
  }
  if (!row) return null;
  const summary = summaryFromRow(row);
  const ids = await db.execute({
    sql: 'SELECT key FROM identities WHERE profile_id = ? ORDER BY created_at, key',
    args: [summary.id],
  });
  const keys = ids.rows.map((r) => String(r.key));
  const identifiers = keys.map((k) => ({ kind: KINDS[k[0]], value: k.slice(2) }));
  const eventKeys = keys.filter((k) => k.startsWith('a:') || k.startsWith('u:'));
  let timeline: TimelineItem[] = [];
  if (eventKeys.length) {
    const rs = await db.execute({
      sql: `SELECT message_id, event, ts, received_at, body FROM events
            WHERE site_id = ? AND ident IN (${eventKeys.map(() => '?').join(', ')})
            ORDER BY ts, seq LIMIT ?`,
      args: [summary.siteId, ...eventKeys, timelineLimit],
    });
    timeline = rs.rows.map((r) => timelineItem(r as Record<string, unknown>));
  }
  return { profile: { ...summary, identifiers }, timeline };
}
