// What the inbox shows beside its conversations: the leads no person has answered yet (speed to lead), and a
// conversation's visitor — profile, lead clock, this session's pages and the page they are on now.
import type {
  ConversationContextReply,
  InboxLeadsReply,
  LeadStartKind,
  SeenPage,
  Stage,
  UnansweredLead,
} from '../../../wire.ts';
import type { SwitchPoint } from '../../identity/graph.ts';
import { profileOfKey } from './leads.ts';
import { touchSummary } from './profiles.ts';
import type { Exec } from './writer.ts';

type Row = Record<string, unknown>;

/** Speed to lead is measured against five minutes (overview.ts); a lead waiting longer is overdue. */
const ANSWER_WITHIN_MS = 5 * 60_000;
/** A pause this long between a browser's events ends its session. */
const SESSION_GAP_MS = 30 * 60_000;
/** A session shows at most this many pages, read from at most this many of the browser's latest events. */
const SESSION_PAGES = 20;
const SESSION_EVENTS = 200;

const iso = (ms: unknown) => new Date(Number(ms)).toISOString();
const text = (v: unknown) => (v == null ? null : String(v));

/**
 * The conversation of a profile's browser: an `a:` key is the browser itself, an `s:` key a later person's part
 * of it ('s:' + anonymous id + '~' + ten characters, identity/graph.ts).
 */
const CONVERSATION_OF = (profile: string) => `(SELECT json_array(c.id, c.anonymous_id) FROM identities i
    JOIN conversations c ON c.site_id = i.site_id AND c.anonymous_id =
      CASE substr(i.key, 1, 2) WHEN 'a:' THEN substr(i.key, 3) WHEN 's:' THEN substr(i.key, 3, length(i.key) - 13) END
    WHERE i.profile_id IN (${profile}) AND substr(i.key, 1, 2) IN ('a:', 's:')
    ORDER BY c.updated_at DESC LIMIT 1)`;

/** Leads whose first human answer has not come, oldest first, each as its live profile (following merges). */
export async function unansweredLeads(
  db: Exec,
  filter: { siteId?: string; limit: number },
): Promise<InboxLeadsReply> {
  const site = filter.siteId ? 'AND site_id = ?' : '';
  const siteArgs = filter.siteId ? [filter.siteId] : [];
  const rs = await db.execute({
    sql: `WITH RECURSIVE waiting AS (
            SELECT profile_id, site_id, started_at, start_kind, channel FROM lead_responses
            WHERE first_human_at IS NULL ${site} ORDER BY started_at, profile_id LIMIT ?
          ),
          chain(lead, id, merged_into, hops) AS (
            SELECT w.profile_id, p.id, p.merged_into, 0 FROM waiting w JOIN profiles p ON p.id = w.profile_id
            UNION ALL
            SELECT ch.lead, p.id, p.merged_into, ch.hops + 1 FROM chain ch JOIN profiles p ON p.id = ch.merged_into
            WHERE ch.hops < 20
          )
          SELECT w.*, p.id AS live_id, p.email, p.name, ${CONVERSATION_OF('p.id, w.profile_id')} AS conversation
          FROM waiting w JOIN chain ch ON ch.lead = w.profile_id AND ch.merged_into IS NULL
          JOIN profiles p ON p.id = ch.id
          ORDER BY w.started_at, w.profile_id`,
    args: [...siteArgs, filter.limit],
  });
  const total = await db.execute({
    sql: `SELECT COUNT(*) AS n FROM lead_responses WHERE first_human_at IS NULL ${site}`,
    args: siteArgs,
  });
  const now = Date.now();
  const seen = new Set<string>();
  const leads: UnansweredLead[] = [];
  for (const r of rs.rows) {
    // Two clocks of profiles merged since are one person: the older clock stands for both.
    const id = String(r.live_id);
    if (seen.has(id)) continue;
    seen.add(id);
    const started = Number(r.started_at);
    const ageMs = Math.max(0, now - started);
    const [conversationId, anonymousId] = r.conversation
      ? (JSON.parse(String(r.conversation)) as [string, string])
      : [null, null];
    leads.push({
      profileId: id,
      siteId: String(r.site_id),
      email: text(r.email),
      name: text(r.name),
      channel: String(r.channel),
      startedAt: iso(started),
      startKind: String(r.start_kind) as LeadStartKind,
      ageMs,
      overdue: ageMs > ANSWER_WITHIN_MS,
      conversationId,
      anonymousId,
    });
  }
  return { leads, total: Number(total.rows[0].n) };
}

/** A page event as the page it shows; null for an event that names no page. */
function seenPage(body: unknown, ts: number): SeenPage | null {
  let e: { name?: unknown; context?: { page?: Row }; properties?: Row };
  try {
    e = JSON.parse(String(body)) as typeof e;
  } catch {
    return null;
  }
  const page = e.context?.page ?? {};
  const props = e.properties ?? {};
  const str = (...xs: unknown[]) =>
    (xs.find((x) => typeof x === 'string' && x) as string | undefined) ?? null;
  const url = str(page.url, props.url);
  let path = str(page.path, props.path);
  if (!path && url) {
    try {
      path = new URL(url).pathname;
    } catch {
      path = null;
    }
  }
  const title = str(page.title, props.title, e.name);
  return url || path || title ? { url, path, title, at: iso(ts) } : null;
}

/** The conversation's visitor: profile, lead clock, this session's pages and the current page; null when none. */
export async function conversationContext(db: Exec, id: string): Promise<ConversationContextReply | null> {
  const conv = await db.execute({
    sql: 'SELECT site_id, anonymous_id FROM conversations WHERE id = ?',
    args: [id],
  });
  if (!conv.rows[0]) return null;
  const siteId = String(conv.rows[0].site_id);
  const browser = `a:${String(conv.rows[0].anonymous_id)}`;
  // A browser several people used holds each later person's events under a part key of its own (its segments):
  // the browser's events are all of its parts', and the person chatting now is its latest part's.
  const node = await db.execute({
    sql: 'SELECT segments FROM identities WHERE site_id = ? AND key = ?',
    args: [siteId, browser],
  });
  const parts = node.rows[0]?.segments
    ? (JSON.parse(String(node.rows[0].segments)) as SwitchPoint[]).map((p) => p.key)
    : [];
  const keys = [browser, ...parts];
  const profileId =
    (await profileOfKey(db, siteId, keys[keys.length - 1])) ?? (await profileOfKey(db, siteId, browser));
  const [profile, lead] = profileId ? await profileAndLead(db, profileId) : [null, null];
  const { pages, currentPage } = await session(db, siteId, keys);
  return { profile, lead, pages, currentPage };
}

async function profileAndLead(
  db: Exec,
  profileId: string,
): Promise<[ConversationContextReply['profile'], ConversationContextReply['lead']]> {
  const rs = await db.execute({
    sql: `SELECT p.id, p.email, p.name, p.stage, p.score, p.owner_id, p.first_touch, u.email AS owner_email
          FROM profiles p LEFT JOIN users u ON u.id = p.owner_id WHERE p.id = ?`,
    args: [profileId],
  });
  const r = rs.rows[0];
  if (!r) return [null, null];
  const profile = {
    id: String(r.id),
    email: text(r.email),
    name: text(r.name),
    stage: String(r.stage) as Stage,
    leadScore: Number(r.score ?? 0),
    ownerId: text(r.owner_id),
    ownerEmail: text(r.owner_email),
    firstTouch: touchSummary(r.first_touch),
  };
  // Its own clock or one of a profile merged into it (leads.ts answers them together): the first started.
  const clock = await db.execute({
    sql: `SELECT started_at, start_kind, first_human_at FROM lead_responses
          WHERE profile_id IN (SELECT id FROM profiles WHERE id = ? OR merged_into = ?)
          ORDER BY started_at LIMIT 1`,
    args: [profileId, profileId],
  });
  const c = clock.rows[0];
  if (!c) return [profile, null];
  const started = Number(c.started_at);
  const answered = c.first_human_at == null ? null : Number(c.first_human_at);
  const lead = {
    startedAt: iso(started),
    startKind: String(c.start_kind) as LeadStartKind,
    answeredAt: answered === null ? null : iso(answered),
    overdue:
      answered === null ? Date.now() - started > ANSWER_WITHIN_MS : answered - started > ANSWER_WITHIN_MS,
  };
  return [profile, lead];
}

/**
 * The browser's latest session: its events newest first back to the first pause of 30 minutes, the page events
 * among them (at most 20), and its latest page even when that was before the pause.
 */
async function session(
  db: Exec,
  siteId: string,
  keys: string[],
): Promise<{ pages: SeenPage[]; currentPage: SeenPage | null }> {
  // One query per key, each a seek on events(site_id, ident, ts) from the newest: a long history costs nothing.
  const rows: { type: string; ts: number; body: unknown }[] = [];
  for (const key of keys) {
    const rs = await db.execute({
      sql: 'SELECT type, ts, body FROM events WHERE site_id = ? AND ident = ? ORDER BY ts DESC, seq DESC LIMIT ?',
      args: [siteId, key, SESSION_EVENTS],
    });
    for (const r of rs.rows) rows.push({ type: String(r.type), ts: Number(r.ts), body: r.body });
  }
  rows.sort((a, b) => b.ts - a.ts);
  const events = rows.slice(0, SESSION_EVENTS);
  const pages: SeenPage[] = [];
  let currentPage: SeenPage | null = null;
  let inSession = true;
  let previous: number | null = null;
  for (const e of events) {
    if (previous !== null && previous - e.ts > SESSION_GAP_MS) inSession = false;
    previous = e.ts;
    const page = e.type === 'page' ? seenPage(e.body, e.ts) : null;
    if (page) {
      currentPage ??= page;
      if (inSession && pages.length < SESSION_PAGES) pages.push(page);
    }
    if (currentPage && (!inSession || pages.length >= SESSION_PAGES)) break;
  }
  if (!currentPage) {
    // No page among the latest events (a long chat, many clicks): the latest page before them.
    for (const key of keys) {
      const rs = await db.execute({
        sql: `SELECT ts, body FROM events WHERE site_id = ? AND ident = ? AND type = 'page'
              ORDER BY ts DESC, seq DESC LIMIT 1`,
        args: [siteId, key],
      });
      const r = rs.rows[0];
      const page = r ? seenPage(r.body, Number(r.ts)) : null;
      if (page && (!currentPage || page.at > currentPage.at)) currentPage = page;
    }
  }
  return { pages, currentPage };
}
