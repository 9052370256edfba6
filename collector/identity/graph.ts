// The identity graph of one cluster, decided from scratch: which links are active, which are refused, proposed
// or quarantined, and the profiles (connected components of active links). Links are replayed in evidence
// order (time, messageId, identifiers), so the outcome depends on the set of links, never on arrival order.

export type LinkStatus = 'active' | 'conflict' | 'proposal' | 'quarantined' | 'rejected' | 'revoked';
/** A marketer's answer: merged by hand, a proposal accepted or rejected. */
export type LinkDecision = 'manual' | 'accepted' | 'rejected' | null;

export interface GraphNode {
  key: string;
  verified: boolean;
  /** When it was quarantined as shared; sticky. */
  sharedAt: number | null;
}

export interface GraphLink {
  id: string;
  a: string;
  b: string;
  rule: string;
  messageId: string;
  ts: number;
  verified: boolean;
  decision: LinkDecision;
  revokedAt: number | null;
}

export interface GraphSettings {
  sharedLimit: number;
  sharedWindowDays: number;
}

export interface GraphResult {
  status: Map<string, LinkStatus>;
  /** Why a link is not active, for the profile page. */
  reason: Map<string, string>;
  /** Nodes quarantined as shared by this decision (with the time of the link that tipped them). */
  shared: Map<string, number>;
  /** Clusters: components of every link still in play (so a refused link stays next to what it refused). */
  clusters: string[][];
  /** Profiles: components of active links. */
  profiles: string[][];
}

class UnionFind {
  parent = new Map<string, string>();
  find(x: string): string {
    let r = x;
    while (this.parent.has(r) && this.parent.get(r) !== r) r = this.parent.get(r)!;
    let c = x;
    while (c !== r) {
      const n = this.parent.get(c) ?? r;
      this.parent.set(c, r);
      c = n;
    }
    this.parent.set(r, r);
    return r;
  }
  union(a: string, b: string): string {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return ra;
    // The smaller key is the root, so roots do not depend on the order of unions.
    const [root, child] = ra < rb ? [ra, rb] : [rb, ra];
    this.parent.set(child, root);
    return root;
  }
}

export function linkOrder(x: GraphLink, y: GraphLink): number {
  return (
    x.ts - y.ts ||
    (x.messageId < y.messageId ? -1 : x.messageId > y.messageId ? 1 : 0) ||
    (x.a < y.a ? -1 : x.a > y.a ? 1 : 0) ||
    (x.b < y.b ? -1 : x.b > y.b ? 1 : 0)
  );
}

const forced = (l: GraphLink) => l.decision === 'manual' || l.decision === 'accepted';
const userOf = (key: string) => (key.startsWith('u:') ? key : null);

/**
 * How many components (without node x's own links) x's partners fall into, at most, within any window of
 * `windowMs` (by link time). Links of shared nodes do not connect anything.
 */
function joinedComponents(x: string, links: GraphLink[], shared: Set<string>, windowMs: number): number {
  const uf = new UnionFind();
  const own: GraphLink[] = [];
  for (const l of links) {
    if (l.a === x || l.b === x) own.push(l);
    else if (!shared.has(l.a) && !shared.has(l.b) && l.decision !== 'rejected') uf.union(l.a, l.b);
  }
  own.sort(linkOrder);
  // Only components that are someone (hold a browser or a login) count; a lone email or phone is not a person.
  const people = new Set<string>();
  for (const l of links) {
    for (const k of [l.a, l.b])
      if (k !== x && (k.startsWith('a:') || k.startsWith('u:'))) people.add(uf.find(k));
  }
  let most = 0;
  for (let i = 0; i < own.length; i++) {
    const roots = new Set<string>();
    for (let j = 0; j <= i; j++) {
      const root = uf.find(own[j].a === x ? own[j].b : own[j].a);
      if (own[i].ts - own[j].ts <= windowMs && people.has(root)) roots.add(root);
    }
    most = Math.max(most, roots.size);
  }
  return most;
}

export function resolveGraph(
  nodes: GraphNode[],
  allLinks: GraphLink[],
  settings: GraphSettings,
): GraphResult {
  const status = new Map<string, LinkStatus>();
  const reason = new Map<string, string>();
  const known = new Set(nodes.map((n) => n.key));
  const links = allLinks.filter((l) => known.has(l.a) && known.has(l.b));
  for (const l of links) if (l.revokedAt !== null) status.set(l.id, 'revoked');
  const live = links.filter((l) => l.revokedAt === null);

  // Shared identifiers: the least fixpoint of "joins more than N components". Marking one can only raise
  // the count of another (its links stop connecting), so the result does not depend on the order of marking.
  const shared = new Set(nodes.filter((n) => n.sharedAt !== null).map((n) => n.key));
  const newlyShared = new Map<string, number>();
  const degree = new Map<string, number>();
  for (const l of live) {
    if (forced(l)) continue;
    degree.set(l.a, (degree.get(l.a) ?? 0) + 1);
    degree.set(l.b, (degree.get(l.b) ?? 0) + 1);
  }
  const windowMs = settings.sharedWindowDays * 86_400_000;
  // A user id is the site's own login: it may join many browsers; two user ids never merge anyway.
  const candidates = [...degree]
    .filter(([k, d]) => d > settings.sharedLimit && !k.startsWith('u:'))
    .map(([k]) => k)
    .sort();
  for (let changed = true; changed;) {
    changed = false;
    for (const x of candidates) {
      if (shared.has(x)) continue;
      const unforced = live.filter((l) => !forced(l));
      if (joinedComponents(x, unforced, shared, windowMs) > settings.sharedLimit) {
        shared.add(x);
        const own = unforced.filter((l) => l.a === x || l.b === x).sort(linkOrder);
        newlyShared.set(x, own[own.length - 1]?.ts ?? 0);
        changed = true;
      }
    }
  }

  const inPlay: GraphLink[] = [];
  for (const l of live) {
    if (!forced(l) && (shared.has(l.a) || shared.has(l.b))) {
      status.set(l.id, 'quarantined');
      reason.set(
        l.id,
        `${shared.has(l.a) ? l.a : l.b} is shared by more than ${settings.sharedLimit} profiles`,
      );
    } else inPlay.push(l);
  }

  // Quarantined links stay inside the cluster: a shared identifier's neighbourhood is replayed as one, so
  // its status is always decided over all of its links.
  const clusterUf = new UnionFind();
  for (const n of nodes) clusterUf.find(n.key);
  for (const l of live) clusterUf.union(l.a, l.b);

  // Replay in evidence order, keeping per component its user ids and whether it holds a verified id.
  const uf = new UnionFind();
  const users = new Map<string, Set<string>>();
  const verified = new Map<string, boolean>();
  /** Verified user ids and emails: a claim of one never joins it to another component. */
  const vouched = new Set(
    nodes.filter((n) => n.verified && (n.key.startsWith('u:') || n.key.startsWith('e:'))).map((n) => n.key),
  );
  for (const n of nodes) {
    uf.find(n.key);
    const u = userOf(n.key);
    users.set(n.key, new Set(u ? [u] : []));
    verified.set(n.key, n.verified && (n.key.startsWith('u:') || n.key.startsWith('e:')));
  }
  for (const l of [...inPlay].sort(linkOrder)) {
    const ra = uf.find(l.a);
    const rb = uf.find(l.b);
    if (l.decision === 'rejected') {
      status.set(l.id, 'rejected');
      reason.set(l.id, 'a marketer rejected this merge');
      continue;
    }
    if (ra !== rb && !forced(l)) {
      const ua = users.get(ra)!;
      const ub = users.get(rb)!;
      if (ua.size && ub.size && [...ua].some((u) => !ub.has(u))) {
        status.set(l.id, 'conflict');
        reason.set(
          l.id,
          `would join two different user ids (${[...ua][0].slice(2)}, ${[...ub][0].slice(2)})`,
        );
        continue;
      }
      const claimed = !l.verified && (vouched.has(l.a) ? l.a : vouched.has(l.b) ? l.b : null);
      if (claimed) {
        status.set(l.id, 'proposal');
        reason.set(l.id, `${claimed.slice(2)} is verified: a claim of it that no proof backs does not merge`);
        continue;
      }
      if (!l.verified && verified.get(ra) && verified.get(rb)) {
        status.set(l.id, 'proposal');
        reason.set(l.id, 'a claimed identifier would join two profiles that each hold a verified id');
        continue;
      }
    }
    status.set(l.id, 'active');
    if (ra !== rb) {
      const root = uf.union(ra, rb);
      users.set(root, new Set([...users.get(ra)!, ...users.get(rb)!]));
      verified.set(root, !!(verified.get(ra) || verified.get(rb)));
    }
  }

  // A proposal is only due while it would join two profiles that are still apart.
  for (const l of inPlay)
    if (status.get(l.id) === 'proposal' && uf.find(l.a) === uf.find(l.b)) {
      status.set(l.id, 'active');
      reason.delete(l.id);
    }

  const group = (f: UnionFind) => {
    const by = new Map<string, string[]>();
    for (const n of [...nodes].sort((x, y) => (x.key < y.key ? -1 : 1))) {
      const r = f.find(n.key);
      let list = by.get(r);
      if (!list) by.set(r, (list = []));
      list.push(n.key);
    }
    return [...by.values()];
  };
  return { status, reason, shared: newlyShared, clusters: group(clusterUf), profiles: group(uf) };
}
