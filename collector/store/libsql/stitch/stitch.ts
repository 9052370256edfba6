// One group of new events through the identity engine, step by step: the whole path of an event is here.
import { newId, sortableId } from '../../../admin/secrets.ts';
import type { IdentitySettings } from '../../../identity/rules.ts';
import { recordActs } from './acts.ts';
import { settleProfiles, writeTouches } from './profiles.ts';
import { placeOnSegments, replay, type Replayed, writeNodesAndLinks } from './replay.ts';
import {
  type Extra,
  linkFromRow,
  type LinkRow,
  newNode,
  NODE_COLUMNS,
  nodeFromRow,
  type NodeRow,
  pairOf,
  ruleOf,
  type StitchEvent,
} from './rows.ts';
import { type Exec, selectIn } from './sql.ts';

/**
 * Folds a group's new events (already inserted) into the graph and profiles. Work is proportional to the
 * identifiers and clusters these events touch: one look-up of their keys, one of their pairs, and only the
 * clusters whose links changed are replayed. The decisions are the pure code in identity/.
 */
export async function stitchEvents(
  tx: Exec,
  siteId: string,
  fresh: StitchEvent[],
  settings: IdentitySettings,
  now: number,
  extra: Extra = {},
): Promise<void> {
  // 1. What the events say: the identifiers they name and the links they state.
  const { named, stated } = statedLinks(siteId, fresh, extra, now);
  // 2. Load those identifiers and the links already stored between them; note the clusters to replay.
  const dirty = new Set(extra.clusters ?? []);
  const nodes = await loadNodes(tx, siteId, named, dirty);
  const links = await loadLinks(tx, siteId, stated, nodes, extra, dirty);
  // 3. Keep the browsers' acts (who says they use a browser); one that may move a cut replays its cluster.
  await recordActs(tx, siteId, fresh, nodes, dirty);
  // 4. Decide the touched clusters again (identity/graph.ts): link statuses, shared identifiers, a shared
  //    browser's parts, profile ids, merges and unmerges. Identifiers no replay covered get a profile each.
  const replayed = await replay(tx, siteId, settings, nodes, links, dirty, now, extra);
  giveOwnProfiles(nodes, replayed);
  // 5. Events of a shared browser go to the part their time falls in; identities and links are written.
  await placeOnSegments(tx, siteId, fresh, nodes, replayed.moved);
  await writeNodesAndLinks(tx, siteId, nodes, links, now);
  // 6. Fold the events into profiles (identity/profile.ts), or queue a big refold, and write the rows,
  //    referral credits and the change log.
  await settleProfiles(tx, siteId, settings, fresh, nodes, replayed, now);
  // 7. Keep the touches the events tell of.
  await writeTouches(tx, siteId, fresh, settings);
}

/** The identifiers a group names (verified if any event vouches for one) and the links it states. */
function statedLinks(siteId: string, fresh: StitchEvent[], extra: Extra, now: number) {
  // Candidate links (a star from each event's owner) and nodes, with their earliest evidence.
  const named = new Map<string, boolean>();
  const stated = new Map<string, LinkRow>();
  for (const e of [...fresh].sort((x, y) => x.ts - y.ts || (x.messageId < y.messageId ? -1 : 1))) {
    const { ids, owner } = e.identity;
    named.set(owner, (named.get(owner) ?? false) || !!ids.find((i) => i.key === owner)?.verified);
    for (const i of ids) named.set(i.key, (named.get(i.key) ?? false) || i.verified);
    const anchor = ids[0];
    if (!anchor) continue;
    for (const other of ids.slice(1)) {
      const pair = pairOf(anchor.key, other.key);
      // The secret key vouches for every link a server states; a signed identify from the page only for the
      // link of its user id to this browser.
      const verified =
        e.proof === 'secret' ||
        (e.type === 'identify' && e.proof === 'hmac' && anchor.kind === 'user' && other.kind === 'anonymous');
      const prev = stated.get(pair);
      if (!prev) {
        const [a, b] = anchor.key < other.key ? [anchor.key, other.key] : [other.key, anchor.key];
        stated.set(pair, {
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
    named.set(l.a, named.get(l.a) ?? false);
    named.set(l.b, named.get(l.b) ?? false);
  }
  return { named, stated };
}

/** The named identifiers as stored (new ones made); a newly verified one replays its cluster. */
async function loadNodes(
  tx: Exec,
  siteId: string,
  named: Map<string, boolean>,
  dirty: Set<string>,
): Promise<Map<string, NodeRow>> {
  const nodes = new Map<string, NodeRow>();
  const keys = [...named.keys()];
  if (keys.length) {
    const rows = await selectIn(
      tx,
      (m) => `SELECT ${NODE_COLUMNS} FROM identities WHERE site_id = ? AND key IN (${m})`,
      [siteId],
      keys,
    );
    for (const r of rows) nodes.set(String(r.key), nodeFromRow(r));
  }
  for (const [key, verified] of named) {
    const n = nodes.get(key);
    if (!n) {
      nodes.set(key, newNode(key, verified));
    } else if (verified && !n.verified) {
      n.verified = true;
      n.dirty = true;
      if (n.clusterId) dirty.add(n.clusterId);
    }
  }
  return nodes;
}

/**
 * The stated links against the stored ones: new ones, and stored ones given earlier or verified evidence.
 * Either dirties the clusters of both ends.
 */
async function loadLinks(
  tx: Exec,
  siteId: string,
  stated: Map<string, LinkRow>,
  nodes: Map<string, NodeRow>,
  extra: Extra,
  dirty: Set<string>,
): Promise<Map<string, LinkRow>> {
  const links = new Map<string, LinkRow>();
  if (stated.size) {
    const rows = await selectIn(
      tx,
      (m) => `SELECT * FROM links WHERE site_id = ? AND pair IN (${m})`,
      [siteId],
      [...stated.keys()],
    );
    const existing = new Map(rows.map((r) => [String(r.pair), linkFromRow(r)]));
    for (const [pair, c] of stated) {
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
          if (n.clusterId) dirty.add(n.clusterId);
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
      if (n.clusterId) dirty.add(n.clusterId);
    }
  }
  return links;
}

/** Identifiers no replay covered and that have no profile yet get one of their own. */
function giveOwnProfiles(nodes: Map<string, NodeRow>, replayed: Replayed) {
  for (const n of nodes.values()) {
    if (n.key.startsWith('s:')) continue;
    if (n.profileId && n.clusterId) continue;
    if (replayed.keys.has(n.key)) continue;
    n.clusterId = sortableId();
    n.profileId = sortableId();
    n.homeProfile ??= n.profileId;
    n.dirty = true;
    replayed.fresh.add(n.profileId);
  }
}
