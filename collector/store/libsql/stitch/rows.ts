// The identity graph as stored: identifier nodes and links as rows, and events read back for folding.
import type { WireEvent } from '../../../../wire.ts';
import { newId } from '../../../admin/secrets.ts';
import type { GraphLink, GraphNode, LinkDecision, LinkStatus, SwitchPoint } from '../../../identity/graph.ts';
import { type EventIdentity, eventIdentity, type Proof } from '../../../identity/identifiers.ts';
import type { FoldEvent } from '../../../identity/profile.ts';
import type { IdentitySettings } from '../../../identity/rules.ts';
import type { PreparedEvent } from '../../../ingest/prepare.ts';

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

export function ruleOf(e: { type: string; event: string | null }, kind: string): string {
  const what = e.type === 'track' ? (e.event ?? 'track') : e.type;
  return `${what}: ${kind}`;
}

// ---- Rows ----

export interface NodeRow extends GraphNode {
  profileId: string | null;
  clusterId: string | null;
  homeProfile: string | null;
  /** A browser used by several people: where each later person's part begins. */
  segments: SwitchPoint[] | null;
  isNew: boolean;
  dirty: boolean;
}

export interface LinkRow extends GraphLink {
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

export function nodeFromRow(r: Record<string, unknown>): NodeRow {
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

export const NODE_COLUMNS = 'key, profile_id, cluster_id, verified, shared_at, home_profile, segments';

export function newNode(key: string, verified = false): NodeRow {
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

export function linkFromRow(r: Record<string, unknown>): LinkRow {
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
