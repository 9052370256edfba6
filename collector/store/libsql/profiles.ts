// Read side of profiles for the admin API: the list with search and paging, and one profile with its timeline.
import {
  type Identifier,
  type LinkSummary,
  type MergeSummary,
  type ProfileDetail,
  type ProfileSort,
  type ProfileStatus,
  type ProfileSummary,
  type SortOrder,
  STAGES,
  type TimelineItem,
  type Touch,
  type TouchSummary,
  TIMELINE_PAGE,
  type WireEvent,
} from '../../../wire.ts';
import type { ProfileQuery } from '../types.ts';
import type { Exec } from './writer.ts';

type Db = Exec;
import { Refused } from '../errors.ts';
import type { TouchRecord } from '../../identity/channels.ts';
import { PREFIX_KIND } from '../../identity/identifiers.ts';
import { browserOf, segmentAt, type SwitchPoint } from '../../identity/graph.ts';
import { billingSummary } from '../../identity/payments.ts';
import {
  isAdvocate,
  lifecycle,
  type ProfileState,
  type StageOverride,
  statusAt,
} from '../../identity/profile.ts';
import { type MintReferralCode, profileReferrals } from './stitch/referrals.ts';

const iso = (ms: number) => new Date(ms).toISOString();

const CLICK_KEYS = ['gclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'ttclid', 'li_fat_id', 'ref'] as const;

function summariseTouch(t: Touch & { channel?: string; ruleId?: string }): TouchSummary {
  const clickIds: Record<string, string> = {};
  for (const k of CLICK_KEYS) if (t[k]) clickIds[k] = String(t[k]);
  return {
    source: t.source ?? null,
    medium: t.medium ?? null,
    campaign: t.campaign ?? null,
    referrer: t.referrer ?? null,
    landingUrl: t.landingUrl ?? null,
    at: t.at ?? null,
    channel: t.channel ?? null,
    ruleId: t.ruleId ?? null,
    ...(Object.keys(clickIds).length ? { clickIds } : {}),
  };
}

export function touchSummary(json: unknown): TouchSummary | null {
  if (!json) return null;
  return summariseTouch(JSON.parse(String(json)) as Touch);
}

function recordSummary(t: TouchRecord | null): TouchSummary | null {
  return t ? summariseTouch({ ...t.touch, at: iso(t.at), channel: t.channel, ruleId: t.ruleId }) : null;
}

/** An overdue payment flags an otherwise active profile at risk. */
function withPaymentRisk(status: ProfileStatus, overdueAt: unknown, now = Date.now()): ProfileStatus {
  return status === 'active' && overdueAt !== null && overdueAt !== undefined && Number(overdueAt) < now
    ? 'at_risk'
    : status;
}

/**
 * A profile's status at `now`: by its last visit (statusAt), at risk too when a payment is overdue. The write
 * path stores it in profiles.status; the sweep (automations.ts, sweepStatus) moves it as time passes.
 */
export function profileStatus(lastSeen: number, overdueAt: number | null, now: number): ProfileStatus {
  return withPaymentRisk(statusAt(lastSeen, now), overdueAt, now);
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
    phone: (r.phone as string | null) ?? null,
    company: (r.company as string | null) ?? null,
    status: withPaymentRisk(statusAt(Number(r.last_seen), Date.now()), r.payment_overdue_at),
    channel: (r.channel as string | null) ?? null,
    leadScore: Number(r.score ?? 0),
    ownerId: (r.owner_id as string | null) ?? null,
  };
}

// The SQL each sort orders by; each is a keyset over (column, id) with ties broken by id. A profile with no
// email sorts after every email (U+10FFFF, the last code point), so A to Z starts with people, not visitors;
// the profiles_email_order expression index matches it, so the keyset stays a plain range.
const SORT_SQL: Record<ProfileSort, string> = {
  lastSeen: 'last_seen',
  firstSeen: 'first_seen',
  eventCount: 'event_count',
  email: 'COALESCE(email, char(1114111))',
};

/** A cursor names the sort it was made for, the last row's sort value and its id. */
export function encodeCursor(
  sort: ProfileSort,
  order: SortOrder,
  value: string | number,
  id: string,
): string {
  return Buffer.from(JSON.stringify([sort, order, value, id])).toString('base64url');
}

/** Null when the cursor is not one we made for this sort and order. */
export function decodeCursor(
  cursor: string,
  sort: ProfileSort = 'lastSeen',
  order: SortOrder = 'desc',
): { value: string | number; id: string } | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 4) return null;
    const [s, o, value, id] = parsed as unknown[];
    if (s !== sort || o !== order || typeof id !== 'string') return null;
    if (sort === 'email' ? typeof value !== 'string' : !Number.isInteger(value)) return null;
    return { value: value as string | number, id };
  } catch {
    return null;
  }
}

/** SQLite's order of two sort values or ids: numbers by value, text by its UTF-8 bytes (the BINARY collation). */
function compareSql(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return Number(a) - Number(b);
}

/** The sites that have live profiles (from the maintained counts: a few rows, not the profile table). */
async function sitesWithProfiles(db: Db): Promise<string[]> {
  const rs = await db.execute('SELECT site_id FROM site_counts WHERE profiles > 0 ORDER BY site_id');
  return rs.rows.map((r) => String(r.site_id));
}

/** 32 days in ms: the bucket of first seen that migration 031's range indexes lead with (the same expression). */
const BUCKET = 32 * 86_400_000;
/** Each order's name in its indexes (migration 031): profiles_list_{filter}_{name}. */
const ORDER_INDEX: Record<ProfileSort, string> = {
  lastSeen: 'last_seen',
  firstSeen: 'first_seen',
  eventCount: 'event_count',
  email: 'email',
};

/** Each order's own index, for a list with no filter (first seen: the overview's cohort index, id after it). */
const ORDER_ONLY: Record<ProfileSort, string> = {
  lastSeen: 'profiles_list_last_seen',
  firstSeen: 'profiles_cohort',
  eventCount: 'profiles_list_event_count',
  email: 'profiles_list_email',
};

/** The first and last bucket holding the site's live profiles first seen in [from, before); empty when none. */
async function bucketSpan(
  db: Db,
  siteId: string,
  from: number | undefined,
  before: number | undefined,
): Promise<[number, number]> {
  // Each end is one seek of the first-seen index; the range is clamped to the site's profiles, so an open or a
  // very wide range costs only the buckets that hold someone.
  const end = async (fn: 'MIN' | 'MAX') => {
    const rs = await db.execute({
      sql: `SELECT ${fn}(first_seen) AS v FROM profiles WHERE site_id = ? AND merged_into IS NULL
              AND first_seen >= ? AND first_seen < ?`,
      args: [siteId, from ?? Number.MIN_SAFE_INTEGER, before ?? Number.MAX_SAFE_INTEGER],
    });
    const v = rs.rows[0]?.v;
    return v === null || v === undefined ? null : Number(v);
  };
  const lo = await end('MIN');
  const hi = lo === null ? null : await end('MAX');
  if (lo === null || hi === null) return [0, -1];
  return [Math.floor(lo / BUCKET), Math.floor(hi / BUCKET)];
}

export async function listProfiles(
  db: Db,
  query: ProfileQuery,
): Promise<{ profiles: ProfileSummary[]; nextCursor: string | null }> {
  const sort = query.sort ?? 'lastSeen';
  const order = query.order ?? 'desc';
  const column = SORT_SQL[sort];
  const where = ['merged_into IS NULL'];
  const args: (string | number)[] = [];
  const searched = !!query.q && [...query.q].length >= 3;
  if (query.q) {
    const like = `%${query.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    where.push(
      "(email LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' OR user_id LIKE ? ESCAPE '\\' OR id = ?)",
    );
    args.push(like, like, like, query.q);
    // Three characters or more: the trigram index (profiles_search) finds the candidates, a superset of the
    // LIKE matches (it folds case beyond ASCII), and the LIKE above keeps exactly those; with the profile whose
    // id it is, they are all the rows read. Shorter text walks the order.
    if (searched) {
      where.push(`rowid IN (SELECT rowid FROM profiles_search WHERE profiles_search MATCH ?
          UNION ALL SELECT rowid FROM profiles WHERE id = ?)`);
      args.push(`"${query.q.replaceAll('"', '""')}"`, query.q);
    }
  }
  if (query.stage) {
    where.push('stage = ?');
    args.push(query.stage);
  }
  if (query.firstSeenFrom !== undefined) {
    where.push('first_seen >= ?');
    args.push(query.firstSeenFrom);
  }
  if (query.firstSeenBefore !== undefined) {
    where.push('first_seen < ?');
    args.push(query.firstSeenBefore);
  }
  if (query.channel) {
    where.push('channel = ?');
    args.push(query.channel);
  }
  if (query.status) {
    // The maintained status (set by every write, moved by the sweep as time passes): an equality on its index.
    where.push('status = ?');
    args.push(query.status);
  }
  if (query.cursor) {
    const c = decodeCursor(query.cursor, sort, order);
    if (!c) throw new Refused('invalid', 'invalid_query', 'cursor does not belong to this sort', 'cursor');
    // For plain columns the row value is the seek, past any number of ties (with a single-column bound beside it
    // the planner seeks by the column alone and walks every tie). An expression index (email) is sought only by
    // the single-column bound: the row value alone would filter a scan.
    const op = order === 'asc' ? '>' : '<';
    if (sort === 'email') {
      where.push(`${column} ${op}= ? AND (${column}, id) ${op} (?, ?)`);
      args.push(c.value, c.value, c.id);
    } else {
      where.push(`(${column}, id) ${op} (?, ?)`);
      args.push(c.value, c.id);
    }
  }
  // The walks that answer the page, each on the index named here (the planner's statistics, partial after a
  // migration adds indexes, once chose walks 1,000 times slower). Every index of the list starts with the site, so
  // each site is a walk of its own, and the walks' pages merge below:
  // - a search of three characters or more: its trigram candidates, each read by rowid and sorted;
  // - a first-seen range in another order, with no status or channel filter: one walk per 32-day bucket of first
  //   seen and stage, on the order's bucket index (migration 031);
  // - stages (reached, or one stage): one walk per stage, on the stage's index in the order;
  // - a status or channel filter: one walk of its index in the order;
  // - nothing else: the order's index.
  // Whatever else is asked (another filter, a first-seen range, short search text) is checked on the way.
  const reached = query.reached ? STAGES.slice(STAGES.indexOf(query.reached)) : null;
  const stages = (reached ?? STAGES).filter((s) => !query.stage || s === query.stage);
  const ranged = query.firstSeenFrom !== undefined || query.firstSeenBefore !== undefined;
  const filter = query.status ? 'status' : query.channel ? 'channel' : null;
  const on = (name: string) => `INDEXED BY profiles_list_${name}_${ORDER_INDEX[sort]}`;
  const parts: { sql: string; args: (string | number)[]; index: string }[] = [];
  for (const siteId of query.siteId ? [query.siteId] : await sitesWithProfiles(db)) {
    if (searched) {
      parts.push({
        sql: reached ? `site_id = ? AND stage IN (${reached.map(() => '?').join(', ')})` : 'site_id = ?',
        args: [siteId, ...(reached ?? [])],
        index: 'NOT INDEXED',
      });
    } else if (ranged && sort !== 'firstSeen' && !filter) {
      const span = await bucketSpan(db, siteId, query.firstSeenFrom, query.firstSeenBefore);
      for (let b = span[0]; b <= span[1]; b++) {
        for (const stage of stages) {
          parts.push({
            sql: `site_id = ? AND first_seen / ${BUCKET} = ? AND stage = ?`,
            args: [siteId, b, stage],
            index: on('bucket'),
          });
        }
      }
    } else if (reached || query.stage) {
      for (const stage of stages) {
        parts.push({ sql: 'site_id = ? AND stage = ?', args: [siteId, stage], index: on('stage') });
      }
    } else if (filter) {
      parts.push({ sql: 'site_id = ?', args: [siteId], index: on(filter) });
    } else {
      parts.push({ sql: 'site_id = ?', args: [siteId], index: `INDEXED BY ${ORDER_ONLY[sort]}` });
    }
  }
  const dir = order === 'asc' ? 'ASC' : 'DESC';
  // Several walks read only ids and sort values (inside their indexes), and the page's rows are read once merged.
  const many = parts.length > 1;
  let found: Record<string, unknown>[] = [];
  for (const part of parts) {
    const rs = await db.execute({
      sql: `SELECT ${many ? 'id' : '*'}, ${column} AS sort_value FROM profiles
            ${part.index} WHERE ${part.sql} AND ${where.join(' AND ')}
            ORDER BY ${column} ${dir}, id ${dir} LIMIT ?`,
      args: [...part.args, ...args, query.limit + 1],
    });
    found.push(...(rs.rows as Record<string, unknown>[]));
  }
  if (many) {
    const sign = order === 'asc' ? 1 : -1;
    found.sort((a, b) => sign * (compareSql(a.sort_value, b.sort_value) || compareSql(a.id, b.id)));
    found = found.slice(0, query.limit + 1);
    const byId = new Map<string, Record<string, unknown>>();
    if (found.length) {
      const rs = await db.execute({
        sql: `SELECT * FROM profiles WHERE id IN (${found.map(() => '?').join(', ')})`,
        args: found.map((r) => String(r.id)),
      });
      for (const r of rs.rows as Record<string, unknown>[]) byId.set(String(r.id), r);
    }
    // a row merged away between the two reads is left out
    found = found.flatMap((f) => {
      const row = byId.get(String(f.id));
      return row ? [{ ...row, sort_value: f.sort_value }] : [];
    });
  }
  const rows = found.slice(0, query.limit).map((r) => summaryFromRow(r));
  const last = found[query.limit - 1];
  return {
    profiles: rows,
    nextCursor:
      found.length > query.limit && last
        ? encodeCursor(
            sort,
            order,
            sort === 'email' ? String(last.sort_value) : Number(last.sort_value),
            String(last.id),
          )
        : null,
  };
}

export function identifierOf(key: string, verified = false, shared = false): Identifier {
  return {
    kind: PREFIX_KIND[key[0]] ?? 'anonymous',
    // A later person's part of a shared browser is shown as the browser.
    value: browserOf(key).slice(2),
    ...(verified ? { verified } : {}),
    ...(shared ? { shared } : {}),
  };
}

export function linkSummary(r: Record<string, unknown>): LinkSummary {
  const opt = (x: unknown) => (x === null || x === undefined ? null : iso(Number(x)));
  return {
    id: String(r.id),
    a: identifierOf(String(r.a)),
    b: identifierOf(String(r.b)),
    rule: String(r.rule),
    messageId: String(r.message_id),
    at: iso(Number(r.ts)),
    verified: Number(r.verified) === 1,
    status: String(r.status) as LinkSummary['status'],
    reason: (r.reason as string | null) ?? null,
    decision: (r.decision as LinkSummary['decision']) ?? null,
    createdAt: iso(Number(r.created_at)),
    revokedAt: opt(r.revoked_at),
    revokedReason: (r.revoked_reason as string | null) ?? null,
  };
}

function mergeSummary(r: Record<string, unknown>): MergeSummary {
  return {
    id: String(r.id),
    survivorId: String(r.survivor_id),
    mergedId: String(r.merged_id),
    kind: String(r.kind ?? 'auto') as MergeSummary['kind'],
    reason: String(r.reason),
    identifier: String(r.identifier),
    messageId: String(r.message_id),
    linkId: (r.link_id as string | null) ?? null,
    at: iso(Number(r.created_at)),
    undoneAt: r.undone_at === null || r.undone_at === undefined ? null : iso(Number(r.undone_at)),
    undoReason: (r.undo_reason as string | null) ?? null,
  };
}

/** Follows merged_into to the live profile row. */
export async function liveProfileRow(db: Db, id: string): Promise<Record<string, unknown> | null> {
  let row: Record<string, unknown> | undefined;
  for (let hops = 0, next = id; hops < 20; hops++) {
    const rs = await db.execute({ sql: 'SELECT * FROM profiles WHERE id = ?', args: [next] });
    row = rs.rows[0] as Record<string, unknown> | undefined;
    if (!row?.merged_into) break;
    next = String(row.merged_into);
  }
  return row ?? null;
}

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

/** A timeline cursor: the (ts, seq) of the oldest event shown; the next page holds the events before it. */
function timelineCursor(ts: number, seq: number): string {
  return Buffer.from(JSON.stringify(['t', ts, seq])).toString('base64url');
}

function readTimelineCursor(cursor: string): { ts: number; seq: number } | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v[0] !== 't' || !Number.isInteger(v[1]) || !Number.isInteger(v[2])) return null;
    return { ts: v[1] as number, seq: v[2] as number };
  } catch {
    return null;
  }
}

/**
 * A page of the profile's events, newest first from `before` (or from the newest), returned oldest first, with
 * the cursor of the page before it. Keyset paging on (ts, seq) over the (site_id, ident, ts) index: a profile of
 * any size shows its latest activity.
 */
async function timelinePage(
  db: Db,
  siteId: string,
  keys: string[],
  before: { ts: number; seq: number } | null,
  limit: number,
): Promise<{ timeline: TimelineItem[]; olderCursor: string | null }> {
  const eventKeys = keys.filter((k) => k.startsWith('a:') || k.startsWith('u:') || k.startsWith('s:'));
  if (!eventKeys.length) return { timeline: [], olderCursor: null };
  const rs = await db.execute({
    sql: `SELECT message_id, event, ts, seq, received_at, body FROM events
          WHERE site_id = ? AND ident IN (${eventKeys.map(() => '?').join(', ')})
            ${before ? 'AND (ts < ? OR (ts = ? AND seq < ?))' : ''}
          ORDER BY ts DESC, seq DESC LIMIT ?`,
    args: [siteId, ...eventKeys, ...(before ? [before.ts, before.ts, before.seq] : []), limit + 1],
  });
  const rows = rs.rows.slice(0, limit) as Record<string, unknown>[];
  const oldest = rows[rows.length - 1];
  const olderCursor = rs.rows.length > limit ? timelineCursor(Number(oldest.ts), Number(oldest.seq)) : null;
  // The agent's and the automatic chat replies to the profile's browsers, in the same span of time as this page
  // (they are not events of the profile, so they are read beside them).
  const from = olderCursor ? Number(oldest.ts) : Number.MIN_SAFE_INTEGER;
  const to = before ? before.ts : Number.MAX_SAFE_INTEGER;
  const browsers = [
    ...new Set(eventKeys.filter((k) => !k.startsWith('u:')).map((k) => browserOf(k).slice(2))),
  ];
  const replies = browsers.length
    ? await db.execute({
        sql: `SELECT m.id, m.author, m.text, m.at, c.id AS conversation_id, c.anonymous_id
              FROM conversations c JOIN chat_messages m ON m.conversation_id = c.id
              WHERE c.site_id = ? AND c.anonymous_id IN (${browsers.map(() => '?').join(', ')})
                AND m.author IN ('agent', 'auto') AND m.at >= ? AND m.at < ?
              ORDER BY m.at, m.seq LIMIT 1000`,
        args: [siteId, ...browsers, from, to],
      })
    : { rows: [] };
  const items = rows.reverse().map(timelineItem);
  for (const r of replies.rows) {
    const at = iso(Number(r.at));
    items.push({
      id: `chat-reply:${String(r.id)}`,
      type: 'track',
      event: 'Chat Reply',
      at,
      receivedAt: at,
      anonymousId: String(r.anonymous_id),
      userId: null,
      url: null,
      title: null,
      properties: {
        author: String(r.author),
        text: String(r.text),
        conversationId: String(r.conversation_id),
      },
      traits: {},
    });
  }
  // Oldest first; at the same moment an event comes before the reply to it.
  items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return { timeline: items, olderCursor };
}

async function profileKeys(db: Db, profileId: string) {
  const ids = await db.execute({
    sql: 'SELECT key, verified, shared_at FROM identities WHERE profile_id = ? ORDER BY created_at, key',
    args: [profileId],
  });
  return ids.rows;
}

/** An older page of a live profile's timeline; null when there is no such profile. */
export async function getTimeline(
  db: Db,
  id: string,
  before: string,
  limit = TIMELINE_PAGE,
): Promise<{ timeline: TimelineItem[]; olderCursor: string | null } | null> {
  const cursor = readTimelineCursor(before);
  if (!cursor) throw new Refused('invalid', 'invalid_query', 'before: not a timeline cursor', 'before');
  const row = await liveProfileRow(db, id);
  if (!row) return null;
  const keys = (await profileKeys(db, String(row.id))).map((r) => String(r.key));
  return timelinePage(db, String(row.site_id), keys, cursor, limit);
}

/** The profile (following merges to the survivor), its identifiers and its newest events, oldest first. */
export async function getProfile(
  db: Db,
  id: string,
  timelineLimit = TIMELINE_PAGE,
  mint?: MintReferralCode,
): Promise<{ profile: ProfileDetail; timeline: TimelineItem[]; olderCursor: string | null } | null> {
  const row = await liveProfileRow(db, id);
  if (!row) return null;
  const summary = summaryFromRow(row);
  const rows = await profileKeys(db, summary.id);
  const keys = rows.map((r) => String(r.key));
  const identifiers = rows.map((r) =>
    identifierOf(String(r.key), Number(r.verified) === 1, r.shared_at !== null),
  );
  const extra = await profileExtras(db, summary.siteId, summary.id, keys, row, mint);
  const page = await timelinePage(db, summary.siteId, keys, null, timelineLimit);
  const recomputing = Number(row.recomputing) === 1;
  const owner = await ownerAndTags(db, summary.id, summary.ownerId ?? null);
  return {
    profile: { ...summary, identifiers, ...extra, ...owner, ...(recomputing ? { recomputing } : {}) },
    ...page,
  };
}

/** The profile's owner (a user) and the tags automations gave it. */
async function ownerAndTags(db: Db, id: string, ownerId: string | null) {
  const tags = await db.execute({
    sql: 'SELECT tag FROM profile_tags WHERE profile_id = ? ORDER BY created_at, tag',
    args: [id],
  });
  const owner = ownerId
    ? (await db.execute({ sql: 'SELECT email FROM users WHERE id = ?', args: [ownerId] })).rows[0]
    : undefined;
  return {
    ownerEmail: owner ? String(owner.email) : null,
    tags: tags.rows.map((r) => String(r.tag)),
  };
}

/** Links touching the profile's identifiers, warnings, merges, touches and the stage history. */
async function profileExtras(
  db: Db,
  siteId: string,
  profileId: string,
  keys: string[],
  row: Record<string, unknown>,
  mint?: MintReferralCode,
): Promise<Partial<ProfileDetail>> {
  let links: LinkSummary[] = [];
  if (keys.length) {
    // A browser several people used holds links for each of them: a link is this profile's when the part of
    // the browser its evidence falls in is (a marketer's link names its part literally).
    const browsers = [
      ...new Set(keys.filter((k) => k.startsWith('a:') || k.startsWith('s:')).map(browserOf)),
    ];
    const asked = [...new Set([...keys, ...browsers])];
    const marks = asked.map(() => '?').join(', ');
    const rs = await db.execute({
      sql: `SELECT * FROM links WHERE site_id = ? AND (a IN (${marks}) OR b IN (${marks})) ORDER BY ts, id LIMIT 500`,
      args: [siteId, ...asked, ...asked],
    });
    const parts = new Map<string, SwitchPoint[]>();
    if (browsers.length) {
      const seg = await db.execute({
        sql: `SELECT key, segments FROM identities WHERE site_id = ? AND segments IS NOT NULL AND key IN (${browsers.map(() => '?').join(', ')})`,
        args: [siteId, ...browsers],
      });
      for (const r of seg.rows) parts.set(String(r.key), JSON.parse(String(r.segments)) as SwitchPoint[]);
    }
    const own = new Set(keys);
    const placed = (k: string, r: Record<string, unknown>) => {
      const points = parts.get(k);
      if (!points || r.decision === 'manual' || r.decision === 'accepted') return k;
      return segmentAt(k, points, Number(r.ts), String(r.message_id));
    };
    links = rs.rows
      .map((r) => r as Record<string, unknown>)
      .filter((r) => own.has(placed(String(r.a), r)) || own.has(placed(String(r.b), r)))
      .map((r) => linkSummary(r));
  }
  const ms = await db.execute({
    sql: 'SELECT * FROM merges WHERE survivor_id = ? OR merged_id = ? ORDER BY created_at, id',
    args: [profileId, profileId],
  });
  const merges = ms.rows.map((r) => mergeSummary(r as Record<string, unknown>));
  const state = row.state ? (JSON.parse(String(row.state)) as ProfileState) : null;
  const ov = await db.execute({
    sql: 'SELECT stage, reason, at FROM stage_overrides WHERE profile_id = ?',
    args: [profileId],
  });
  const override: StageOverride | null = ov.rows[0]
    ? {
        stage: String(ov.rows[0].stage) as StageOverride['stage'],
        reason: String(ov.rows[0].reason),
        at: Number(ov.rows[0].at),
      }
    : null;
  const warnings: ProfileDetail['warnings'] = [...(state?.warnings ?? [])];
  for (const l of links) {
    if (l.status === 'quarantined' || l.status === 'conflict' || l.status === 'proposal') {
      warnings.push({
        kind: 'link',
        value: `${l.a.value} ↔ ${l.b.value}`,
        reason: `${l.status}: ${l.reason ?? ''}`,
      });
    }
  }
  const referral = await profileReferrals(db, siteId, profileId, keys, mint);
  const history = state ? lifecycle(state, override, referral.evidence).history : [];
  return {
    links,
    warnings,
    merges,
    leadTouch: recordSummary(state?.leadTouch ?? null),
    lastTouch: recordSummary(state?.lastTouch ?? null),
    stageHistory: history.map((h) => ({ ...h, at: iso(h.at) })),
    scoreParts: state?.scoreParts ?? {},
    referredBy: state?.referredBy ?? null,
    referralCode: referral.referralCode,
    referrals: referral.referrals.map((r) => ({ ...r, at: iso(r.at) })),
    advocate: state ? isAdvocate(state, referral.evidence) : false,
    ...(state ? { billing: billingSummary(state, Date.now()) } : {}),
  };
}
