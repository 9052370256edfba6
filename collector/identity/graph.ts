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

/** Where a browser changed hands: its events from this point on (by time, then messageId) are a new person's. */
export interface SwitchPoint {
  key: string;
  ts: number;
  messageId: string;
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
  /** Browsers used by more than one person: where each later person's part of it begins (in order). */
  segments: Map<string, SwitchPoint[]>;
}

/** Names the part of browser `base` that begins at a switch point (the same name for the same point). */
export type SegmentNamer = (base: string, ts: number, messageId: string) => string;

/** A browser's later part is an identity node of its own: 's:' + the anonymous id + '~' + ten characters. */
export const SEGMENT_SUFFIX = 11;
export const segmentBase = (key: string) => `a:${key.slice(2, key.length - SEGMENT_SUFFIX)}`;
/** The browser key an identity node stands for: itself, or the browser a segment is part of. */
export const browserOf = (key: string) => (key.startsWith('s:') ? segmentBase(key) : key);

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
      if (k !== x && (k.startsWith('a:') || k.startsWith('s:') || k.startsWith('u:'))) people.add(uf.find(k));
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

const personKey = (k: string) => k.startsWith('u:') || k.startsWith('e:');

/** An event in which a browser says who is using it: the user ids and emails it names. */
export interface BrowserAct {
  ts: number;
  messageId: string;
  persons: string[];
  /** The sender vouched for these (the secret key, or a signed identify for its user id). */
  verified: string[];
}

export function actOrder(x: BrowserAct, y: BrowserAct): number {
  return x.ts - y.ts || (x.messageId < y.messageId ? -1 : x.messageId > y.messageId ? 1 : 0);
}

/** The acts a browser's own links tell of (their earliest evidence); marketer-made links are not acts. */
export function actsOfLinks(browser: string, links: GraphLink[]): BrowserAct[] {
  const byEvent = new Map<string, BrowserAct>();
  for (const l of links) {
    if (forced(l) || l.decision === 'rejected' || l.revokedAt !== null) continue;
    if (l.a !== browser && l.b !== browser) continue;
    const other = l.a === browser ? l.b : l.a;
    if (!personKey(other)) continue;
    const id = `${l.ts}\n${l.messageId}`;
    let e = byEvent.get(id);
    if (!e) byEvent.set(id, (e = { ts: l.ts, messageId: l.messageId, persons: [], verified: [] }));
    if (!e.persons.includes(other)) e.persons.push(other);
    if (l.verified && !e.verified.includes(other)) e.verified.push(other);
  }
  return [...byEvent.values()];
}

/**
 * Shared devices: a browser's acts in evidence order, cut where it starts to speak for someone else. A
 * segment's person is its user ids, or without them its emails. An act naming a different user id, or (while
 * the segment has no user id) an email the segment has not seen, begins a new segment; the same user id with
 * a new email is the same person.
 */
export function browserSegments(browser: string, acts: BrowserAct[], name: SegmentNamer): SwitchPoint[] {
  const out: SwitchPoint[] = [];
  let users = new Set<string>();
  let emails = new Set<string>();
  for (const e of [...acts].sort(actOrder)) {
    const eu = e.persons.filter((k) => k.startsWith('u:'));
    const ee = e.persons.filter((k) => k.startsWith('e:'));
    let cut = false;
    // A different login is a different person.
    if (users.size && eu.length) cut = eu.some((u) => !users.has(u));
    // Without a login on the browser's part, a new address is a different person; with one, it is an address
    // the logged-in person also uses.
    else if (!users.size && emails.size) cut = ee.some((x) => !emails.has(x));
    if (cut) {
      out.push({ key: name(browser, e.ts, e.messageId), ts: e.ts, messageId: e.messageId });
      users = new Set();
      emails = new Set();
    }
    for (const u of eu) users.add(u);
    for (const x of ee) emails.add(x);
  }
  return out;
}

/** The part of a browser that an event or link at (ts, messageId) falls in. */
export function segmentAt(base: string, points: SwitchPoint[], ts: number, messageId: string): string {
  let key = base;
  for (const p of points) {
    if (ts > p.ts || (ts === p.ts && messageId >= p.messageId)) key = p.key;
    else break;
  }
  return key;
}

export function resolveGraph(
  inputNodes: GraphNode[],
  allLinks: GraphLink[],
  settings: GraphSettings,
  name: SegmentNamer = (base, _ts, messageId) => `s:${base.slice(2)}~${messageId}`,
  /** Browsers' acts as stored (every identification, not only each link's first). */
  storedActs: ReadonlyMap<string, BrowserAct[]> = new Map(),
): GraphResult {
  const status = new Map<string, LinkStatus>();
  const reason = new Map<string, string>();
  // Segments are decided here from the links; stored ones are not inputs (a marketer's link may name one).
  const baseNodes = inputNodes.filter((n) => !n.key.startsWith('s:'));
  const known = new Set(inputNodes.map((n) => n.key));
  const given = allLinks.filter((l) => known.has(l.a) && known.has(l.b));
  for (const l of given) if (l.revokedAt !== null) status.set(l.id, 'revoked');

  // A browser used by several people is cut into parts; each link then joins the part its evidence falls in.
  const segments = new Map<string, SwitchPoint[]>();
  const incident = new Map<string, GraphLink[]>();
  for (const l of given) {
    for (const k of [l.a, l.b]) {
      if (!k.startsWith('a:')) continue;
      let list = incident.get(k);
      if (!list) incident.set(k, (list = []));
      list.push(l);
    }
  }
  const actsOf = new Map<string, BrowserAct[]>();
  for (const browser of new Set([...incident.keys(), ...storedActs.keys()])) {
    if (!known.has(browser)) continue;
    // A pair a marketer revoked or rejected is not evidence again through the acts behind it.
    const barred = new Set<string>();
    for (const l of incident.get(browser) ?? [])
      if (l.revokedAt !== null || l.decision === 'rejected') barred.add(l.a === browser ? l.b : l.a);
    const seen = new Map<string, BrowserAct>();
    const stored = (storedActs.get(browser) ?? []).map((a) => ({
      ...a,
      persons: a.persons.filter((p) => !barred.has(p)),
    }));
    for (const a of [...actsOfLinks(browser, incident.get(browser) ?? []), ...stored]) {
      const id = `${a.ts}\n${a.messageId}`;
      const had = seen.get(id);
      if (!had) seen.set(id, { ...a, persons: [...a.persons], verified: [...a.verified] });
      else {
        for (const p of a.persons) if (!had.persons.includes(p)) had.persons.push(p);
        for (const p of a.verified) if (!had.verified.includes(p)) had.verified.push(p);
      }
    }
    const acts = [...seen.values()];
    actsOf.set(browser, acts);
    const points = browserSegments(browser, acts, name);
    if (points.length) segments.set(browser, points);
  }
  const nodes: GraphNode[] = [...baseNodes];
  const parts = new Set<string>();
  for (const points of segments.values())
    for (const p of points) {
      nodes.push({ key: p.key, verified: false, sharedAt: null });
      parts.add(p.key);
    }
  // A link joins the part of a browser its evidence falls in; a marketer's link joins the part it names (a
  // part no longer cut off is its browser again).
  const place = (k: string, l: GraphLink) => {
    if (k.startsWith('s:')) return parts.has(k) ? k : segmentBase(k);
    const points = forced(l) ? undefined : segments.get(k);
    return points ? segmentAt(k, points, l.ts, l.messageId) : k;
  };
  const links =
    segments.size || given.some((l) => l.a.startsWith('s:') || l.b.startsWith('s:'))
      ? given.map((l) => {
          const a = place(l.a, l);
          const b = place(l.b, l);
          return a === l.a && b === l.b ? l : { ...l, a, b };
        })
      : given;
  // Every act of a shared browser links its part to the people it names (a link row holds only the first
  // time a pair was seen, so a person coming back to the browser is known by the act).
  for (const [browser, points] of segments) {
    const made = new Set<string>();
    for (const act of actsOf.get(browser) ?? []) {
      const part = segmentAt(browser, points, act.ts, act.messageId);
      for (const person of act.persons) {
        if (!known.has(person) || made.has(`${part}\n${person}`)) continue;
        made.add(`${part}\n${person}`);
        links.push({
          id: `act\n${part}\n${person}`,
          a: part,
          b: person,
          rule: 'identified on a shared browser',
          messageId: act.messageId,
          ts: act.ts,
          verified: act.verified.includes(person),
          decision: null,
          revokedAt: null,
        });
      }
    }
  }
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
  // A browser's parts stay in one cluster, so its cut points are always decided over all of its links.
  for (const [browser, points] of segments) for (const p of points) clusterUf.union(browser, p.key);

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
  return {
    status,
    reason,
    shared: newlyShared,
    clusters: group(clusterUf),
    profiles: group(uf),
    segments,
  };
}
