// A marketer's hand on the identity graph: merge two profiles, revoke a link (unmerge), answer a merge
// proposal, set a stage. Each runs in one write transaction and replays the clusters it touches, so the
// profiles come out exactly as the remaining links say.
import type { Db as Client } from './client.ts';
import {
  type MergeProposal,
  type ProfileChangeItem,
  type ProfileChangesReply,
  STAGES,
  type Stage,
} from '../../../wire.ts';
import { type ProfileChange, profileChanges } from '../../identity/changes.ts';
import { lifecycle, type ProfileState } from '../../identity/profile.ts';
import { referralEvidence } from '../../identity/referrals.ts';
import { referralCredits, restageReferrers } from './stitch/referrals.ts';
import { linkFromRow, manualLink, pairOf } from './stitch/rows.ts';
import { siteSettings } from './stitch/settings.ts';
import { stitchEvents } from './stitch/stitch.ts';
import { appendChanges, writeStage } from './stitch/writes.ts';
import { Refused } from '../errors.ts';
import { linkSummary, liveProfileRow } from './profiles.ts';
import type { Exec, WriteFn } from './writer.ts';

type Write = <T>(fn: WriteFn<T>) => Promise<T>;
type Db = Client;

async function profileKeys(tx: Exec, profileId: string) {
  const rs = await tx.execute({
    sql: 'SELECT key, cluster_id FROM identities WHERE profile_id = ? ORDER BY key',
    args: [profileId],
  });
  return rs.rows.map((r) => ({ key: String(r.key), cluster: String(r.cluster_id) }));
}

async function mustProfile(db: Exec, id: string, field: string) {
  const row = await liveProfileRow(db, id);
  if (!row) throw new Refused('not_found', 'not_found', `no profile with this id`, field);
  return row;
}

/** Merges `otherId` into `id` by a manual link between one identifier of each; returns the live id. */
export async function mergeProfiles(
  db: Db,
  write: Write,
  id: string,
  otherId: string,
  reason: string,
): Promise<string> {
  const a = await mustProfile(db, id, 'id');
  const b = await mustProfile(db, otherId, 'otherId');
  if (a.id === b.id)
    throw new Refused('invalid', 'invalid_body', 'otherId: is already this profile', 'otherId');
  if (a.site_id !== b.site_id)
    throw new Refused('invalid', 'invalid_body', 'otherId: belongs to another site', 'otherId');
  const siteId = String(a.site_id);
  await write(async (tx) => {
    const ka = await profileKeys(tx, String(a.id));
    const kb = await profileKeys(tx, String(b.id));
    if (!ka.length || !kb.length)
      throw new Refused('conflict', 'no_identifiers', 'a profile has no identifiers');
    const now = Date.now();
    // The merge is a link between one identifier of each. A pair that already has a refused link (a proposal,
    // a conflict) is forced; a pair whose link is evidence in use elsewhere (a shared browser's part) is not
    // taken over, so undoing the merge leaves that evidence as it was.
    const pairs: [string, string][] = [];
    for (const x of ka.slice(0, 8)) for (const y of kb.slice(0, 8)) pairs.push([x.key, y.key]);
    const rows = await tx.execute({
      sql: `SELECT * FROM links WHERE site_id = ? AND pair IN (${pairs.map(() => '?').join(', ')})`,
      args: [siteId, ...pairs.map(([x, y]) => pairOf(x, y))],
    });
    const byPair = new Map(rows.rows.map((r) => [String(r.pair), r as Record<string, unknown>]));
    const free = pairs.find(([x, y]) => byPair.get(pairOf(x, y))?.status !== 'active');
    if (!free)
      throw new Refused(
        'conflict',
        'no_identifiers',
        'these profiles have no pair of identifiers left to link',
      );
    const existing = byPair.get(pairOf(free[0], free[1]));
    let link: ReturnType<typeof manualLink>;
    if (existing) {
      link = linkFromRow(existing);
      Object.assign(link, { decision: 'manual', revokedAt: null, revokedReason: null, dirty: true });
    } else link = manualLink(siteId, free[0], free[1], reason, now);
    await stitchEvents(tx, siteId, [], await siteSettings(tx, siteId), now, {
      links: [link],
      clusters: [ka[0].cluster, kb[0].cluster],
      mergeReason: `manual: ${reason}`,
    });
  });
  return String((await liveProfileRow(db, String(a.id)))?.id ?? a.id);
}

async function mustLink(tx: Exec, id: string) {
  const rs = await tx.execute({ sql: 'SELECT * FROM links WHERE id = ?', args: [id] });
  if (!rs.rows[0]) throw new Refused('not_found', 'not_found', 'no link with this id', 'id');
  return linkFromRow(rs.rows[0] as Record<string, unknown>);
}

/** Revokes a link: both sides are replayed as if it had never existed; merges it caused are marked undone. */
export async function revokeLink(db: Db, write: Write, linkId: string, reason: string): Promise<void> {
  await write(async (tx) => {
    const link = await mustLink(tx, linkId);
    if (link.revokedAt !== null)
      throw new Refused('conflict', 'already_revoked', 'this link is already revoked', 'id');
    const now = Date.now();
    Object.assign(link, { revokedAt: now, revokedReason: reason, dirty: true });
    await tx.execute({
      sql: 'UPDATE merges SET undone_at = ?, undo_reason = ? WHERE link_id = ? AND undone_at IS NULL',
      args: [now, reason, linkId],
    });
    await stitchEvents(tx, link.siteId, [], await siteSettings(tx, link.siteId), now, {
      links: [link],
      clusters: link.clusterId ? [link.clusterId] : [],
    });
  });
}

export async function listProposals(db: Db, siteId?: string): Promise<MergeProposal[]> {
  const rs = await db.execute({
    sql: `SELECT l.*, ia.profile_id AS pa, ib.profile_id AS pb FROM links l
          LEFT JOIN identities ia ON ia.site_id = l.site_id AND ia.key = l.a
          LEFT JOIN identities ib ON ib.site_id = l.site_id AND ib.key = l.b
          WHERE l.status = 'proposal' ${siteId ? 'AND l.site_id = ?' : ''} ORDER BY l.ts, l.id LIMIT 500`,
    args: siteId ? [siteId] : [],
  });
  return rs.rows.map((r) => ({
    id: String(r.id),
    link: linkSummary(r as Record<string, unknown>),
    profileIds: [String(r.pa), String(r.pb)],
  }));
}

export async function answerProposal(db: Db, write: Write, linkId: string, accept: boolean): Promise<void> {
  await write(async (tx) => {
    const link = await mustLink(tx, linkId);
    if (link.status !== 'proposal')
      throw new Refused('conflict', 'not_a_proposal', 'this link is not a pending proposal', 'id');
    const now = Date.now();
    Object.assign(link, { decision: accept ? 'accepted' : 'rejected', dirty: true });
    await stitchEvents(tx, link.siteId, [], await siteSettings(tx, link.siteId), now, {
      links: [link],
      clusters: link.clusterId ? [link.clusterId] : [],
      mergeReason: 'merge proposal accepted',
    });
  });
}

/** A manual stage, kept until evidence moves the profile past it later. */
export async function setStage(
  db: Db,
  write: Write,
  profileId: string,
  stage: Stage,
  reason: string,
): Promise<Stage> {
  if (!STAGES.includes(stage)) throw new Refused('invalid', 'invalid_body', 'stage: unknown stage', 'stage');
  await mustProfile(db, profileId, 'id');
  const now = Date.now();
  return write((tx) => setStageIn(tx, profileId, stage, reason, now));
}

/**
 * A manual stage inside the caller's transaction (a marketer's, or an automation's, whose changes carry `by`
 * so that they fire no rule); returns the stage now held.
 */
export async function setStageIn(
  tx: Exec,
  profileId: string,
  stage: Stage,
  reason: string,
  now: number,
  by?: Record<string, string>,
): Promise<Stage> {
  // Read again inside the transaction: the state folded below is the one the write replaces.
  const row = await mustProfile(tx, profileId, 'id');
  await tx.execute({
    sql: `INSERT INTO stage_overrides (profile_id, site_id, stage, reason, at) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (profile_id) DO UPDATE SET stage = excluded.stage, reason = excluded.reason, at = excluded.at`,
    args: [String(row.id), String(row.site_id), stage, reason, now],
  });
  const state = JSON.parse(String(row.state)) as ProfileState;
  const id = String(row.id);
  const credits = (await referralCredits(tx, String(row.site_id), [id])).get(id) ?? [];
  const settings = await siteSettings(tx, String(row.site_id));
  const { stage: next, history } = lifecycle(
    state,
    { stage, reason, at: now },
    referralEvidence(id, credits, settings.referralDailyLimit),
  );
  await writeStage(tx, id, next, history);
  const score = Number(row.score);
  const changes = profileChanges(
    id,
    { stage: String(row.stage) as Stage, score },
    { stage: next, score },
    history,
    settings.score.threshold,
    { at: state.lastKey[0], messageId: state.lastKey[1] },
    now,
  );
  await appendChanges(
    tx,
    String(row.site_id),
    by ? changes.map((c) => ({ ...c, detail: { ...c.detail, ...by } })) : changes,
    now,
  );
  return next;
}

/**
 * A marketer's decision on one of a referrer's credits (one that waits for review, or any to reject): kept by
 * the lead event's messageId, so it holds through refolds, merges and unmerges. The referrer's stage follows.
 */
export async function reviewReferral(
  db: Db,
  write: Write,
  profileId: string,
  messageId: string,
  approve: boolean,
): Promise<void> {
  await mustProfile(db, profileId, 'id');
  await write(async (tx) => {
    const row = await mustProfile(tx, profileId, 'id');
    const id = String(row.id);
    const siteId = String(row.site_id);
    const credits = (await referralCredits(tx, siteId, [id])).get(id) ?? [];
    if (!credits.some((c) => c.messageId === messageId && c.referredId !== id))
      throw new Refused(
        'not_found',
        'not_found',
        'no referral of this profile has this messageId',
        'messageId',
      );
    await tx.execute({
      sql: `INSERT INTO referral_reviews (site_id, message_id, decision, decided_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (site_id, message_id) DO UPDATE SET decision = excluded.decision, decided_at = excluded.decided_at`,
      args: [siteId, messageId, approve ? 'approved' : 'rejected', Date.now()],
    });
    const keys = await profileKeys(tx, id);
    const changes: ProfileChange[] = [];
    const now = Date.now();
    await restageReferrers(
      tx,
      siteId,
      await siteSettings(tx, siteId),
      new Set(keys.map((k) => k.key)),
      new Map(),
      changes,
      now,
    );
    await appendChanges(tx, siteId, changes, now);
  });
}

/** The change log after a cursor, oldest first (the `profile_changes_site` index, or the primary key). */
export async function listChanges(
  db: Db,
  query: { siteId?: string; after: number; limit: number },
): Promise<ProfileChangesReply> {
  const rs = await db.execute({
    sql: `SELECT * FROM profile_changes WHERE seq > ? ${query.siteId ? 'AND site_id = ?' : ''} ORDER BY seq LIMIT ?`,
    args: [query.after, ...(query.siteId ? [query.siteId] : []), query.limit],
  });
  const changes: ProfileChangeItem[] = rs.rows.map((r) => ({
    seq: Number(r.seq),
    siteId: String(r.site_id),
    profileId: String(r.profile_id),
    kind: String(r.kind) as ProfileChangeItem['kind'],
    detail: JSON.parse(String(r.detail)) as Record<string, unknown>,
    at: new Date(Number(r.at)).toISOString(),
    messageId: (r.message_id as string | null) ?? null,
    createdAt: new Date(Number(r.created_at)).toISOString(),
  }));
  return { changes, after: changes.length ? changes[changes.length - 1].seq : query.after };
}
