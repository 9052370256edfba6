// The profile step: folds new events onto stored states (or refolds, here or in the refolder) and writes the rows.
import type { Stage } from '../../../../wire.ts';
import {
  eventChange,
  paymentChanges,
  type PaymentsBefore,
  paymentsBefore,
  type ProfileChange,
  profileChanges,
  type Written,
} from '../../../identity/changes.ts';
import { eventTouches } from '../../../identity/channels.ts';
import { attributionColumns } from '../../../identity/payments.ts';
import {
  emptyProfile,
  foldEvent,
  type FoldEvent,
  foldsAfter,
  lifecycle,
  type ProfileState,
  type StageOverride,
  STATUS_DAYS,
  stageTimes,
} from '../../../identity/profile.ts';
import type { IdentitySettings } from '../../../identity/rules.ts';
import { deriveFrom, purgedHistory } from '../privacy.ts';
import { profileStatus } from '../profiles.ts';
import { restageReferrers, settleReferrals } from './referrals.ts';
import type { Replayed } from './replay.ts';
import { eventFromRow, type NodeRow, type StitchEvent } from './rows.ts';
import { type Arg, chunks, type Exec, qs, rowsOf, selectIn } from './sql.ts';
import { appendChanges } from './writes.ts';

// ---- Refolds outside the commit ----

/** Events above which a profile's refold leaves the shared commit (TOUCHPOINT_REFOLD_INLINE_LIMIT). */
export function refoldInlineLimit(): number {
  const n = Number(process.env.TOUCHPOINT_REFOLD_INLINE_LIMIT);
  return process.env.TOUCHPOINT_REFOLD_INLINE_LIMIT && !Number.isNaN(n) && n >= 0 ? n : 2000;
}
export const refoldListeners = new Set<() => void>();
/** Calls `listener` when a commit queues a refold; returns the function that stops it. */
export function onRefoldQueued(listener: () => void): () => void {
  refoldListeners.add(listener);
  return () => refoldListeners.delete(listener);
}

/**
 * Folds the group's events into their profiles: onto the stored state when they come after it, else by a
 * refold of the profile's history (queued for the refolder when it is too big for the commit), then writes.
 */
export async function settleProfiles(
  tx: Exec,
  siteId: string,
  settings: IdentitySettings,
  fresh: StitchEvent[],
  nodes: Map<string, NodeRow>,
  replayed: Replayed,
  now: number,
) {
  const states = new Map<string, ProfileState>();
  const keysOf = new Map<string, Set<string>>(replayed.refold);
  // Fresh events of profiles that the replay did not rebuild fold onto their stored state.
  const byProfile = new Map<string, StitchEvent[]>();
  for (const e of fresh) {
    const pid = nodes.get(e.identity.owner)!.profileId!;
    if (replayed.refold.has(pid)) continue;
    let list = byProfile.get(pid);
    if (!list) byProfile.set(pid, (list = []));
    list.push(e);
  }
  const stored = [...byProfile.keys()].filter((id) => !replayed.fresh.has(id));
  // What the profiles were before this commit, for the change log.
  const before = new Map<string, Written>();
  // Events each profile held (for deciding whether a refold fits in this commit), and those being recomputed.
  const size = new Map<string, number>();
  const recomputing = new Set<string>();
  // Each profile's payments before this commit (its own and those of profiles retired into it).
  const oldStates = new Map<string, ProfileState>();
  // The rows read here, which the write compares with what was folded (nothing writes them in between).
  const rows = new Map<string, Record<string, unknown>>();
  const wasRow = (r: Record<string, unknown>) => {
    rows.set(String(r.id), r);
    if (r.state) oldStates.set(String(r.id), JSON.parse(String(r.state)) as ProfileState);
    size.set(String(r.id), Number(r.event_count ?? 0));
    if (r.merged_into === null || r.merged_into === undefined) {
      before.set(String(r.id), { stage: String(r.stage) as Stage, score: Number(r.score) });
      if (Number(r.recomputing) === 1) recomputing.add(String(r.id));
    }
  };
  if (stored.length) {
    const rows = await selectIn(
      tx,
      (m) =>
        `SELECT ${COMPARED.join(', ')}, state, merged_into, recomputing FROM profiles WHERE id IN (${m})`,
      [],
      stored,
    );
    for (const r of rows) {
      wasRow(r);
      if (r.state) states.set(String(r.id), JSON.parse(String(r.state)) as ProfileState);
    }
    // The state folded below is the parsed copy; the payments before are read from a copy of their own.
    for (const [id, p] of states)
      oldStates.set(id, { ...p, payments: [...p.payments], failures: [...(p.failures ?? [])] });
  }
  const rebuilt = [...new Set([...replayed.refold.keys(), ...replayed.retired.keys()])];
  if (rebuilt.length) {
    const rows = await selectIn(
      tx,
      (m) =>
        `SELECT ${COMPARED.join(', ')}, state, merged_into, recomputing FROM profiles WHERE id IN (${m})`,
      [],
      rebuilt,
    );
    for (const r of rows) wasRow(r);
  }
  // A profile being recomputed takes its new events from the refolder, which reads them all.
  for (const pid of recomputing) {
    byProfile.delete(pid);
    states.delete(pid);
  }
  const needKeys: string[] = [];
  for (const [pid, events] of byProfile) {
    events.sort((x, y) => x.ts - y.ts || (x.messageId < y.messageId ? -1 : 1));
    const state = replayed.fresh.has(pid) ? emptyProfile() : states.get(pid);
    if (state && foldsAfter(state, events[0])) {
      states.set(pid, state);
    } else {
      // Out of order (or no stored state): fold the whole history again.
      states.delete(pid);
      needKeys.push(pid);
    }
  }
  if (needKeys.length) {
    const rows = await selectIn(
      tx,
      (m) => `SELECT key, profile_id FROM identities WHERE site_id = ? AND profile_id IN (${m})`,
      [siteId],
      needKeys,
    );
    for (const pid of needKeys) keysOf.set(pid, new Set());
    for (const r of rows) keysOf.get(String(r.profile_id))?.add(String(r.key));
    for (const n of nodes.values())
      if (n.profileId && keysOf.has(n.profileId)) keysOf.get(n.profileId)!.add(n.key);
  }
  // The loaded keys of each profile are enough: an event's email or user id counts when its own node is here.
  const loadedKeys = new Map<string, Set<string>>();
  for (const n of nodes.values()) {
    if (!n.profileId) continue;
    let set = loadedKeys.get(n.profileId);
    if (!set) loadedKeys.set(n.profileId, (set = new Set()));
    set.add(n.key);
  }
  for (const [pid, events] of byProfile) {
    const state = states.get(pid);
    if (!state) continue;
    const keys = loadedKeys.get(pid) ?? new Set<string>();
    for (const e of events) foldEvent(state, e, keys, settings);
  }

  // A refold bigger than the inline limit leaves the commit: the profile keeps its row, marked recomputing,
  // and the refolder recomputes it in short transactions of its own (see refoldQueued).
  const limit = refoldInlineLimit();
  const deferred: string[] = [];
  for (const pid of [...keysOf.keys()]) {
    let events = size.get(pid) ?? 0;
    for (const [old, into] of replayed.retired) if (into === pid) events += size.get(old) ?? 0;
    if (before.has(pid) && (events > limit || recomputing.has(pid))) {
      deferred.push(pid);
      keysOf.delete(pid);
      states.delete(pid);
    }
  }
  if (deferred.length) {
    for (const part of chunks(deferred)) {
      await tx.execute({
        sql: `INSERT INTO refold_queue (profile_id, site_id, queued_at) VALUES ${rowsOf(part.length, 3)}
              ON CONFLICT DO NOTHING`,
        args: part.flatMap((pid) => [pid, siteId, now]),
      });
      await tx.execute({
        sql: `UPDATE profiles SET recomputing = 1 WHERE id IN (${qs(part.length)})`,
        args: part,
      });
    }
    for (const listener of refoldListeners) listener();
  }

  // Refold from the events table: the events of a profile are those owned by its keys.
  if (keysOf.size) {
    const owner = new Map<string, string>();
    for (const [pid, keys] of keysOf) for (const k of keys) owner.set(k, pid);
    const evs = new Map<string, FoldEvent[]>();
    for (const pid of keysOf.keys()) evs.set(pid, []);
    const rows = await selectIn(
      tx,
      (m) =>
        `SELECT message_id, event, ts, body, proof, ident FROM events WHERE site_id = ? AND ident IN (${m})`,
      [siteId],
      [...owner.keys()],
    );
    for (const r of rows) evs.get(owner.get(String(r.ident))!)!.push(eventFromRow(r, settings));
    // A profile whose oldest events were purged (retention) folds the rest onto what those folded to.
    const purged = await purgedHistory(tx, siteId, keysOf);
    for (const [pid, list] of evs)
      states.set(pid, deriveFrom(purged.get(pid), list, keysOf.get(pid)!, settings));
  }

  // What the new events did besides the profile's fields: forms, chats started, payments made or failed.
  const changes = [...replayed.changes];
  const liveId = (pid: string) => {
    for (let i = 0; i < 20 && replayed.retired.has(pid); i++) pid = replayed.retired.get(pid)!;
    return pid;
  };
  for (const e of fresh) {
    const c = eventChange(liveId(nodes.get(e.identity.owner)!.profileId!), e);
    if (c) changes.push(c);
  }
  for (const [pid, p] of states) {
    const olds = [oldStates.get(pid)];
    for (const [old, into] of replayed.retired) if (into === pid) olds.push(oldStates.get(old));
    const was: PaymentsBefore = paymentsBefore(olds);
    changes.push(...paymentChanges(pid, was, p));
  }
  await writeProfiles(tx, siteId, settings, states, {
    refolded: new Set(keysOf.keys()),
    rows,
    fresh: replayed.fresh,
    retired: replayed.retired,
    before,
    changes,
    now,
  });
}

/** The columns a profile write compares with the stored row, in the order it builds them; `state` follows. */
const COMPARED = [
  'id',
  'site_id',
  'email',
  'user_id',
  'name',
  'phone',
  'company',
  'stage',
  'first_touch',
  'first_touch_at',
  'channel',
  'first_seen',
  'last_seen',
  'event_count',
  'score',
  'revenue',
  'payment_count',
  'first_payment_at',
  'first_campaign',
  'lead_at',
  'lead_channel',
  'lead_campaign',
  'last_touch_at',
  'last_channel',
  'last_campaign',
  'payment_overdue_at',
  'qualified_at',
  'retained_at',
  'loyal_at',
  'at_risk_at',
  'status',
];
const WRITTEN = [...COMPARED, 'state'];
const AT_RISK = COMPARED.indexOf('at_risk_at');

/** What a profile write needs besides the states: what was refolded, retired, and the rows before. */
export interface ProfileWrite {
  refolded: Set<string>;
  /** The stored rows (COMPARED, merged_into, recomputing) the caller read in this transaction, by id. */
  rows?: Map<string, Record<string, unknown>>;
  /** Profiles the caller knows have no row yet. */
  fresh?: Set<string>;
  retired: Map<string, string>;
  before: Map<string, Written>;
  changes: ProfileChange[];
  now: number;
}

/**
 * Writes folded profile states: stage (with manual overrides and referral evidence), the row and its read
 * models, retired and emptied profiles, referrers whose credits moved, and the change log.
 */
export async function writeProfiles(
  tx: Exec,
  siteId: string,
  settings: IdentitySettings,
  states: Map<string, ProfileState>,
  w: ProfileWrite,
): Promise<void> {
  const { refolded, retired, before, now } = w;
  const ids = [...states.keys()];
  const overrides = new Map<string, StageOverride>();
  if (ids.length) {
    const rows = await selectIn(
      tx,
      (m) => `SELECT profile_id, stage, reason, at FROM stage_overrides WHERE profile_id IN (${m})`,
      [],
      ids,
    );
    for (const r of rows) {
      overrides.set(String(r.profile_id), {
        stage: String(r.stage) as StageOverride['stage'],
        reason: String(r.reason),
        at: Number(r.at),
      });
    }
  }
  const referrals = await settleReferrals(tx, siteId, settings, states, refolded, retired, now);
  const written = [...states].filter(([, p]) => p.eventCount > 0);
  const changes: ProfileChange[] = [...w.changes, ...referrals.changes];
  // The rows as they stand, so that an update sets only the columns whose values moved: SQLite rewrites an
  // index only when its columns are set, and most events move last seen, the count and the state alone.
  // A caller that read them already passes them (a profile it read and found absent is new).
  const stored = new Map<string, Record<string, unknown>>();
  const unread = written.map(([id]) => id).filter((id) => !w.rows?.has(id) && !w.fresh?.has(id));
  for (const [id, r] of w.rows ?? []) stored.set(id, r);
  for (const r of await selectIn(
    tx,
    (m) => `SELECT ${COMPARED.join(', ')}, merged_into, recomputing FROM profiles WHERE id IN (${m})`,
    [],
    unread,
  ))
    stored.set(String(r.id), r);
  const inserts: Arg[][] = [];
  const updates = new Map<string, Arg[][]>();
  for (const [id, p] of written) {
    const { stage, history } = lifecycle(p, overrides.get(id) ?? null, referrals.evidence.get(id) ?? []);
    changes.push(
      ...profileChanges(
        id,
        before.get(id) ?? null,
        { stage, score: p.score },
        history,
        settings.score.threshold,
        { at: p.lastKey[0], messageId: p.lastKey[1] },
        now,
      ),
    );
    const times = stageTimes(stage, history);
    const ft = p.firstTouch;
    const a = attributionColumns(p);
    const overdue = a.paymentOverdueAt === null ? null : Math.round(a.paymentOverdueAt);
    // In WRITTEN's order.
    const row: Arg[] = [
      id,
      siteId,
      p.email?.value ?? null,
      p.userId?.value ?? null,
      p.name?.value ?? null,
      p.phone?.value ?? null,
      p.company?.value ?? null,
      stage,
      ft ? JSON.stringify({ ...ft.touch, channel: ft.channel, ruleId: ft.ruleId }) : null,
      ft ? ft.at : null,
      ft ? ft.channel : null,
      p.firstSeen,
      p.lastSeen,
      p.eventCount,
      p.score,
      a.revenue,
      a.paymentCount,
      a.firstPaymentAt,
      a.firstCampaign,
      a.leadAt,
      a.leadChannel,
      a.leadCampaign,
      a.lastTouchAt,
      a.lastChannel,
      a.lastCampaign,
      overdue,
      times.qualifiedAt,
      times.retainedAt,
      times.loyalAt,
      // At risk now (not seen for 30 days, or a payment overdue)? The sweep marks a profile that becomes so;
      // a profile written while it is not clears the mark, so becoming at risk again is a change again.
      p.lastSeen <= now - STATUS_DAYS.atRisk * 86_400_000 ||
      (a.paymentOverdueAt !== null && a.paymentOverdueAt < now)
        ? now
        : null,
      // The status the list filters by, as of this write; the sweep moves it as time passes.
      profileStatus(p.lastSeen, overdue, now),
      JSON.stringify(p),
    ];
    const old = stored.get(id);
    if (!old) {
      inserts.push(row);
      continue;
    }
    // An existing row keeps its at-risk mark while it is still at risk (a new one is the sweep's to set).
    row[AT_RISK] = row[AT_RISK] === null ? null : ((old.at_risk_at as Arg) ?? null);
    const set: string[] = [];
    const args: Arg[] = [id];
    for (let i = 2; i < COMPARED.length; i++) {
      if (old[COMPARED[i]] !== row[i]) {
        set.push(COMPARED[i]);
        args.push(row[i]);
      }
    }
    set.push('state');
    args.push(row[COMPARED.length]);
    if (old.merged_into !== null) {
      set.push('merged_into');
      args.push(null);
    }
    if (Number(old.recomputing) !== 0) {
      set.push('recomputing');
      args.push(0);
    }
    const key = set.join(',');
    const group = updates.get(key);
    if (group) group.push(args);
    else updates.set(key, [args]);
  }
  for (const part of chunks(inserts)) {
    await tx.execute({
      sql: `INSERT INTO profiles (${WRITTEN.join(', ')}, merged_into)
            VALUES ${Array(part.length)
              .fill(`(${qs(WRITTEN.length)}, NULL)`)
              .join(', ')}
            ON CONFLICT (id) DO UPDATE SET ${WRITTEN.slice(2)
              .filter((c) => c !== 'at_risk_at')
              .map((c) => `${c} = excluded.${c}`)
              .join(', ')}, merged_into = NULL, recomputing = 0,
              at_risk_at = CASE WHEN excluded.at_risk_at IS NULL THEN NULL ELSE profiles.at_risk_at END`,
      args: part.flat(),
    });
  }
  for (const [key, rows] of updates) {
    const set = key.split(',');
    for (const part of chunks(rows)) {
      await tx.execute({
        sql: `UPDATE profiles SET ${set.map((c, i) => `${c} = v.column${i + 2}`).join(', ')}
              FROM (VALUES ${rowsOf(part.length, set.length + 1)}) AS v WHERE profiles.id = v.column1`,
        args: part.flat(),
      });
    }
  }
  // A profile whose identifiers all went elsewhere points to where most of them went (old links keep working).
  for (const [old, into] of retired) {
    if (states.has(old)) continue;
    await tx.execute({
      sql: 'UPDATE profiles SET merged_into = ?, recomputing = 0 WHERE id = ?',
      args: [into, old],
    });
  }
  // An empty profile (its identifiers kept, its events elsewhere) is retired too.
  for (const [id, p] of states) {
    if (p.eventCount === 0) {
      await tx.execute({ sql: 'DELETE FROM profiles WHERE id = ?', args: [id] });
    }
  }
  await restageReferrers(tx, siteId, settings, referrals.referrerKeys, states, changes, now);
  await appendChanges(tx, siteId, changes, now);
}

export async function writeTouches(
  tx: Exec,
  siteId: string,
  fresh: StitchEvent[],
  settings: IdentitySettings,
) {
  const rows: Arg[][] = [];
  for (const e of fresh) {
    for (const t of eventTouches(e.raw, e.ts, e.messageId, settings)) {
      rows.push([
        siteId,
        t.messageId,
        e.identity.owner,
        e.messageId,
        t.at,
        t.channel,
        t.ruleId,
        t.rulesVersion,
        JSON.stringify(t.touch),
      ]);
    }
  }
  for (const part of chunks(rows)) {
    await tx.execute({
      sql: `INSERT INTO touches (site_id, touch_id, ident, message_id, ts, channel, rule_id, rules_version, touch)
            VALUES ${rowsOf(part.length, 9)} ON CONFLICT DO NOTHING`,
      args: part.flat(),
    });
  }
}
