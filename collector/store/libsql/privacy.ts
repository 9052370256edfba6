// Privacy, all of its SQL: a profile's export, its erasure (one write transaction, a receipt without personal data,
// tombstones of the hashed identifiers, then a WAL checkpoint so the bytes leave the files), the tombstone check of
// the ingest commit, and retention: raw events older than a site's period are purged in small write jobs, and
// what they folded into their profile is kept as its purged history (`history_bases`), which a later refold (a
// late event, a merge) starts from instead of from nothing.
import { createHash } from 'node:crypto';
import {
  EVENTS,
  type ErasureReceipt,
  type ExportedEvent,
  type FollowUpTask,
  type ProfileExport,
  type Stage,
  type WireEvent,
} from '../../../wire.ts';
import { newId } from '../../admin/secrets.ts';
import type { ProfileChange } from '../../identity/changes.ts';
import { eventTouches } from '../../identity/channels.ts';
import { segmentBase } from '../../identity/graph.ts';
import {
  derive,
  eventOrder,
  type FoldEvent,
  foldEvent,
  type ProfileState,
  type Stated,
} from '../../identity/profile.ts';
import { type IdentitySettings, retentionDays } from '../../identity/rules.ts';
import { Refused } from '../errors.ts';
import type { ErasureBy, PrivacyStore, PurgeResult } from '../types.ts';
import { type Db as Client, filePath } from './client.ts';
import { getProfile, identifierOf, liveProfileRow, linkSummary } from './profiles.ts';
import { eventFromRow, type StitchEvent } from './stitch/rows.ts';
import { restageReferrers } from './stitch/referrals.ts';
import { siteSettings } from './stitch/settings.ts';
import { appendChanges } from './stitch/writes.ts';
import { type Arg, chunks, qs, rowsOf, selectIn } from './stitch/sql.ts';
import type { Exec, WriteFn } from './writer.ts';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (x: unknown) => (x === null || x === undefined ? null : iso(Number(x)));
const str = (x: unknown) => (x === null || x === undefined ? null : String(x));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Evidence order: its time, then its event's messageId. */
const byAt = (a: { at: number; messageId: string }, b: { at: number; messageId: string }) =>
  a.at - b.at || (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0);

// ---- Tombstones ----

/** An erased identity key as kept: SHA-256 of the site and the key, so one site's tombstone names no one elsewhere. */
export function tombstoneHash(siteId: string, key: string): string {
  return createHash('sha256').update(`${siteId}\n${key}`).digest('hex');
}

const eventKeys = (e: StitchEvent) => [...new Set([e.identity.owner, ...e.identity.ids.map((i) => i.key)])];

/**
 * The events of one site's commit group that must not be stored, by messageId: those naming an erased identifier
 * (a retry queued before the erasure must not bring the person back), and those dated in the purged past (older
 * than the site's retention period, or at or before where its purge has reached). One query per group.
 */
export async function refusedEvents(
  tx: Exec,
  siteId: string,
  events: StitchEvent[],
  settings: IdentitySettings,
  now: number,
): Promise<Set<string>> {
  const hashOf = new Map<string, string>();
  for (const e of events)
    for (const k of eventKeys(e)) if (!hashOf.has(k)) hashOf.set(k, tombstoneHash(siteId, k));
  const rs = await tx.execute({
    sql: `SELECT key_hash, NULL AS horizon FROM erased_keys
            WHERE site_id = ? AND key_hash IN (SELECT value FROM json_each(?))
          UNION ALL SELECT NULL, horizon FROM purge_state WHERE site_id = ?`,
    args: [siteId, JSON.stringify([...hashOf.values()]), siteId],
  });
  const erased = new Set<string>();
  let before = settings.retentionDays ? now - settings.retentionDays * DAY : -Infinity;
  for (const r of rs.rows) {
    if (r.key_hash !== null && r.key_hash !== undefined) erased.add(String(r.key_hash));
    else before = Math.max(before, Number(r.horizon) + 1);
  }
  const out = new Set<string>();
  for (const e of events) {
    if (e.ts < before || (erased.size && eventKeys(e).some((k) => erased.has(hashOf.get(k)!))))
      out.add(e.messageId);
  }
  return out;
}

// ---- Purged history (retention) ----

/** The stronger of two stated values: verified over claimed, then the later one. */
function stronger<T extends Stated & { role?: boolean }>(a: T | null, b: T | null): T | null {
  if (!a || !b) return a ?? b;
  if (!!a.role !== !!b.role) return a.role ? b : a;
  if (!!a.verified !== !!b.verified) return a.verified ? a : b;
  return byAt(b, a) > 0 ? b : a;
}

/**
 * The purged histories of profiles that merged, as one: widened times, summed counts and scores, the earliest
 * first touch, lead and qualification, the latest last touch, the stronger of each stated field, every payment.
 * Exact when one of them is empty; otherwise as close as folded states allow (their events are gone).
 */
export function combineHistories(states: ProfileState[]): ProfileState {
  const [first, ...rest] = [...states]
    .sort((a, b) => a.firstSeen - b.firstSeen)
    .map((s) => structuredClone(s));
  const p = first;
  for (const q of rest) {
    p.firstSeen = Math.min(p.firstSeen, q.firstSeen);
    p.lastSeen = Math.max(p.lastSeen, q.lastSeen);
    const qLast = { ts: q.lastKey[0], messageId: q.lastKey[1] };
    if (eventOrder(qLast, { ts: p.lastKey[0], messageId: p.lastKey[1] }) > 0) p.lastKey = q.lastKey;
    p.eventCount += q.eventCount;
    p.email = stronger(p.email, q.email);
    p.userId = stronger(p.userId, q.userId);
    p.name = stronger(p.name, q.name);
    p.phone = stronger(p.phone, q.phone);
    p.company = stronger(p.company, q.company);
    if (q.firstTouch && (!p.firstTouch || q.firstTouch.at < p.firstTouch.at)) p.firstTouch = q.firstTouch;
    if (q.lastTouch && (!p.lastTouch || q.lastTouch.at > p.lastTouch.at)) p.lastTouch = q.lastTouch;
    if (q.lead && (!p.lead || q.lead.at < p.lead.at)) {
      p.lead = q.lead;
      p.leadTouch = q.leadTouch;
      p.leadReferredBy = q.leadReferredBy;
    }
    if (q.qualified && (!p.qualified || q.qualified.at < p.qualified.at)) p.qualified = q.qualified;
    p.touchIds = [...new Set([...p.touchIds, ...q.touchIds])].slice(0, 50);
    p.sessions += q.sessions;
    p.score += q.score;
    for (const k of Object.keys(p.scoreParts) as (keyof ProfileState['scoreParts'])[])
      p.scoreParts[k] += q.scoreParts[k] ?? 0;
    for (const x of q.payments) if (!p.payments.some((y) => y.id === x.id)) p.payments.push(x);
    p.payments.sort(byAt);
    const failures = [...(p.failures ?? [])];
    for (const f of q.failures ?? [])
      if (!failures.some((g) => g.messageId === f.messageId)) failures.push(f);
    p.failures = failures.sort(byAt).slice(-50);
    for (const r of q.renewals) if (!p.renewals.some((x) => x.messageId === r.messageId)) p.renewals.push(r);
    p.renewals.sort(byAt);
    p.referredBy ??= q.referredBy;
    for (const w of q.warnings)
      if (p.warnings.length < 20 && !p.warnings.some((x) => x.kind === w.kind && x.value === w.value))
        p.warnings.push(w);
  }
  return p;
}

interface FoundBases {
  /** Each profile's purged history (several combined). */
  states: Map<string, ProfileState>;
  /** The bases each profile took. */
  ids: Map<string, string[]>;
}

/**
 * The stored purged histories of profiles about to be folded again (`keysOf`: each profile and its identifiers).
 * A base belongs to the profile it was made for while that profile is folded here or still holds identifiers;
 * once it holds none (merged away), to the profile that holds most of the base's identifiers.
 */
async function findBases(db: Exec, siteId: string, keysOf: Map<string, Set<string>>): Promise<FoundBases> {
  const found: FoundBases = { states: new Map(), ids: new Map() };
  const owner = new Map<string, string>();
  for (const [pid, keys] of keysOf) for (const k of keys) owner.set(k, pid);
  if (!owner.size) return found;
  const rs = await db.execute({
    sql: `SELECT k.key, b.id, b.profile_id, b.state FROM history_base_keys k JOIN history_bases b ON b.id = k.base_id
          WHERE k.site_id = ? AND k.key IN (SELECT value FROM json_each(?))`,
    args: [siteId, JSON.stringify([...owner.keys()])],
  });
  if (!rs.rows.length) return found;
  const bases = new Map<string, { madeFor: string; state: string; hits: Map<string, number> }>();
  for (const r of rs.rows) {
    const id = String(r.id);
    let b = bases.get(id);
    if (!b) bases.set(id, (b = { madeFor: String(r.profile_id), state: String(r.state), hits: new Map() }));
    const pid = owner.get(String(r.key))!;
    b.hits.set(pid, (b.hits.get(pid) ?? 0) + 1);
  }
  const others = [...new Set([...bases.values()].map((b) => b.madeFor).filter((p) => !keysOf.has(p)))];
  const holding = new Set(
    (
      await selectIn(
        db,
        (m) => `SELECT DISTINCT profile_id FROM identities WHERE profile_id IN (${m})`,
        [],
        others,
      )
    ).map((r) => String(r.profile_id)),
  );
  const given = new Map<string, ProfileState[]>();
  for (const [id, b] of bases) {
    let to: string | null = null;
    if (keysOf.has(b.madeFor)) to = b.madeFor;
    else if (!holding.has(b.madeFor))
      to = [...b.hits].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0][0];
    if (!to) continue;
    if (!given.has(to)) given.set(to, []);
    given.get(to)!.push(JSON.parse(b.state) as ProfileState);
    if (!found.ids.has(to)) found.ids.set(to, []);
    found.ids.get(to)!.push(id);
  }
  for (const [pid, list] of given)
    found.states.set(pid, list.length === 1 ? list[0] : combineHistories(list));
  return found;
}

/**
 * The purged history (retention) of each profile about to be folded again from the events table, by profile id;
 * a profile whose events were never purged has none. Read by the refold of a commit and by the refolder.
 */
export async function purgedHistory(
  db: Exec,
  siteId: string,
  keysOf: Map<string, Set<string>>,
): Promise<Map<string, ProfileState>> {
  return (await findBases(db, siteId, keysOf)).states;
}

/**
 * Folds a profile's events (those still stored) onto its purged history, or from scratch when it has none:
 * the purged events all come before the stored ones, so this is the fold of its whole history.
 */
export function deriveFrom(
  base: ProfileState | undefined,
  events: FoldEvent[],
  keys: ReadonlySet<string>,
  settings: IdentitySettings,
): ProfileState {
  if (!base) return derive(events, keys, settings);
  const p = structuredClone(base);
  for (const e of [...events].sort(eventOrder)) foldEvent(p, e, keys, settings);
  return p;
}

/**
 * One purge job: the site's oldest events before `cutoff` (never splitting one millisecond's events), folded onto
 * their profiles' purged histories, then deleted with their touches; the site's horizon moves to them.
 */
async function purgeBatch(
  tx: Exec,
  siteId: string,
  cutoff: number,
  batch: number,
  now: number,
): Promise<PurgeResult> {
  const COLUMNS = 'seq, message_id, event, ident, ts, body, proof';
  let rows = (
    await tx.execute({
      sql: `SELECT ${COLUMNS} FROM events WHERE site_id = ? AND ts < ? ORDER BY ts LIMIT ?`,
      args: [siteId, cutoff, batch],
    })
  ).rows as Record<string, unknown>[];
  if (!rows.length) return { events: 0, more: false };
  const full = rows.length >= batch;
  let horizon = cutoff - 1;
  if (full) {
    const last = Number(rows[rows.length - 1].ts);
    if (Number(rows[0].ts) < last) {
      rows = rows.filter((r) => Number(r.ts) < last);
      horizon = last - 1;
    } else {
      rows = (
        await tx.execute({
          sql: `SELECT ${COLUMNS} FROM events WHERE site_id = ? AND ts = ?`,
          args: [siteId, last],
        })
      ).rows as Record<string, unknown>[];
      horizon = last;
    }
  }
  const settings = await siteSettings(tx, siteId);
  const idents = [...new Set(rows.map((r) => String(r.ident)))];
  const profileOf = new Map<string, string>();
  for (const r of await selectIn(
    tx,
    (m) => `SELECT key, profile_id FROM identities WHERE site_id = ? AND key IN (${m})`,
    [siteId],
    idents,
  ))
    profileOf.set(String(r.key), String(r.profile_id));
  const keysOf = new Map<string, Set<string>>();
  for (const pid of new Set(profileOf.values())) keysOf.set(pid, new Set());
  for (const r of await selectIn(
    tx,
    (m) => `SELECT key, profile_id FROM identities WHERE site_id = ? AND profile_id IN (${m})`,
    [siteId],
    [...keysOf.keys()],
  ))
    keysOf.get(String(r.profile_id))?.add(String(r.key));
  const bases = await findBases(tx, siteId, keysOf);
  const byProfile = new Map<string, Record<string, unknown>[]>();
  for (const r of rows) {
    const pid = profileOf.get(String(r.ident));
    // An event no identifier holds any more belongs to no profile: it only goes.
    if (!pid) continue;
    if (!byProfile.has(pid)) byProfile.set(pid, []);
    byProfile.get(pid)!.push(r);
  }
  for (const [pid, list] of byProfile) {
    const keys = keysOf.get(pid)!;
    const state = deriveFrom(
      bases.states.get(pid),
      list.map((r) => eventFromRow(r, settings)),
      keys,
      settings,
    );
    const taken = bases.ids.get(pid) ?? [];
    const baseKeys = new Set(list.map((r) => String(r.ident)));
    if (taken.length) {
      for (const r of await selectIn(
        tx,
        (m) => `SELECT key FROM history_base_keys WHERE base_id IN (${m})`,
        [],
        taken,
      ))
        baseKeys.add(String(r.key));
      await tx.execute({
        sql: `DELETE FROM history_base_keys WHERE base_id IN (${qs(taken.length)})`,
        args: taken,
      });
      await tx.execute({ sql: `DELETE FROM history_bases WHERE id IN (${qs(taken.length)})`, args: taken });
    }
    const id = newId();
    await tx.execute({
      sql: `INSERT INTO history_bases (id, site_id, profile_id, horizon, events, state) VALUES (?, ?, ?, ?, ?, ?)`,
      args: [id, siteId, pid, horizon, state.eventCount, JSON.stringify(state)],
    });
    for (const part of chunks([...baseKeys])) {
      await tx.execute({
        sql: `INSERT INTO history_base_keys (site_id, key, base_id) VALUES ${rowsOf(part.length, 3)}
              ON CONFLICT (site_id, key) DO UPDATE SET base_id = excluded.base_id`,
        args: part.flatMap((k) => [siteId, k, id]),
      });
    }
  }
  // The events go, and the touches they told of (kept for attribution, already folded into the profile).
  const touchIds = new Set<string>();
  for (const r of rows) {
    const raw = JSON.parse(String(r.body)) as WireEvent;
    for (const t of eventTouches(raw, Number(r.ts), String(r.message_id), settings))
      touchIds.add(t.messageId);
  }
  for (const part of chunks([...touchIds], 500))
    await tx.execute({
      sql: `DELETE FROM touches WHERE site_id = ? AND touch_id IN (${qs(part.length)})`,
      args: [siteId, ...part],
    });
  for (const part of chunks(
    rows.map((r) => Number(r.seq)),
    500,
  ))
    await tx.execute({ sql: `DELETE FROM events WHERE seq IN (${qs(part.length)})`, args: part });
  await tx.execute({
    sql: `INSERT INTO purge_state (site_id, horizon, purged, purged_at) VALUES (?, ?, ?, ?)
          ON CONFLICT (site_id) DO UPDATE SET horizon = MAX(horizon, excluded.horizon),
            purged = purged + excluded.purged, purged_at = excluded.purged_at`,
    args: [siteId, horizon, rows.length, now],
  });
  return { events: rows.length, more: full };
}

// ---- Export and erasure: who the person is ----

interface Person {
  live: Record<string, unknown>;
  siteId: string;
  /** The live profile first, then every profile merged into it. */
  ids: string[];
  merged: Record<string, unknown>[];
  /** Their identity keys (identities rows). */
  keyRows: Record<string, unknown>[];
  keys: string[];
}

/** The live profile of `id` (following merges), the retired profiles that point into it, and its identifiers. */
async function findPerson(db: Exec, id: string): Promise<Person | null> {
  const live = await liveProfileRow(db, id);
  if (!live) return null;
  const liveId = String(live.id);
  const siteId = String(live.site_id);
  const ids = [liveId];
  const merged: Record<string, unknown>[] = [];
  const tried = new Set(ids);
  const retired: Record<string, unknown>[] = [];
  // Retired profiles are found by the merges that retired them and by the first profile of each identifier
  // (home_profile); each is taken only if its merged_into points into this person (an unmerged one is not).
  for (let round = 0; round < 50; round++) {
    const candidates = new Set<string>();
    for (const r of await selectIn(
      db,
      (m) => `SELECT merged_id AS id FROM merges WHERE survivor_id IN (${m})`,
      [],
      ids,
    ))
      candidates.add(String(r.id));
    for (const r of await selectIn(
      db,
      (m) => `SELECT DISTINCT home_profile AS id FROM identities WHERE profile_id IN (${m})`,
      [],
      ids,
    ))
      if (r.id) candidates.add(String(r.id));
    const fresh = [...candidates].filter((c) => !tried.has(c));
    if (!fresh.length) break;
    for (const c of fresh) tried.add(c);
    retired.push(
      ...(await selectIn(
        db,
        (m) => `SELECT * FROM profiles WHERE id IN (${m}) AND merged_into IS NOT NULL`,
        [],
        fresh,
      )),
    );
    for (let added = true; added;) {
      added = false;
      for (const r of retired) {
        if (!ids.includes(String(r.id)) && ids.includes(String(r.merged_into))) {
          ids.push(String(r.id));
          merged.push(r);
          added = true;
        }
      }
    }
  }
  const keyRows = await selectIn(
    db,
    (m) =>
      `SELECT key, verified, shared_at, created_at FROM identities WHERE site_id = ? AND profile_id IN (${m})
       ORDER BY created_at, key`,
    [siteId],
    ids,
  );
  return { live, siteId, ids, merged, keyRows, keys: keyRows.map((r) => String(r.key)) };
}

/** The browsers (anonymous ids) a person's conversations are with: their own browsers, not shared ones' parts. */
const browsersOf = (keys: string[]) => keys.filter((k) => k.startsWith('a:')).map((k) => k.slice(2));

/** The email addresses a person is known by: identifiers and the profile rows' contact email. */
function emailsOf(p: Person): string[] {
  const out = new Set(p.keys.filter((k) => k.startsWith('e:')).map((k) => k.slice(2)));
  for (const r of [p.live, ...p.merged]) if (r.email) out.add(String(r.email).toLowerCase());
  return [...out];
}

function exportedEvent(r: Record<string, unknown>): ExportedEvent {
  return {
    messageId: String(r.message_id),
    type: String(r.type),
    event: str(r.event),
    at: iso(Number(r.ts)),
    receivedAt: iso(Number(r.received_at)),
    ident: String(r.ident),
    proof: str(r.proof),
    body: JSON.parse(String(r.body)) as WireEvent,
  };
}

async function exportProfile(
  db: Client,
  id: string,
  tasksOf: (profileId: string) => Promise<FollowUpTask[]>,
): Promise<ProfileExport | null> {
  const p = await findPerson(db, id);
  if (!p) return null;
  const liveId = String(p.live.id);
  const got = await getProfile(db, liveId, 1);
  if (!got) return null;
  const { profile } = got;
  const events = (
    await selectIn(
      db,
      (m) =>
        `SELECT message_id, type, event, ident, ts, received_at, body, proof, seq FROM events
         WHERE site_id = ? AND ident IN (${m})`,
      [p.siteId],
      p.keys,
    )
  )
    .sort((a, b) => Number(a.ts) - Number(b.ts) || Number(a.seq) - Number(b.seq))
    .map(exportedEvent);
  const settings = await siteSettings(db, p.siteId);
  const touchIds = new Set<string>();
  for (const e of events)
    for (const t of eventTouches(e.body, Date.parse(e.at), e.messageId, settings)) touchIds.add(t.messageId);
  const touches = (
    await selectIn(
      db,
      (m) =>
        `SELECT touch_id, message_id, ts, channel, touch FROM touches WHERE site_id = ? AND touch_id IN (${m})`,
      [p.siteId],
      [...touchIds],
    )
  ).map((r) => ({
    id: String(r.touch_id),
    messageId: String(r.message_id),
    at: iso(Number(r.ts)),
    channel: String(r.channel),
    touch: JSON.parse(String(r.touch)) as Record<string, unknown>,
  }));
  const emails = emailsOf(p);
  const conversationRows = await db.execute({
    sql: `SELECT * FROM conversations WHERE site_id = ? AND (anonymous_id IN (SELECT value FROM json_each(?))
            OR lower(email) IN (SELECT value FROM json_each(?))) ORDER BY created_at, id`,
    args: [p.siteId, JSON.stringify(browsersOf(p.keys)), JSON.stringify(emails)],
  });
  const conversations: ProfileExport['conversations'] = [];
  for (const c of conversationRows.rows) {
    const messages = await db.execute({
      sql: 'SELECT seq, id, author, user_id, text, at FROM chat_messages WHERE conversation_id = ? ORDER BY seq',
      args: [String(c.id)],
    });
    conversations.push({
      id: String(c.id),
      anonymousId: String(c.anonymous_id),
      email: str(c.email),
      status: String(c.status),
      createdAt: iso(Number(c.created_at)),
      updatedAt: iso(Number(c.updated_at)),
      messages: messages.rows.map((m) => ({
        seq: Number(m.seq),
        id: String(m.id),
        author: String(m.author) as ProfileExport['conversations'][number]['messages'][number]['author'],
        userId: str(m.user_id),
        text: String(m.text),
        at: iso(Number(m.at)),
      })),
    });
  }
  const payments = (
    await db.execute({
      sql: `SELECT * FROM payments WHERE site_id = ? AND (ident IN (SELECT value FROM json_each(?))
              OR (ident IS NULL AND lower(email) IN (SELECT value FROM json_each(?)))) ORDER BY ts, id`,
      args: [p.siteId, JSON.stringify(p.keys), JSON.stringify(emails)],
    })
  ).rows.map((r) => ({
    id: String(r.id),
    invoiceId: str(r.invoice_id),
    paymentId: str(r.payment_id),
    status: String(r.status),
    amount: r.amount === null ? null : Number(r.amount),
    refunded: Number(r.refunded ?? 0),
    currency: str(r.currency),
    method: str(r.method),
    at: iso(Number(r.ts)),
    source: String(r.source),
    customerId: str(r.customer_id),
    email: str(r.email),
  }));
  const ids = JSON.stringify(p.ids);
  const changes = (
    await db.execute({
      sql: `SELECT * FROM profile_changes WHERE profile_id IN (SELECT value FROM json_each(?)) ORDER BY seq`,
      args: [ids],
    })
  ).rows.map((r) => ({
    seq: Number(r.seq),
    siteId: String(r.site_id),
    profileId: String(r.profile_id),
    kind: String(r.kind) as ProfileExport['changes'][number]['kind'],
    detail: JSON.parse(String(r.detail)) as Record<string, unknown>,
    at: iso(Number(r.at)),
    messageId: str(r.message_id),
    createdAt: iso(Number(r.created_at)),
  }));
  const lead = (
    await db.execute({ sql: 'SELECT * FROM lead_responses WHERE profile_id = ?', args: [liveId] })
  ).rows[0];
  const override = (
    await db.execute({
      sql: 'SELECT stage, reason, at FROM stage_overrides WHERE profile_id = ?',
      args: [liveId],
    })
  ).rows[0];
  const links = (
    await db.execute({
      sql: `SELECT * FROM links WHERE site_id = ? AND (a IN (SELECT value FROM json_each(?))
              OR b IN (SELECT value FROM json_each(?))) ORDER BY ts, id`,
      args: [p.siteId, JSON.stringify(p.keys), JSON.stringify(p.keys)],
    })
  ).rows.map((r) => linkSummary(r as Record<string, unknown>));
  const tasks: FollowUpTask[] = [];
  for (const pid of p.ids) tasks.push(...(await tasksOf(pid)));
  const tags = (
    await db.execute({
      sql: `SELECT DISTINCT tag FROM profile_tags WHERE profile_id IN (SELECT value FROM json_each(?)) ORDER BY tag`,
      args: [ids],
    })
  ).rows.map((r) => String(r.tag));
  return {
    exportedAt: iso(Date.now()),
    siteId: p.siteId,
    profile,
    mergedProfiles: p.merged.map((r) => ({
      id: String(r.id),
      email: str(r.email),
      name: str(r.name),
      userId: str(r.user_id),
      firstSeen: iso(Number(r.first_seen)),
      lastSeen: iso(Number(r.last_seen)),
      mergedInto: String(r.merged_into),
    })),
    identifiers: p.keyRows.map((r) => ({
      key: String(r.key),
      ...identifierOf(String(r.key), Number(r.verified) === 1, r.shared_at !== null),
      createdAt: iso(Number(r.created_at)),
    })),
    links,
    stageHistory: profile.stageHistory ?? [],
    stageOverride: override
      ? {
          stage: String(override.stage) as Stage,
          reason: String(override.reason),
          at: iso(Number(override.at)),
        }
      : null,
    events,
    formSubmissions: events.filter((e) => e.type === 'track' && e.event === EVENTS.form),
    touches,
    conversations,
    payments,
    tasks,
    tags,
    changes,
    leadResponse: lead
      ? {
          startedAt: iso(Number(lead.started_at)),
          startKind: String(lead.start_kind),
          channel: String(lead.channel),
          firstAutoAt: isoOrNull(lead.first_auto_at),
          firstHumanAt: isoOrNull(lead.first_human_at),
        }
      : null,
  };
}

/** A reason kept on the receipt must not name the person: no address, none of their identifiers or details. */
function checkReason(reason: string | null, p: Person) {
  if (!reason) return;
  const said = reason.toLowerCase();
  const details = [
    ...p.keys.map((k) => k.slice(2)),
    ...[p.live, ...p.merged].flatMap((r) => [r.email, r.name, r.phone, r.company, r.user_id]),
  ]
    .filter((x): x is string => typeof x === 'string' && x.trim().length >= 3)
    .map((x) => x.trim().toLowerCase());
  if (said.includes('@') || details.some((d) => said.includes(d)))
    throw new Refused(
      'invalid',
      'invalid_body',
      'reason: must not name the person (it is kept on the receipt); say why, such as "access request 2024-17"',
      'reason',
    );
}

/** Deletes and counts: `sql` with the `IN` list filled by `values` in chunks. */
async function deleteIn(
  tx: Exec,
  sql: (marks: string) => string,
  head: Arg[],
  values: Arg[],
): Promise<number> {
  let n = 0;
  for (const part of chunks(values, 500)) {
    if (!part.length) continue;
    n += (await tx.execute({ sql: sql(qs(part.length)), args: [...head, ...part] })).rowsAffected;
  }
  return n;
}

/** The erase job: everything about the person, in one transaction; the receipt it leaves. */
async function eraseIn(tx: Exec, id: string, by: ErasureBy, now: number): Promise<ErasureReceipt | null> {
  const p = await findPerson(tx, id);
  if (!p) return null;
  checkReason(by.reason, p);
  const { siteId, ids, keys } = p;
  const settings = await siteSettings(tx, siteId);
  const counts: Record<string, number> = {};
  const count = (kind: string, n: number) => {
    if (n) counts[kind] = (counts[kind] ?? 0) + n;
  };
  const emails = emailsOf(p);
  const browsers = browsersOf(keys);
  const keysJson = JSON.stringify(keys);
  const idsJson = JSON.stringify(ids);

  // Events, the touches they told of, and the referral reviews kept by their messageId.
  const events = await selectIn(
    tx,
    (m) => `SELECT seq, message_id, ts, body FROM events WHERE site_id = ? AND ident IN (${m})`,
    [siteId],
    keys,
  );
  const touchIds = new Set<string>();
  for (const r of events) {
    const raw = JSON.parse(String(r.body)) as WireEvent;
    for (const t of eventTouches(raw, Number(r.ts), String(r.message_id), settings))
      touchIds.add(t.messageId);
  }
  const messageIds = events.map((r) => String(r.message_id));
  count(
    'touches',
    await deleteIn(
      tx,
      (m) => `DELETE FROM touches WHERE site_id = ? AND touch_id IN (${m})`,
      [siteId],
      [...touchIds],
    ),
  );
  count(
    'referralReviews',
    await deleteIn(
      tx,
      (m) => `DELETE FROM referral_reviews WHERE site_id = ? AND message_id IN (${m})`,
      [siteId],
      messageIds,
    ),
  );
  count(
    'events',
    await deleteIn(
      tx,
      (m) => `DELETE FROM events WHERE seq IN (${m})`,
      [],
      events.map((r) => Number(r.seq)),
    ),
  );

  // The identity graph: links, merges, browsers' acts (their own, and a shared browser's acts naming them).
  count(
    'links',
    (
      await tx.execute({
        sql: `DELETE FROM links WHERE site_id = ? AND (a IN (SELECT value FROM json_each(?))
                OR b IN (SELECT value FROM json_each(?)))`,
        args: [siteId, keysJson, keysJson],
      })
    ).rowsAffected,
  );
  count(
    'merges',
    (
      await tx.execute({
        sql: `DELETE FROM merges WHERE survivor_id IN (SELECT value FROM json_each(?))
                OR merged_id IN (SELECT value FROM json_each(?))`,
        args: [idsJson, idsJson],
      })
    ).rowsAffected,
  );
  const ownBrowsers = keys.filter((k) => k.startsWith('a:'));
  const sharedBrowsers = [...new Set(keys.filter((k) => k.startsWith('s:')).map(segmentBase))].filter(
    (b) => !ownBrowsers.includes(b),
  );
  count(
    'browserActs',
    await deleteIn(
      tx,
      (m) => `DELETE FROM browser_acts WHERE site_id = ? AND browser IN (${m})`,
      [siteId],
      ownBrowsers,
    ),
  );
  const keySet = new Set(keys);
  for (const b of sharedBrowsers) {
    const acts = await tx.execute({
      sql: 'SELECT ts, message_id, persons FROM browser_acts WHERE site_id = ? AND browser = ?',
      args: [siteId, b],
    });
    for (const a of acts.rows) {
      const persons = JSON.parse(String(a.persons)) as [string, number][];
      if (!persons.some(([k]) => keySet.has(k))) continue;
      count(
        'browserActs',
        (
          await tx.execute({
            sql: 'DELETE FROM browser_acts WHERE site_id = ? AND browser = ? AND ts = ? AND message_id = ?',
            args: [siteId, b, Number(a.ts), String(a.message_id)],
          })
        ).rowsAffected,
      );
    }
  }
  // A summary missing is summed again from the acts left (stitch/acts.ts).
  await deleteIn(
    tx,
    (m) => `DELETE FROM browser_act_summary WHERE site_id = ? AND browser IN (${m})`,
    [siteId],
    [...ownBrowsers, ...sharedBrowsers],
  );

  // Referrals: codes bound to them, credits and claims where they referred or were referred.
  count(
    'referralCodes',
    await deleteIn(
      tx,
      (m) => `DELETE FROM referral_codes WHERE site_id = ? AND key IN (${m})`,
      [siteId],
      keys,
    ),
  );
  // The referrers the erased person's credits counted for lose them: their stages are decided again below.
  const creditedFor = await tx.execute({
    sql: `SELECT DISTINCT referrer_key FROM referral_credits WHERE referred_id IN (SELECT value FROM json_each(?))
            OR (site_id = ? AND contact IN (SELECT value FROM json_each(?)))`,
    args: [idsJson, siteId, keysJson],
  });
  for (const table of ['referral_credits', 'referral_claims']) {
    count(
      'referrals',
      (
        await tx.execute({
          sql: `DELETE FROM ${table} WHERE referred_id IN (SELECT value FROM json_each(?))
                  OR (site_id = ? AND referrer_key IN (SELECT value FROM json_each(?)))`,
          args: [idsJson, siteId, keysJson],
        })
      ).rowsAffected,
    );
  }
  count(
    'referrals',
    await deleteIn(
      tx,
      (m) => `DELETE FROM referral_credits WHERE site_id = ? AND contact IN (${m})`,
      [siteId],
      keys,
    ),
  );
  const referrers = new Set(creditedFor.rows.map((r) => String(r.referrer_key)));
  for (const k of keys) referrers.delete(k);
  if (referrers.size) {
    const changes: ProfileChange[] = [];
    await restageReferrers(tx, siteId, settings, referrers, new Map(), changes, now);
    await appendChanges(tx, siteId, changes, now);
  }

  // Payments: the ledger rows they own, and unmatched ones waiting with their address.
  count(
    'payments',
    (
      await tx.execute({
        sql: `DELETE FROM payments WHERE site_id = ? AND (ident IN (SELECT value FROM json_each(?))
                OR (ident IS NULL AND lower(email) IN (SELECT value FROM json_each(?))))`,
        args: [siteId, keysJson, JSON.stringify(emails)],
      })
    ).rowsAffected,
  );

  // Chat: their browsers' conversations (and any with their address), messages and inbox changes.
  const conversations = (
    await tx.execute({
      sql: `SELECT id FROM conversations WHERE site_id = ? AND (anonymous_id IN (SELECT value FROM json_each(?))
              OR lower(email) IN (SELECT value FROM json_each(?)))`,
      args: [siteId, JSON.stringify(browsers), JSON.stringify(emails)],
    })
  ).rows.map((r) => String(r.id));
  count(
    'chatMessages',
    await deleteIn(tx, (m) => `DELETE FROM chat_messages WHERE conversation_id IN (${m})`, [], conversations),
  );
  count(
    'inboxChanges',
    await deleteIn(tx, (m) => `DELETE FROM inbox_changes WHERE conversation_id IN (${m})`, [], conversations),
  );
  count(
    'conversations',
    await deleteIn(tx, (m) => `DELETE FROM conversations WHERE id IN (${m})`, [], conversations),
  );

  // What the dashboard and automations keep per profile.
  for (const [table, kind] of [
    ['profile_tags', 'tags'],
    ['tasks', 'tasks'],
    ['automation_timers', 'automationTimers'],
    ['automation_firings', 'automationFirings'],
    ['lead_responses', 'leadResponses'],
    ['refold_queue', 'refoldQueue'],
    ['stage_overrides', 'stageOverrides'],
    ['profile_changes', 'changes'],
  ] as const) {
    count(
      kind,
      (
        await tx.execute({
          sql: `DELETE FROM ${table} WHERE profile_id IN (SELECT value FROM json_each(?))`,
          args: [idsJson],
        })
      ).rowsAffected,
    );
  }

  // Webhook deliveries (pending and delivered) and emails whose text names them: a profile id or an address.
  const names = [...ids, ...emails];
  const deliveries = (
    await tx.execute({
      sql: `SELECT id FROM webhook_deliveries WHERE site_id = ? AND EXISTS
              (SELECT 1 FROM json_each(?) AS n WHERE instr(lower(webhook_deliveries.payload), lower(n.value)) > 0)`,
      args: [siteId, JSON.stringify(names)],
    })
  ).rows.map((r) => String(r.id));
  count(
    'webhookAttempts',
    await deleteIn(tx, (m) => `DELETE FROM webhook_attempts WHERE delivery_id IN (${m})`, [], deliveries),
  );
  count(
    'webhookDeliveries',
    await deleteIn(tx, (m) => `DELETE FROM webhook_deliveries WHERE id IN (${m})`, [], deliveries),
  );
  count(
    'emails',
    (
      await tx.execute({
        sql: `DELETE FROM email_outbox WHERE site_id = ? AND EXISTS (SELECT 1 FROM json_each(?) AS n
                WHERE instr(lower(email_outbox.subject || ' ' || email_outbox.body || ' ' || email_outbox.to_address),
                  lower(n.value)) > 0)`,
        args: [siteId, JSON.stringify(names)],
      })
    ).rowsAffected,
  );

  // Purged history (retention): bases made for them or holding their identifiers.
  const bases = new Set<string>();
  for (const r of await selectIn(
    tx,
    (m) => `SELECT base_id AS id FROM history_base_keys WHERE site_id = ? AND key IN (${m})`,
    [siteId],
    keys,
  ))
    bases.add(String(r.id));
  for (const r of await selectIn(
    tx,
    (m) => `SELECT id FROM history_bases WHERE profile_id IN (${m})`,
    [],
    ids,
  ))
    bases.add(String(r.id));
  await deleteIn(tx, (m) => `DELETE FROM history_base_keys WHERE base_id IN (${m})`, [], [...bases]);
  count(
    'purgedHistories',
    await deleteIn(tx, (m) => `DELETE FROM history_bases WHERE id IN (${m})`, [], [...bases]),
  );

  // Identifiers, then the profile rows: their triggers take them out of the search index and the overview and
  // attribution rollups in this transaction.
  count(
    'identifiers',
    await deleteIn(tx, (m) => `DELETE FROM identities WHERE site_id = ? AND key IN (${m})`, [siteId], keys),
  );
  count('profiles', await deleteIn(tx, (m) => `DELETE FROM profiles WHERE id IN (${m})`, [], ids));

  // Tombstones: the hashed identifiers (and the contact details on the rows, which may have no identifier of
  // their own, such as a role mailbox), so an event still queued somewhere is dropped when it arrives.
  // An identifier quarantined as shared (an office phone, a family address) also names other people: their
  // later events must still count, so it is not tombstoned.
  const shared = new Set(p.keyRows.filter((r) => r.shared_at !== null).map((r) => String(r.key)));
  const tombstones = new Set(keys.filter((k) => !k.startsWith('s:') && !shared.has(k)));
  for (const r of [p.live, ...p.merged]) {
    if (r.email) tombstones.add(`e:${String(r.email).toLowerCase()}`);
    if (r.user_id) tombstones.add(`u:${String(r.user_id)}`);
    if (r.phone) tombstones.add(`p:${String(r.phone)}`);
  }
  for (const k of shared) tombstones.delete(k);
  const erasureId = `era_${newId(16)}`;
  for (const part of chunks([...tombstones])) {
    await tx.execute({
      sql: `INSERT INTO erased_keys (site_id, key_hash, erasure_id) VALUES ${rowsOf(part.length, 3)}
            ON CONFLICT DO NOTHING`,
      args: part.flatMap((k) => [siteId, tombstoneHash(siteId, k), erasureId]),
    });
  }
  count('tombstones', tombstones.size);
  const receipt: ErasureReceipt = {
    id: erasureId,
    siteId,
    erasedAt: iso(now),
    byUserId: by.userId,
    via: by.via,
    reason: by.reason,
    counts,
  };
  await tx.execute({
    sql: `INSERT INTO erasures (id, site_id, erased_at, by_user_id, via, reason, counts) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    args: [erasureId, siteId, now, by.userId, by.via, by.reason, JSON.stringify(counts)],
  });
  return receipt;
}

/**
 * Moves every WAL frame into the database file and truncates the WAL, so deleted bytes are in neither (a file
 * database; a reader or the writer in the middle of a transaction makes it wait and try again).
 */
async function checkpoint(client: Client, giveUpMs = 10_000): Promise<boolean> {
  const started = Date.now();
  for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
    try {
      const rs = await client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
      const row = rs.rows[0] as Record<string, unknown> | undefined;
      if (!row || Number(row.busy ?? Object.values(row)[0]) === 0) return true;
    } catch {
      // SQLITE_BUSY from the connection itself: the same as a busy checkpoint
    }
    if (Date.now() - started > giveUpMs) return false;
    await sleep(wait);
  }
}

function receiptOf(r: Record<string, unknown>): ErasureReceipt {
  return {
    id: String(r.id),
    siteId: String(r.site_id),
    erasedAt: iso(Number(r.erased_at)),
    byUserId: str(r.by_user_id),
    via: String(r.via) as ErasureReceipt['via'],
    reason: str(r.reason),
    counts: JSON.parse(String(r.counts)) as Record<string, number>,
  };
}

export interface PrivacyDeps {
  /** The database URL: a file database is checkpointed after an erasure. */
  url: string;
  /** A profile's follow-up tasks, as the automations area lists them. */
  tasks: (profileId: string) => Promise<FollowUpTask[]>;
  log?: (line: string) => void;
}

export function createPrivacyStore(
  client: Client,
  write: <T>(fn: WriteFn<T>) => Promise<T>,
  deps: PrivacyDeps,
): PrivacyStore {
  const file = filePath(deps.url) !== null;
  const log = deps.log ?? ((line: string) => console.warn(line));
  return {
    export: (id) => exportProfile(client, id, deps.tasks),
    async erased(siteId, keys) {
      if (!keys.length) return false;
      const rs = await client.execute({
        sql: `SELECT 1 FROM erased_keys WHERE site_id = ? AND key_hash IN (SELECT value FROM json_each(?)) LIMIT 1`,
        args: [siteId, JSON.stringify(keys.map((k) => tombstoneHash(siteId, k)))],
      });
      return rs.rows.length > 0;
    },
    async erase(id, by) {
      const receipt = await write((tx) => eraseIn(tx, id, by, Date.now()));
      if (receipt && file && !(await checkpoint(client)))
        log(
          'touchpoint: the WAL checkpoint after an erasure kept finding the database busy; the next one runs it',
        );
      return receipt;
    },
    async erasures({ siteId, limit }) {
      const rs = await client.execute({
        sql: `SELECT * FROM erasures ${siteId ? 'WHERE site_id = ?' : ''} ORDER BY erased_at DESC, id DESC LIMIT ?`,
        args: [...(siteId ? [siteId] : []), limit],
      });
      return rs.rows.map((r) => receiptOf(r as Record<string, unknown>));
    },
    async purge(now, options = {}) {
      const budgetMs = options.budgetMs ?? 5_000;
      const batch = options.batch ?? 500;
      const started = Date.now();
      const out: PurgeResult = { events: 0, more: false };
      const sites = await client.execute('SELECT id, settings FROM sites ORDER BY id');
      for (const s of sites.rows) {
        const days = retentionDays(JSON.parse(String(s.settings ?? '{}')));
        if (!days) continue;
        const siteId = String(s.id);
        const cutoff = now - days * DAY;
        // Read first, on the reading connection: a site with nothing old costs no write.
        const old = await client.execute({
          sql: 'SELECT 1 FROM events WHERE site_id = ? AND ts < ? LIMIT 1',
          args: [siteId, cutoff],
        });
        if (!old.rows.length) continue;
        for (;;) {
          if (Date.now() - started > budgetMs) {
            out.more = true;
            return out;
          }
          const r = await write((tx) => purgeBatch(tx, siteId, cutoff, batch, now));
          out.events += r.events;
          if (!r.more) break;
        }
      }
      return out;
    },
  };
}
