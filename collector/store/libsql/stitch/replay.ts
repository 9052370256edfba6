// The graph step: replays the clusters a group touches (links, shared identifiers, a shared browser's parts) and assigns profile ids.
import type { InStatement } from '@libsql/client';
import { newId, sortableId } from '../../../admin/secrets.ts';
import type { ProfileChange } from '../../../identity/changes.ts';
import {
  type BrowserAct,
  resolveGraph,
  SEGMENT_SUFFIX,
  segmentAt,
  segmentBase,
  type SwitchPoint,
} from '../../../identity/graph.ts';
import type { IdentitySettings } from '../../../identity/rules.ts';
import { actFromRow } from './acts.ts';
import {
  type Extra,
  linkFromRow,
  type LinkRow,
  newNode,
  NODE_COLUMNS,
  nodeFromRow,
  type NodeRow,
  type StitchEvent,
} from './rows.ts';
import { chunks, type Exec, qs, rowsOf, selectIn } from './sql.ts';

export interface Replayed {
  /** Keys whose profile the replay decided. */
  keys: Set<string>;
  /** Profiles to fold again from all their events, with their keys. */
  refold: Map<string, Set<string>>;
  /** Profiles with no earlier events (new identifiers only). */
  fresh: Set<string>;
  /** Profile ids no longer in use, and the profile that took most of their identifiers. */
  retired: Map<string, string>;
  /** Browsers whose parts changed: their events were moved to the part they fall in. */
  moved: Set<string>;
  /** Merges and unmerges the replay decided, for the change log. */
  changes: ProfileChange[];
}

/** Replays the dirty clusters (with the new links and identifiers) from scratch and assigns profiles. */
export async function replay(
  tx: Exec,
  siteId: string,
  settings: IdentitySettings,
  nodes: Map<string, NodeRow>,
  links: Map<string, LinkRow>,
  dirtyClusters: Set<string>,
  now: number,
  extra: Extra,
): Promise<Replayed> {
  const out: Replayed = {
    keys: new Set(),
    refold: new Map(),
    fresh: new Set(),
    retired: new Map(),
    moved: new Set(),
    changes: [],
  };
  const pending = [...links.values()].some((l) => l.isNew && l.status === 'pending');
  if (dirtyClusters.size === 0 && !pending) return out;
  const cl = [...dirtyClusters];
  if (cl.length) {
    const rows = await selectIn(
      tx,
      (m) => `SELECT ${NODE_COLUMNS} FROM identities WHERE site_id = ? AND cluster_id IN (${m})`,
      [siteId],
      cl,
    );
    for (const r of rows) if (!nodes.has(String(r.key))) nodes.set(String(r.key), nodeFromRow(r));
    const lrows = await selectIn(
      tx,
      (m) => `SELECT * FROM links WHERE site_id = ? AND cluster_id IN (${m})`,
      [siteId],
      cl,
    );
    for (const r of lrows) if (!links.has(String(r.id))) links.set(String(r.id), linkFromRow(r));
  }
  // The replay covers the dirty clusters and the endpoints of new links; other loaded nodes are untouched.
  const scope = new Set<string>();
  for (const n of nodes.values()) if (n.clusterId && dirtyClusters.has(n.clusterId)) scope.add(n.key);
  for (const l of links.values()) {
    if (l.isNew && l.status === 'pending') {
      scope.add(l.a);
      scope.add(l.b);
    }
  }
  const scopeNodes = [...scope].map((k) => nodes.get(k)!);
  // Shared status is decided afresh from the links in scope (see above), not carried over.
  const graphNodes = scopeNodes.map((n) => ({ ...n, sharedAt: null }));
  const scopeLinks = [...links.values()].filter((l) => scope.has(l.a) && scope.has(l.b));
  // Every act of the browsers in scope: where each is cut depends on all of them.
  const acts = new Map<string, BrowserAct[]>();
  const browsers = [...scope].filter((k) => k.startsWith('a:'));
  if (browsers.length) {
    const rows = await selectIn(
      tx,
      (m) =>
        `SELECT browser, ts, message_id, persons FROM browser_acts WHERE site_id = ? AND browser IN (${m})`,
      [siteId],
      browsers,
    );
    for (const r of rows) {
      const b = String(r.browser);
      let list = acts.get(b);
      if (!list) acts.set(b, (list = []));
      list.push(actFromRow(r));
    }
  }
  // A browser's later parts keep their names (and so their profiles) for as long as their cut points stand.
  const namer = (base: string, _ts: number, messageId: string) => {
    const kept = nodes.get(base)?.segments?.find((p) => p.messageId === messageId);
    return kept?.key ?? `s:${base.slice(2)}~${newId(SEGMENT_SUFFIX - 1)}`;
  };
  const result = resolveGraph(graphNodes, scopeLinks, settings, namer, acts);
  const parts = new Set<string>();
  for (const points of result.segments.values())
    for (const p of points) {
      parts.add(p.key);
      if (!nodes.has(p.key)) nodes.set(p.key, newNode(p.key));
      scope.add(p.key);
    }
  const same = (x: SwitchPoint[] | null, y: SwitchPoint[] | null) =>
    JSON.stringify(x ?? []) === JSON.stringify(y ?? []);
  for (const k of scope) {
    if (!k.startsWith('a:')) continue;
    const n = nodes.get(k)!;
    const points = result.segments.get(k) ?? null;
    if (!same(n.segments, points)) {
      for (const p of [...(n.segments ?? []), ...(points ?? [])]) out.moved.add(p.key);
      n.segments = points;
      n.dirty = true;
      out.moved.add(k);
    }
  }
  // Parts no longer cut (a link revoked, an earlier event arrived) are dropped; their events moved with them.
  const dropped = scopeNodes.filter((n) => n.key.startsWith('s:') && !parts.has(n.key)).map((n) => n.key);
  for (const k of dropped) {
    nodes.delete(k);
    await tx.execute({ sql: 'DELETE FROM identities WHERE site_id = ? AND key = ?', args: [siteId, k] });
  }

  const oldProfile = new Map(scopeNodes.map((n) => [n.key, n.profileId]));
  const scopeAll = [...scope].filter((k) => nodes.has(k)).map((k) => nodes.get(k)!);
  for (const n of scopeAll) {
    const at = result.shared.get(n.key) ?? null;
    if (n.sharedAt !== at) {
      n.sharedAt = at;
      n.dirty = true;
    }
  }
  const clusterOf = new Map<string, string>();
  for (const members of result.clusters) {
    const id = sortableId();
    for (const k of members) {
      clusterOf.set(k, id);
      const n = nodes.get(k)!;
      if (n.clusterId !== id) {
        n.clusterId = id;
        n.dirty = true;
      }
    }
  }

  // Profile ids: each component keeps the old id most of its identifiers had; a split-off side takes back
  // the id its identifiers were first given, if that one is free; otherwise a new id.
  const used = new Set<string>();
  const comps = [...result.profiles].sort((x, y) => y.length - x.length || (x[0] < y[0] ? -1 : 1));
  const homes = [...new Set(scopeNodes.map((n) => n.homeProfile).filter((h): h is string => !!h))];
  const retiredHomes = new Set<string>();
  if (homes.length) {
    const rows = await selectIn(
      tx,
      (m) => `SELECT id FROM profiles WHERE merged_into IS NOT NULL AND id IN (${m})`,
      [],
      homes,
    );
    for (const r of rows) retiredHomes.add(String(r.id));
  }
  const oldIds = new Set([...oldProfile.values()].filter((x): x is string => !!x));
  const pick = (members: string[], idOf: (k: string) => string | null, allowed: (id: string) => boolean) => {
    const count = new Map<string, number>();
    for (const k of members) {
      const id = idOf(k);
      if (id && !used.has(id) && allowed(id)) count.set(id, (count.get(id) ?? 0) + 1);
    }
    return [...count].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0]?.[0] ?? null;
  };
  const assigned: [string[], string][] = [];
  for (const members of comps) {
    let id = pick(
      members,
      (k) => oldProfile.get(k) ?? null,
      () => true,
    );
    id ??= pick(
      members,
      (k) => nodes.get(k)!.homeProfile,
      (h) => retiredHomes.has(h) && !oldIds.has(h),
    );
    id ??= sortableId();
    used.add(id);
    assigned.push([members, id]);
  }
  const reused = new Set<string>();
  for (const [members, id] of assigned) {
    const keys = new Set(members);
    const changed = members.some((k) => oldProfile.get(k) !== id);
    const sizeBefore = [...oldProfile.values()].filter((p) => p === id).length;
    for (const k of members) {
      const n = nodes.get(k)!;
      out.keys.add(k);
      if (n.profileId !== id) {
        n.profileId = id;
        n.dirty = true;
      }
      n.homeProfile ??= id;
    }
    if (oldIds.has(id)) reused.add(id);
    const moved = members.some((k) => out.moved.has(k));
    if (changed || sizeBefore !== members.length || members.some((k) => nodes.get(k)!.isNew) || moved) {
      out.refold.set(id, keys);
    }
  }
  for (const old of oldIds) {
    // A profile whose identifiers now fall into several was unmerged.
    const into = assigned
      .filter(([members]) => members.some((k) => oldProfile.get(k) === old))
      .map(([, id]) => id);
    if (into.length > 1)
      out.changes.push({
        profileId: into.includes(old) ? old : into[0],
        kind: 'unmerged',
        detail: { from: old, into },
        at: now,
        messageId: null,
      });
    if (reused.has(old)) continue;
    const holder = assigned.find(([members]) => members.some((k) => oldProfile.get(k) === old));
    if (holder) out.retired.set(old, holder[1]);
    else {
      // Its identifiers were all parts of a browser that is no longer cut there: its events went back to the
      // browser, so it points to the browser's profile.
      const part = dropped.find((k) => oldProfile.get(k) === old);
      const into = part ? nodes.get(segmentBase(part))?.profileId : null;
      if (into && into !== old) out.retired.set(old, into);
    }
  }

  // Statuses, clusters and the merges they caused.
  const merges: InStatement[] = [];
  for (const l of scopeLinks) {
    const status = result.status.get(l.id) ?? 'active';
    const reason = result.reason.get(l.id) ?? null;
    const cluster = clusterOf.get(l.a) ?? l.clusterId;
    if (l.status !== status || l.reason !== reason || l.clusterId !== cluster) {
      const before = l.status;
      l.status = status;
      l.reason = reason;
      l.clusterId = cluster;
      l.dirty = true;
      const pa = oldProfile.get(l.a);
      const pb = oldProfile.get(l.b);
      if (status === 'active' && before !== 'active' && pa && pb && pa !== pb) {
        const survivor = nodes.get(l.a)!.profileId!;
        const merged = survivor === pa ? pb : pa;
        const kind = l.decision === 'manual' ? 'manual' : l.decision === 'accepted' ? 'proposal' : 'auto';
        out.changes.push({
          profileId: survivor,
          kind: 'merged',
          detail: { mergedId: merged, linkId: l.id, by: kind },
          at: l.decision ? now : l.ts,
          messageId: l.decision ? null : l.messageId,
        });
        merges.push({
          sql: `INSERT INTO merges (id, site_id, survivor_id, merged_id, reason, identifier, message_id, created_at, link_id, kind)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          args: [
            newId(),
            siteId,
            survivor,
            merged,
            extra.mergeReason ?? `${l.rule} linked ${l.a} ↔ ${l.b}`,
            `${l.a} ↔ ${l.b}`,
            l.messageId,
            now,
            l.id,
            kind,
          ],
        });
      }
    }
  }
  for (const s of merges) await tx.execute(s);
  return out;
}

/**
 * Events of a browser used by several people belong to the part they fall in, stored as their `ident`: a
 * browser whose cut points changed has all its events (and payments) placed again; a new event of an
 * unchanged one is placed alone. The events' owners in memory follow.
 */
export async function placeOnSegments(
  tx: Exec,
  siteId: string,
  fresh: StitchEvent[],
  nodes: Map<string, NodeRow>,
  moved: Set<string>,
): Promise<void> {
  for (const base of moved) {
    if (!base.startsWith('a:')) continue;
    const points = nodes.get(base)?.segments ?? [];
    const parts = [...moved].filter((k) => k.startsWith('s:') && segmentBase(k) === base);
    for (const table of ['events', 'payments']) {
      if (parts.length)
        await tx.execute({
          sql: `UPDATE ${table} SET ident = ? WHERE site_id = ? AND ident IN (${qs(parts.length)})`,
          args: [base, siteId, ...parts],
        });
      // Latest part first, so each update only sees events still on the browser's first part.
      for (const p of [...points].reverse()) {
        await tx.execute({
          sql: `UPDATE ${table} SET ident = ? WHERE site_id = ? AND ident = ? AND (ts > ? OR (ts = ? AND message_id >= ?))`,
          args: [p.key, siteId, base, p.ts, p.ts, p.messageId],
        });
      }
    }
  }
  const need = new Set<string>();
  for (const e of fresh) {
    const owner = e.identity.owner;
    const points = owner.startsWith('a:') ? nodes.get(owner)?.segments : null;
    if (!points?.length) continue;
    const part = segmentAt(owner, points, e.ts, e.messageId);
    if (part === owner) continue;
    e.identity.owner = part;
    if (!nodes.has(part)) need.add(part);
    if (!moved.has(owner))
      await tx.execute({
        sql: 'UPDATE events SET ident = ? WHERE site_id = ? AND message_id = ?',
        args: [part, siteId, e.messageId],
      });
  }
  if (need.size) {
    const rows = await selectIn(
      tx,
      (m) => `SELECT ${NODE_COLUMNS} FROM identities WHERE site_id = ? AND key IN (${m})`,
      [siteId],
      [...need],
    );
    for (const r of rows) nodes.set(String(r.key), nodeFromRow(r));
  }
}

export async function writeNodesAndLinks(
  tx: Exec,
  siteId: string,
  nodes: Map<string, NodeRow>,
  links: Map<string, LinkRow>,
  now: number,
) {
  const dirtyNodes = [...nodes.values()].filter((n) => n.dirty);
  for (const part of chunks(dirtyNodes)) {
    await tx.execute({
      sql: `INSERT INTO identities (site_id, key, profile_id, created_at, cluster_id, verified, shared_at, home_profile, segments)
            VALUES ${rowsOf(part.length, 9)}
            ON CONFLICT (site_id, key) DO UPDATE SET profile_id = excluded.profile_id, cluster_id = excluded.cluster_id,
              verified = excluded.verified, shared_at = excluded.shared_at, home_profile = excluded.home_profile,
              segments = excluded.segments`,
      args: part.flatMap((n) => [
        siteId,
        n.key,
        n.profileId,
        now,
        n.clusterId,
        n.verified ? 1 : 0,
        n.sharedAt,
        n.homeProfile,
        n.segments?.length ? JSON.stringify(n.segments) : null,
      ]),
    });
  }
  const dirtyLinks = [...links.values()].filter((l) => l.dirty);
  for (const l of dirtyLinks) if (l.status === 'pending') l.status = 'active';
  for (const part of chunks(dirtyLinks)) {
    await tx.execute({
      sql: `INSERT INTO links (id, site_id, pair, a, b, rule, message_id, ts, verified, status, reason, decision, cluster_id, created_at, revoked_at, revoked_reason)
            VALUES ${rowsOf(part.length, 16)}
            ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, message_id = excluded.message_id, ts = excluded.ts,
              verified = excluded.verified, status = excluded.status, reason = excluded.reason, decision = excluded.decision,
              cluster_id = excluded.cluster_id, revoked_at = excluded.revoked_at, revoked_reason = excluded.revoked_reason`,
      args: part.flatMap((l) => [
        l.id,
        siteId,
        l.pair,
        l.a,
        l.b,
        l.rule,
        l.messageId,
        l.ts,
        l.verified ? 1 : 0,
        l.status,
        l.reason,
        l.decision,
        l.clusterId,
        l.createdAt,
        l.revokedAt,
        l.revokedReason,
      ]),
    });
  }
}
