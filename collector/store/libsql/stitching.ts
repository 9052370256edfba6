// All SQL of the identity graph: folds a group's new events into the link ledger and profiles, and replays the
// clusters an event (or a marketer's merge, unmerge or answer) touches. The decisions are the pure code in
// identity/; this file loads what they need with a few set-wise queries per group and writes the outcome.
import type { InStatement, Transaction } from '@libsql/client';
import { EVENTS, type Stage, type WireEvent } from '../../../wire.ts';
import { newId } from '../../admin/secrets.ts';
import { type ProfileChange, profileChanges, type Written } from '../../identity/changes.ts';
import { eventTouches } from '../../identity/channels.ts';
import {
  actOrder,
  type BrowserAct,
  type GraphLink,
  type GraphNode,
  type LinkDecision,
  type LinkStatus,
  resolveGraph,
  SEGMENT_SUFFIX,
  type SwitchPoint,
  browserOf,
  segmentAt,
  segmentBase,
} from '../../identity/graph.ts';
import { type EventIdentity, eventIdentity, type Proof } from '../../identity/identifiers.ts';
import {
  derive,
  emptyProfile,
  type Evidence,
  type FoldEvent,
  foldEvent,
  foldsAfter,
  lifecycle,
  type ProfileState,
  type StageEntry,
  type StageOverride,
  stageTimes,
} from '../../identity/profile.ts';
import { attributionColumns } from '../../identity/payments.ts';
import {
  type CodeLookups,
  contactOf,
  type CreditContext,
  type CreditView,
  creditFor,
  creditStatuses,
  type ReferralReview,
  type ReferralStatus,
  REFERRAL_CODE_PREFIX,
  type ReferralCredit,
  referralClaim,
  referralEvidence,
  resolveCode,
} from '../../identity/referrals.ts';
import { type IdentitySettings, identitySettings } from '../../identity/rules.ts';
import type { PreparedEvent } from '../../ingest/prepare.ts';

type Arg = string | number | null;
type Exec = Pick<Transaction, 'execute'>;

const CHUNK = 100;
function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
const qs = (n: number) => Array(n).fill('?').join(', ');
function rowsOf(n: number, cols: number): string {
  const row = `(${qs(cols)})`;
  return Array(n).fill(row).join(', ');
}

async function selectIn(
  tx: Exec,
  sql: (marks: string) => string,
  head: Arg[],
  values: Arg[],
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const part of chunks(values, 500)) {
    const rs = await tx.execute({ sql: sql(qs(part.length)), args: [...head, ...part] });
    for (const r of rs.rows) out.push(r as Record<string, unknown>);
  }
  return out;
}

// ---- Refolds outside the commit ----

/** Events above which a profile's refold leaves the shared commit (TOUCHPOINT_REFOLD_INLINE_LIMIT). */
export function refoldInlineLimit(): number {
  const n = Number(process.env.TOUCHPOINT_REFOLD_INLINE_LIMIT);
  return process.env.TOUCHPOINT_REFOLD_INLINE_LIMIT && !Number.isNaN(n) && n >= 0 ? n : 2000;
}
const refoldListeners = new Set<() => void>();
/** Calls `listener` when a commit queues a refold; returns the function that stops it. */
export function onRefoldQueued(listener: () => void): () => void {
  refoldListeners.add(listener);
  return () => refoldListeners.delete(listener);
}

// ---- Settings ----

const settingsCache = new Map<string, { settings: IdentitySettings; until: number }>();

/** The site's identity settings, cached for a few seconds (they change rarely; a change applies to later events). */
export async function siteSettings(tx: Exec, siteId: string): Promise<IdentitySettings> {
  const hit = settingsCache.get(siteId);
  if (hit && hit.until > Date.now()) return hit.settings;
  const rs = await tx.execute({ sql: 'SELECT origins, settings FROM sites WHERE id = ?', args: [siteId] });
  const row = rs.rows[0];
  const settings = identitySettings(
    row ? (JSON.parse(String(row.origins)) as string[]) : [],
    row ? JSON.parse(String(row.settings ?? '{}')) : {},
  );
  if (settingsCache.size > 1000) settingsCache.clear();
  settingsCache.set(siteId, { settings, until: Date.now() + 10_000 });
  return settings;
}

/** Drops every cached site setting (a site changed in this or another process). */
export function forgetAllSettings(): void {
  settingsCache.clear();
}

// ---- Events ----

export interface StitchEvent extends FoldEvent {
  proof: Proof;
}

/** Decides each event's identifiers and owner key (which becomes its stored `ident`). */
export function identify(events: PreparedEvent[], settings: IdentitySettings): StitchEvent[] {
  return events.map((e) => {
    const identity = eventIdentity(e.raw, e.proof ?? null, settings);
    e.ident = identity.owner;
    return {
      messageId: e.messageId,
      type: e.type,
      event: e.event,
      ts: e.ts,
      raw: e.raw,
      identity,
      proof: e.proof ?? null,
    };
  });
}

function ruleOf(e: { type: string; event: string | null }, kind: string): string {
  const what = e.type === 'track' ? (e.event ?? 'track') : e.type;
  return `${what}: ${kind}`;
}

// ---- Rows ----

interface NodeRow extends GraphNode {
  profileId: string | null;
  clusterId: string | null;
  homeProfile: string | null;
  /** A browser used by several people: where each later person's part begins. */
  segments: SwitchPoint[] | null;
  isNew: boolean;
  dirty: boolean;
}

interface LinkRow extends GraphLink {
  siteId: string;
  pair: string;
  status: LinkStatus | 'pending';
  reason: string | null;
  clusterId: string | null;
  createdAt: number;
  revokedReason: string | null;
  isNew: boolean;
  dirty: boolean;
}

function nodeFromRow(r: Record<string, unknown>): NodeRow {
  return {
    key: String(r.key),
    verified: Number(r.verified) === 1,
    sharedAt: r.shared_at === null || r.shared_at === undefined ? null : Number(r.shared_at),
    profileId: (r.profile_id as string | null) ?? null,
    clusterId: (r.cluster_id as string | null) ?? null,
    homeProfile: (r.home_profile as string | null) ?? null,
    segments: r.segments ? (JSON.parse(String(r.segments)) as SwitchPoint[]) : null,
    isNew: false,
    dirty: false,
  };
}

const NODE_COLUMNS = 'key, profile_id, cluster_id, verified, shared_at, home_profile, segments';

function newNode(key: string, verified = false): NodeRow {
  return {
    key,
    verified,
    sharedAt: null,
    profileId: null,
    clusterId: null,
    homeProfile: null,
    segments: null,
    isNew: true,
    dirty: true,
  };
}

function linkFromRow(r: Record<string, unknown>): LinkRow {
  return {
    id: String(r.id),
    siteId: String(r.site_id),
    pair: String(r.pair),
    a: String(r.a),
    b: String(r.b),
    rule: String(r.rule),
    messageId: String(r.message_id),
    ts: Number(r.ts),
    verified: Number(r.verified) === 1,
    decision: (r.decision as LinkDecision) ?? null,
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
    status: String(r.status) as LinkStatus,
    reason: (r.reason as string | null) ?? null,
    clusterId: (r.cluster_id as string | null) ?? null,
    createdAt: Number(r.created_at),
    revokedReason: (r.revoked_reason as string | null) ?? null,
    isNew: false,
    dirty: false,
  };
}

export const pairOf = (a: string, b: string) => (a < b ? `${a}\n${b}` : `${b}\n${a}`);

/** What a marketer's action adds to a replay: links to write first, clusters to replay. */
export interface Extra {
  links?: LinkRow[];
  clusters?: string[];
  /** Kind of merge rows written for links that newly join profiles (default: by their decision). */
  mergeReason?: string;
}

export function manualLink(
  siteId: string,
  a: string,
  b: string,
  reason: string,
  now: number,
  decision: LinkDecision = 'manual',
): LinkRow {
  const [x, y] = a < b ? [a, b] : [b, a];
  return {
    id: newId(),
    siteId,
    pair: pairOf(x, y),
    a: x,
    b: y,
    rule: `manual: ${reason}`,
    messageId: `manual:${now}`,
    ts: now,
    verified: true,
    decision,
    revokedAt: null,
    status: 'pending',
    reason,
    clusterId: null,
    createdAt: now,
    revokedReason: null,
    isNew: true,
    dirty: true,
  };
}

export { linkFromRow };

// ---- The group ----

/**
 * Folds a group's new events (already inserted) into the graph and profiles. Work is proportional to the
 * identifiers and clusters these events touch: one look-up of their keys, one of their pairs, and only
 * the clusters whose links changed are replayed.
 */
export async function stitchEvents(
  tx: Exec,
  siteId: string,
  fresh: StitchEvent[],
  settings: IdentitySettings,
  now: number,
  extra: Extra = {},
): Promise<void> {
  // Candidate links (a star from each event's owner) and nodes, with their earliest evidence.
  const nodeInfo = new Map<string, boolean>();
  const cand = new Map<string, LinkRow>();
  for (const e of [...fresh].sort((x, y) => x.ts - y.ts || (x.messageId < y.messageId ? -1 : 1))) {
    const { ids, owner } = e.identity;
    nodeInfo.set(owner, (nodeInfo.get(owner) ?? false) || !!ids.find((i) => i.key === owner)?.verified);
    for (const i of ids) nodeInfo.set(i.key, (nodeInfo.get(i.key) ?? false) || i.verified);
    const anchor = ids[0];
    if (!anchor) continue;
    for (const other of ids.slice(1)) {
      const pair = pairOf(anchor.key, other.key);
      // The secret key vouches for every link a server states; a signed identify from the page only for the
      // link of its user id to this browser.
      const verified =
        e.proof === 'secret' ||
        (e.type === 'identify' && e.proof === 'hmac' && anchor.kind === 'user' && other.kind === 'anonymous');
      const prev = cand.get(pair);
      if (!prev) {
        const [a, b] = anchor.key < other.key ? [anchor.key, other.key] : [other.key, anchor.key];
        cand.set(pair, {
          id: newId(),
          siteId,
          pair,
          a,
          b,
          rule: ruleOf(e, other.kind),
          messageId: e.messageId,
          ts: e.ts,
          verified,
          decision: null,
          revokedAt: null,
          status: 'pending',
          reason: null,
          clusterId: null,
          createdAt: now,
          revokedReason: null,
          isNew: true,
          dirty: true,
        });
      } else if (verified) prev.verified = true;
    }
  }
  for (const l of extra.links ?? []) {
    nodeInfo.set(l.a, nodeInfo.get(l.a) ?? false);
    nodeInfo.set(l.b, nodeInfo.get(l.b) ?? false);
  }

  const nodes = new Map<string, NodeRow>();
  const keys = [...nodeInfo.keys()];
  if (keys.length) {
    const rows = await selectIn(
      tx,
      (m) => `SELECT ${NODE_COLUMNS} FROM identities WHERE site_id = ? AND key IN (${m})`,
      [siteId],
      keys,
    );
    for (const r of rows) nodes.set(String(r.key), nodeFromRow(r));
  }
  const dirtyClusters = new Set(extra.clusters ?? []);
  for (const [key, verified] of nodeInfo) {
    const n = nodes.get(key);
    if (!n) {
      nodes.set(key, newNode(key, verified));
    } else if (verified && !n.verified) {
      n.verified = true;
      n.dirty = true;
      if (n.clusterId) dirtyClusters.add(n.clusterId);
    }
  }

  const links = new Map<string, LinkRow>();
  if (cand.size) {
    const rows = await selectIn(
      tx,
      (m) => `SELECT * FROM links WHERE site_id = ? AND pair IN (${m})`,
      [siteId],
      [...cand.keys()],
    );
    const existing = new Map(rows.map((r) => [String(r.pair), linkFromRow(r)]));
    for (const [pair, c] of cand) {
      const old = existing.get(pair);
      if (old) {
        const earlier = c.ts < old.ts || (c.ts === old.ts && c.messageId < old.messageId);
        if (!earlier && (old.verified || !c.verified)) continue;
        if (earlier) {
          old.ts = c.ts;
          old.messageId = c.messageId;
          old.rule = c.rule;
        }
        old.verified ||= c.verified;
        old.dirty = true;
        links.set(old.id, old);
        for (const k of [old.a, old.b]) {
          const n = nodes.get(k)!;
          if (n.clusterId) dirtyClusters.add(n.clusterId);
        }
      } else links.set(c.id, c);
    }
  }
  for (const l of extra.links ?? []) links.set(l.id, l);

  // New links dirty the clusters of both ends. A link to an identifier quarantined as shared is replayed too:
  // whether an identifier is shared depends on every link around it, so it is decided again each time, never
  // kept from an earlier arrival order.
  for (const l of links.values()) {
    if (!l.isNew) continue;
    for (const k of [l.a, l.b]) {
      const n = nodes.get(k)!;
      if (n.clusterId) dirtyClusters.add(n.clusterId);
    }
  }

  await recordActs(tx, siteId, fresh, nodes, dirtyClusters);
  const replayed = await replay(tx, siteId, settings, nodes, links, dirtyClusters, now, extra);

  // Identifiers no replay covered and that have no profile yet get one of their own.
  for (const n of nodes.values()) {
    if (n.key.startsWith('s:')) continue;
    if (n.profileId && n.clusterId) continue;
    if (replayed.keys.has(n.key)) continue;
    n.clusterId = newId();
    n.profileId = newId();
    n.homeProfile ??= n.profileId;
    n.dirty = true;
    replayed.fresh.add(n.profileId);
  }

  await placeOnSegments(tx, siteId, fresh, nodes, replayed.moved);
  await writeNodesAndLinks(tx, siteId, nodes, links, now);
  await settleProfiles(tx, siteId, settings, fresh, nodes, replayed, now);
  await writeTouches(tx, siteId, fresh, settings);
}

/** The act a fresh event is, if it is one: a browser saying who uses it. */
function actOf(e: StitchEvent): { browser: string; act: BrowserAct } | null {
  const saysWho =
    e.type === 'identify' || e.type === 'alias' || e.event === EVENTS.form || e.proof === 'secret';
  if (!saysWho) return null;
  const browser = e.identity.ids.find((i) => i.kind === 'anonymous')?.key;
  const persons = e.identity.ids.filter((i) => i.kind === 'user' || i.kind === 'email');
  if (!browser || !persons.length) return null;
  // As for links: the secret key vouches for all it names, a signed identify for its user id.
  const vouched = (kind: string) =>
    e.proof === 'secret' || (e.type === 'identify' && e.proof === 'hmac' && kind === 'user');
  return {
    browser,
    act: {
      ts: e.ts,
      messageId: e.messageId,
      persons: persons.map((p) => p.key),
      verified: persons.filter((p) => vouched(p.kind)).map((p) => p.key),
    },
  };
}

const actRow = (a: BrowserAct) => JSON.stringify(a.persons.map((p) => [p, a.verified.includes(p) ? 1 : 0]));
function actFromRow(r: Record<string, unknown>): BrowserAct {
  const persons = JSON.parse(String(r.persons)) as [string, number][];
  return {
    ts: Number(r.ts),
    messageId: String(r.message_id),
    persons: persons.map(([p]) => p),
    verified: persons.filter(([, v]) => v === 1).map(([p]) => p),
  };
}

/**
 * Keeps the fresh events' acts. An act that could move where a browser is cut (the browser is already shared,
 * the act is older than one already kept, or it names someone the browser has not named) replays its cluster.
 */
async function recordActs(
  tx: Exec,
  siteId: string,
  fresh: StitchEvent[],
  nodes: Map<string, NodeRow>,
  dirtyClusters: Set<string>,
): Promise<void> {
  const acts = fresh.map(actOf).filter((x): x is { browser: string; act: BrowserAct } => !!x);
  if (!acts.length) return;
  const browsers = [...new Set(acts.map((a) => a.browser))];
  const known = new Map<string, { persons: Set<string>; last: BrowserAct | null }>();
  const rows = await selectIn(
    tx,
    (m) =>
      `SELECT browser, ts, message_id, persons FROM browser_acts WHERE site_id = ? AND browser IN (${m})`,
    [siteId],
    browsers.filter((b) => !nodes.get(b)?.isNew),
  );
  for (const r of rows) {
    const b = String(r.browser);
    const act = actFromRow(r);
    let k = known.get(b);
    if (!k) known.set(b, (k = { persons: new Set(), last: null }));
    for (const p of act.persons) k.persons.add(p);
    if (!k.last || actOrder(act, k.last) > 0) k.last = act;
  }
  for (const { browser, act } of acts) {
    const n = nodes.get(browser);
    const k = known.get(browser);
    if (!n?.clusterId || !k) continue;
    const moves =
      !!n.segments?.length ||
      (k.last !== null && actOrder(act, k.last) < 0) ||
      act.persons.some((p) => !k.persons.has(p));
    if (moves) dirtyClusters.add(n.clusterId);
  }
  for (const part of chunks(acts)) {
    await tx.execute({
      sql: `INSERT INTO browser_acts (site_id, browser, ts, message_id, persons) VALUES ${rowsOf(part.length, 5)}
            ON CONFLICT DO NOTHING`,
      args: part.flatMap(({ browser, act }) => [siteId, browser, act.ts, act.messageId, actRow(act)]),
    });
  }
}

interface Replayed {
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

/** Appends rows to the change log (`profile_changes`), in the caller's transaction. */
export async function appendChanges(tx: Exec, siteId: string, changes: ProfileChange[], now: number) {
  for (const part of chunks(changes)) {
    await tx.execute({
      sql: `INSERT INTO profile_changes (site_id, profile_id, kind, detail, at, message_id, created_at)
            VALUES ${rowsOf(part.length, 7)}`,
      args: part.flatMap((c) => [
        siteId,
        c.profileId,
        c.kind,
        JSON.stringify(c.detail),
        Math.round(c.at),
        c.messageId,
        now,
      ]),
    });
  }
}

/** Replays the dirty clusters (with the new links and identifiers) from scratch and assigns profiles. */
async function replay(
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
    const id = newId();
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
    id ??= newId();
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
async function placeOnSegments(
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

async function writeNodesAndLinks(
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

// ---- Profiles ----

export function eventFromRow(r: Record<string, unknown>, settings: IdentitySettings): FoldEvent {
  const raw = JSON.parse(String(r.body)) as WireEvent;
  const proof = (r.proof as Proof) ?? null;
  return {
    messageId: String(r.message_id),
    type: raw.type,
    event: (r.event as string | null) ?? null,
    ts: Number(r.ts),
    raw,
    identity: eventIdentity(raw, proof, settings) as EventIdentity,
  };
}

async function settleProfiles(
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
  const wasRow = (r: Record<string, unknown>) => {
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
        `SELECT id, state, stage, score, merged_into, event_count, recomputing FROM profiles WHERE id IN (${m})`,
      [],
      stored,
    );
    for (const r of rows) {
      wasRow(r);
      if (r.state) states.set(String(r.id), JSON.parse(String(r.state)) as ProfileState);
    }
  }
  const rebuilt = [...new Set([...replayed.refold.keys(), ...replayed.retired.keys()])];
  if (rebuilt.length) {
    const rows = await selectIn(
      tx,
      (m) =>
        `SELECT id, stage, score, merged_into, event_count, recomputing FROM profiles WHERE id IN (${m})`,
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
  for (const [pid, events] of byProfile) {
    const state = states.get(pid);
    if (!state) continue;
    // The loaded keys of the profile are enough: an event's email or user id counts when its own node is here.
    const keys = new Set([...nodes.values()].filter((n) => n.profileId === pid).map((n) => n.key));
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
    for (const [pid, list] of evs) states.set(pid, derive(list, keysOf.get(pid)!, settings));
  }

  await writeProfiles(tx, siteId, settings, states, {
    refolded: new Set(keysOf.keys()),
    retired: replayed.retired,
    before,
    changes: replayed.changes,
    now,
  });
}

/** What a profile write needs besides the states: what was refolded, retired, and the rows before. */
export interface ProfileWrite {
  refolded: Set<string>;
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
  for (const part of chunks(written)) {
    const args: Arg[] = [];
    for (const [id, p] of part) {
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
      args.push(
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
        JSON.stringify(p),
      );
      const a = attributionColumns(p);
      args.push(
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
        a.paymentOverdueAt === null ? null : Math.round(a.paymentOverdueAt),
        times.qualifiedAt,
        times.retainedAt,
        times.loyalAt,
      );
    }
    await tx.execute({
      sql: `INSERT INTO profiles (id, site_id, email, user_id, name, phone, company, stage, first_touch, first_touch_at, channel,
              first_seen, last_seen, event_count, score, state, revenue, payment_count, first_payment_at, first_campaign,
              lead_at, lead_channel, lead_campaign, last_touch_at, last_channel, last_campaign, payment_overdue_at,
              qualified_at, retained_at, loyal_at, merged_into)
            VALUES ${Array(part.length)
              .fill(`(${qs(30)}, NULL)`)
              .join(', ')}
            ON CONFLICT (id) DO UPDATE SET email = excluded.email, user_id = excluded.user_id, name = excluded.name,
              phone = excluded.phone, company = excluded.company, stage = excluded.stage, first_touch = excluded.first_touch,
              first_touch_at = excluded.first_touch_at, channel = excluded.channel, first_seen = excluded.first_seen,
              last_seen = excluded.last_seen, event_count = excluded.event_count, score = excluded.score,
              state = excluded.state, revenue = excluded.revenue, payment_count = excluded.payment_count,
              first_payment_at = excluded.first_payment_at, first_campaign = excluded.first_campaign,
              lead_at = excluded.lead_at, lead_channel = excluded.lead_channel, lead_campaign = excluded.lead_campaign,
              last_touch_at = excluded.last_touch_at, last_channel = excluded.last_channel,
              last_campaign = excluded.last_campaign, payment_overdue_at = excluded.payment_overdue_at,
              qualified_at = excluded.qualified_at, retained_at = excluded.retained_at, loyal_at = excluded.loyal_at,
              merged_into = NULL, recomputing = 0`,
      args,
    });
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

// ---- Referrals ----

/** Credits of the profiles `ids` as referrers: credits whose referrer identifier each profile holds now. */
export async function referralCredits(
  tx: Exec,
  siteId: string,
  ids: string[],
): Promise<Map<string, CreditView[]>> {
  const out = new Map<string, CreditView[]>();
  if (!ids.length) return out;
  // A site with no credits at all (most groups of most sites) pays one index probe, not the join.
  const any = await tx.execute({
    sql: 'SELECT 1 FROM referral_credits WHERE site_id = ? LIMIT 1',
    args: [siteId],
  });
  if (!any.rows.length) return out;
  const rows = await selectIn(
    tx,
    (m) =>
      `SELECT i.profile_id AS pid, c.referred_id, c.at, c.message_id, r.decision FROM identities i
       JOIN referral_credits c ON c.site_id = i.site_id AND c.referrer_key = i.key
       LEFT JOIN referral_reviews r ON r.site_id = c.site_id AND r.message_id = c.message_id
       WHERE i.site_id = ? AND i.profile_id IN (${m})`,
    [siteId],
    ids,
  );
  for (const r of rows) {
    const pid = String(r.pid);
    let list = out.get(pid);
    if (!list) out.set(pid, (list = []));
    list.push({
      referredId: String(r.referred_id),
      at: Number(r.at),
      messageId: String(r.message_id),
      review: (r.decision as ReferralReview | null) ?? null,
    });
  }
  return out;
}

/** Resolves referral codes: bound codes, then profile ids (pinned to one of their identifiers on first use). */
async function codeLookups(tx: Exec, siteId: string, codes: string[], now: number): Promise<CodeLookups> {
  const bound = new Map<string, string>();
  const profiles = new Map<string, string>();
  if (!codes.length) return { codes: bound, profiles };
  const rows = await selectIn(
    tx,
    (m) => `SELECT code, key FROM referral_codes WHERE site_id = ? AND code IN (${m})`,
    [siteId],
    codes,
  );
  for (const r of rows) bound.set(String(r.code), String(r.key));
  for (const code of codes) {
    if (bound.has(code)) continue;
    // A profile id: follow merges to the live profile and take its oldest identifier.
    let id = code;
    for (let hops = 0; hops < 20; hops++) {
      const rs = await tx.execute({
        sql: 'SELECT key FROM identities WHERE site_id = ? AND profile_id = ? ORDER BY created_at, key LIMIT 1',
        args: [siteId, id],
      });
      if (rs.rows[0]) {
        profiles.set(code, String(rs.rows[0].key));
        break;
      }
      const p = await tx.execute({
        sql: 'SELECT merged_into FROM profiles WHERE site_id = ? AND id = ?',
        args: [siteId, id],
      });
      const next = p.rows[0]?.merged_into;
      if (next === null || next === undefined) break;
      id = String(next);
    }
  }
  for (const [code, key] of profiles) {
    await tx.execute({
      sql: 'INSERT INTO referral_codes (site_id, code, key, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      args: [siteId, code, key, now],
    });
  }
  return { codes: bound, profiles };
}

/**
 * Keeps one credit row per referred profile in step with its state: written when a profile with a referral
 * became a lead, removed when a refold, merge or unmerge takes the claim away or makes it a self-referral.
 * Returns the referrers' evidence for the profiles about to be written and the referrer keys whose credits
 * changed (their profiles' stages are recomputed after).
 */
async function settleReferrals(
  tx: Exec,
  siteId: string,
  settings: IdentitySettings,
  states: Map<string, ProfileState>,
  refolded: Set<string>,
  retired: Map<string, string>,
  now: number,
): Promise<{ evidence: Map<string, Evidence[]>; referrerKeys: Set<string>; changes: ProfileChange[] }> {
  const changes: ProfileChange[] = [];
  const check = new Set<string>(retired.keys());
  for (const [id, p] of states) {
    if (p.eventCount === 0 || refolded.has(id) || referralClaim(p)) check.add(id);
  }
  const referrerKeys = new Set<string>();
  if (check.size) {
    const existing = new Map<string, ReferralCredit>();
    const rows = await selectIn(
      tx,
      (m) =>
        `SELECT referred_id, referrer_key, code, at, message_id, contact FROM referral_credits WHERE referred_id IN (${m})`,
      [],
      [...check],
    );
    for (const r of rows) {
      existing.set(String(r.referred_id), {
        referredId: String(r.referred_id),
        referrerKey: String(r.referrer_key),
        code: String(r.code),
        at: Number(r.at),
        messageId: String(r.message_id),
        contact: String(r.contact ?? ''),
      });
    }
    // Claims to resolve: new or changed ones, and every claim of a profile whose membership changed.
    const todo = new Set<string>();
    for (const id of check) {
      const p = states.get(id);
      const claim = p && p.eventCount > 0 ? referralClaim(p) : null;
      const old = existing.get(id);
      if (!claim) continue;
      const same = old && old.code === claim.code && old.at === claim.at && old.messageId === claim.messageId;
      if (!same || refolded.has(id)) todo.add(id);
    }
    const codeOf = (id: string) => referralClaim(states.get(id)!)!.code;
    const lookups = await codeLookups(tx, siteId, [...new Set([...todo].map(codeOf))], now);
    const keys = [...new Set([...todo].map((id) => resolveCode(codeOf(id), lookups).key))];
    const holder = new Map<string, string>();
    if (keys.length) {
      const hr = await selectIn(
        tx,
        (m) => `SELECT key, profile_id FROM identities WHERE site_id = ? AND key IN (${m})`,
        [siteId],
        keys,
      );
      for (const r of hr) holder.set(String(r.key), String(r.profile_id));
    }
    // What the trust rules need: the browsers of the referred and referring profiles, and the credits that
    // already name the same contacts.
    const around = new Set([...todo, ...holder.values()]);
    const browsers = new Map<string, Set<string>>();
    if (around.size) {
      const br = await selectIn(
        tx,
        (m) =>
          `SELECT key, profile_id FROM identities WHERE site_id = ? AND profile_id IN (${m})
           AND (substr(key, 1, 2) = 'a:' OR substr(key, 1, 2) = 's:')`,
        [siteId],
        [...around],
      );
      for (const r of br) {
        const pid = String(r.profile_id);
        let set = browsers.get(pid);
        if (!set) browsers.set(pid, (set = new Set()));
        set.add(browserOf(String(r.key)));
      }
    }
    const contacts = [
      ...new Set([...todo].map((id) => contactOf(states.get(id)!)).filter((c): c is string => !!c)),
    ];
    const byContact = new Map<
      string,
      { referredId: string; at: number; messageId: string; referrerKey: string }[]
    >();
    if (contacts.length) {
      const cr = await selectIn(
        tx,
        (m) =>
          `SELECT referred_id, referrer_key, at, message_id, contact FROM referral_credits WHERE site_id = ? AND contact IN (${m})`,
        [siteId],
        contacts,
      );
      for (const r of cr) {
        const c = String(r.contact);
        let list = byContact.get(c);
        if (!list) byContact.set(c, (list = []));
        list.push({
          referredId: String(r.referred_id),
          at: Number(r.at),
          messageId: String(r.message_id),
          referrerKey: String(r.referrer_key),
        });
      }
    }
    const earlier = (x: { at: number; messageId: string }, at: number, messageId: string) =>
      x.at < at || (x.at === at && x.messageId < messageId);
    const ctx: CreditContext = {
      profileOf: (k) => holder.get(k) ?? null,
      browsersOf: (pid) => browsers.get(pid) ?? new Set(),
      contactTaken: (contact, referredId, at, messageId) =>
        (byContact.get(contact) ?? []).some(
          (x) => x.referredId !== referredId && !check.has(x.referredId) && earlier(x, at, messageId),
        ),
    };
    const kept: ReferralCredit[] = [];
    for (const id of check) {
      const old = existing.get(id) ?? null;
      const want = todo.has(id)
        ? creditFor(id, states.get(id)!, lookups, ctx)
        : states.get(id) && states.get(id)!.eventCount > 0 && referralClaim(states.get(id)!)
          ? old
          : null;
      if (want) kept.push(want);
      const same =
        (!old && !want) ||
        (!!old &&
          !!want &&
          old.referrerKey === want.referrerKey &&
          old.code === want.code &&
          old.at === want.at &&
          old.messageId === want.messageId &&
          old.contact === want.contact);
      if (same) continue;
      if (old) {
        referrerKeys.add(old.referrerKey);
        await tx.execute({ sql: 'DELETE FROM referral_credits WHERE referred_id = ?', args: [id] });
      }
      if (want) {
        referrerKeys.add(want.referrerKey);
        const referrer = holder.get(want.referrerKey);
        if (referrer && !old)
          changes.push({
            profileId: referrer,
            kind: 'referral_credited',
            detail: { referredId: id, messageId: want.messageId },
            at: want.at,
            messageId: want.messageId,
          });
        await tx.execute({
          sql: `INSERT INTO referral_credits (referred_id, site_id, referrer_key, code, at, message_id, contact)
                VALUES (?, ?, ?, ?, ?, ?, ?)`,
          args: [id, siteId, want.referrerKey, want.code, want.at, want.messageId, want.contact],
        });
      }
    }
    // A contact belongs to the earliest credited lead that used it: a later credit holding it is withdrawn.
    for (const k of kept) {
      for (const x of byContact.get(k.contact) ?? []) {
        if (x.referredId === k.referredId || check.has(x.referredId) || earlier(x, k.at, k.messageId))
          continue;
        referrerKeys.add(x.referrerKey);
        await tx.execute({ sql: 'DELETE FROM referral_credits WHERE referred_id = ?', args: [x.referredId] });
      }
    }
  }
  const live = [...states].filter(([, p]) => p.eventCount > 0).map(([id]) => id);
  const credits = await referralCredits(tx, siteId, live);
  const evidence = new Map<string, Evidence[]>();
  for (const [id, list] of credits) evidence.set(id, referralEvidence(id, list, settings.referralDailyLimit));
  return { evidence, referrerKeys, changes };
}

/** Referrers whose credits changed but whose rows this group did not write: their stage, recomputed. */
export async function restageReferrers(
  tx: Exec,
  siteId: string,
  settings: IdentitySettings,
  referrerKeys: Set<string>,
  written: Map<string, ProfileState>,
  changes: ProfileChange[],
  now: number,
) {
  if (!referrerKeys.size) return;
  const rows = await selectIn(
    tx,
    (m) => `SELECT DISTINCT profile_id FROM identities WHERE site_id = ? AND key IN (${m})`,
    [siteId],
    [...referrerKeys],
  );
  const ids = rows.map((r) => String(r.profile_id)).filter((id) => !written.has(id));
  if (!ids.length) return;
  const credits = await referralCredits(tx, siteId, ids);
  for (const id of ids) {
    const rs = await tx.execute({
      sql: `SELECT p.state, p.stage, p.score, o.stage AS o_stage, o.reason, o.at FROM profiles p
            LEFT JOIN stage_overrides o ON o.profile_id = p.id WHERE p.id = ? AND p.merged_into IS NULL`,
      args: [id],
    });
    const r = rs.rows[0];
    if (!r?.state) continue;
    const override: StageOverride | null =
      r.o_stage === null || r.o_stage === undefined
        ? null
        : { stage: String(r.o_stage) as StageOverride['stage'], reason: String(r.reason), at: Number(r.at) };
    const state = JSON.parse(String(r.state)) as ProfileState;
    const { stage, history } = lifecycle(
      state,
      override,
      referralEvidence(id, credits.get(id) ?? [], settings.referralDailyLimit),
    );
    if (stage === r.stage) continue;
    await writeStage(tx, id, stage, history);
    const score = Number(r.score);
    changes.push(
      ...profileChanges(
        id,
        { stage: String(r.stage) as Stage, score },
        { stage, score },
        history,
        settings.score.threshold,
        { at: state.lastKey[0], messageId: state.lastKey[1] },
        now,
      ),
    );
  }
}

/** A profile's stage and the times it entered qualified, retained and loyal (see stageTimes). */
export async function writeStage(tx: Exec, id: string, stage: Stage, history: StageEntry[]): Promise<void> {
  const t = stageTimes(stage, history);
  await tx.execute({
    sql: 'UPDATE profiles SET stage = ?, qualified_at = ?, retained_at = ?, loyal_at = ? WHERE id = ?',
    args: [stage, t.qualifiedAt, t.retainedAt, t.loyalAt, id],
  });
}

async function writeTouches(tx: Exec, siteId: string, fresh: StitchEvent[], settings: IdentitySettings) {
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

/**
 * The referral side of one profile for the admin API: its referral code (made and bound to one of its
 * identifiers on first ask: the user id, else the oldest), its credits as a referrer and their evidence.
 */
export async function profileReferrals(
  tx: Exec,
  siteId: string,
  profileId: string,
  keys: string[],
): Promise<{
  referralCode: string | null;
  referrals: { profileId: string; at: number; messageId: string; status: ReferralStatus }[];
  evidence: Evidence[];
}> {
  const limit = (await siteSettings(tx, siteId)).referralDailyLimit;
  const credits = (await referralCredits(tx, siteId, [profileId])).get(profileId) ?? [];
  const evidence = referralEvidence(profileId, credits, limit);
  const status = creditStatuses(profileId, credits, limit);
  const referrals = credits
    .filter((c) => c.referredId !== profileId)
    .map((c) => ({
      profileId: c.referredId,
      at: c.at,
      messageId: c.messageId,
      status: status.get(c.messageId) ?? 'credited',
    }))
    .sort((a, b) => a.at - b.at || (a.messageId < b.messageId ? -1 : 1));
  if (!keys.length) return { referralCode: null, referrals, evidence };
  const found = await selectIn(
    tx,
    (m) =>
      `SELECT code FROM referral_codes WHERE site_id = ? AND substr(code, 1, ${REFERRAL_CODE_PREFIX.length}) = ?
       AND key IN (${m}) ORDER BY created_at, code LIMIT 1`,
    [siteId, REFERRAL_CODE_PREFIX],
    keys,
  );
  let referralCode = found[0] ? String(found[0].code) : null;
  if (!referralCode) {
    const key = keys.find((k) => k.startsWith('u:')) ?? keys[0];
    referralCode = `${REFERRAL_CODE_PREFIX}${newId(12)}`;
    await tx.execute({
      sql: 'INSERT INTO referral_codes (site_id, code, key, created_at) VALUES (?, ?, ?, ?)',
      args: [siteId, referralCode, key, Date.now()],
    });
  }
  return { referralCode, referrals, evidence };
}
