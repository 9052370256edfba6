// Pure stitching: folds newly stored events into profiles, linking identifiers and merging profiles they join.
// Events are applied in (time, messageId) order and merges keep the earliest profile, so order of arrival
// inside a group does not change the outcome.
import { STAGES, type Stage, type Touch } from '../../wire.ts';
import type { PreparedEvent } from '../ingest/prepare.ts';
import { eventEmail, eventName, identityKeys } from './identifiers.ts';

export interface ProfileState {
  id: string;
  siteId: string;
  email: string | null;
  userId: string | null;
  name: string | null;
  stage: Stage;
  firstTouch: Touch | null;
  firstTouchAt: number | null;
  firstSeen: number;
  lastSeen: number;
  eventCount: number;
  mergedInto: string | null;
}

export interface Merge {
  survivorId: string;
  mergedId: string;
  /** The identity key that joined them. */
  identifier: string;
  messageId: string;
  reason: string;
}

export interface StitchResult {
  /** Identity keys whose owner is new or changed. */
  owners: Map<string, string>;
  /** Profiles created or changed, merged ones included (with mergedInto set). */
  profiles: Map<string, ProfileState>;
  merges: Merge[];
}

export function stageRank(stage: Stage): number {
  return STAGES.indexOf(stage);
}

/** The touch an event tells of: the widget's stored first touch, or the page it was made on. */
export function eventTouch(e: PreparedEvent): { touch: Touch; at: number } | null {
  const ctx = e.raw.context;
  const ft = ctx?.firstTouch;
  if (ft) {
    const at = Date.parse(ft.at);
    return { touch: ft, at: Number.isFinite(at) ? Math.min(at, e.ts) : e.ts };
  }
  if (e.type !== 'page') return null;
  const page = ctx?.page;
  const c = ctx?.campaign;
  const url = page?.url ?? (e.raw.properties?.url as string | undefined) ?? null;
  if (!url && !page?.referrer && !c) return null;
  const touch: Touch = {
    at: new Date(e.ts).toISOString(),
    landingUrl: url,
    referrer: page?.referrer || null,
    source: c?.source ?? null,
    medium: c?.medium ?? null,
    campaign: c?.name ?? null,
    term: c?.term ?? null,
    content: c?.content ?? null,
  };
  for (const k of ['gclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'ttclid', 'li_fat_id', 'ref'] as const) {
    const value = c?.[k];
    if (typeof value === 'string' && value) touch[k] = value;
  }
  return { touch, at: e.ts };
}

function newProfile(id: string, siteId: string, ts: number): ProfileState {
  return {
    id,
    siteId,
    email: null,
    userId: null,
    name: null,
    stage: 'reach',
    firstTouch: null,
    firstTouchAt: null,
    firstSeen: ts,
    lastSeen: ts,
    eventCount: 0,
    mergedInto: null,
  };
}

function earlierFirst(a: ProfileState, b: ProfileState): number {
  return a.firstSeen - b.firstSeen || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Folds `from` into `into`; `into` keeps its own values where it has them. */
function absorb(into: ProfileState, from: ProfileState): void {
  into.firstSeen = Math.min(into.firstSeen, from.firstSeen);
  into.lastSeen = Math.max(into.lastSeen, from.lastSeen);
  into.eventCount += from.eventCount;
  into.email ??= from.email;
  into.userId ??= from.userId;
  into.name ??= from.name;
  if (stageRank(from.stage) > stageRank(into.stage)) into.stage = from.stage;
  if (from.firstTouchAt !== null && (into.firstTouchAt === null || from.firstTouchAt < into.firstTouchAt)) {
    into.firstTouch = from.firstTouch;
    into.firstTouchAt = from.firstTouchAt;
  }
  from.mergedInto = into.id;
}

export interface StitchInput {
  siteId: string;
  events: PreparedEvent[];
  /** Current owner of each identity key the events carry (keys with no owner are absent). */
  owners: Map<string, string>;
  /** Current state of every profile named in `owners`. */
  profiles: Map<string, ProfileState>;
  newId: () => string;
}

export function stitch(input: StitchInput): StitchResult {
  const owners = new Map(input.owners);
  const profiles = new Map(input.profiles);
  const changedOwners = new Map<string, string>();
  const changed = new Map<string, ProfileState>();
  const merges: Merge[] = [];
  const touch = (p: ProfileState) => {
    const copy = changed.get(p.id) ?? { ...p };
    changed.set(p.id, copy);
    profiles.set(p.id, copy);
    return copy;
  };
  const live = (id: string): ProfileState => {
    let p = profiles.get(id)!;
    while (p.mergedInto) p = profiles.get(p.mergedInto)!;
    return p;
  };

  const events = [...input.events].sort((a, b) => a.ts - b.ts || (a.messageId < b.messageId ? -1 : 1));
  for (const e of events) {
    const keys = identityKeys(e.raw);
    const found = new Map<string, ProfileState>();
    for (const key of keys) {
      const owner = owners.get(key);
      if (owner) {
        const p = live(owner);
        found.set(p.id, p);
      }
    }
    let profile: ProfileState;
    if (found.size === 0) {
      profile = touch(newProfile(input.newId(), input.siteId, e.ts));
    } else {
      const ordered = [...found.values()].sort(earlierFirst);
      profile = touch(ordered[0]);
      for (const other of ordered.slice(1)) {
        const ownedBy = (id: string) => keys.find((k) => owners.get(k) && live(owners.get(k)!).id === id)!;
        const link = `${ownedBy(profile.id)} ↔ ${ownedBy(other.id)}`;
        absorb(profile, touch(other));
        merges.push({
          survivorId: profile.id,
          mergedId: other.id,
          identifier: link,
          messageId: e.messageId,
          reason: `${e.type === 'track' ? e.event : e.type} event linked ${link}`,
        });
        // Every key the merged profile owned now belongs to the survivor.
        for (const [k, owner] of owners) {
          if (live(owner).id === profile.id && owner !== profile.id) {
            owners.set(k, profile.id);
            changedOwners.set(k, profile.id);
          }
        }
      }
    }
    for (const key of keys) {
      if (owners.get(key) !== profile.id) {
        owners.set(key, profile.id);
        changedOwners.set(key, profile.id);
      }
    }
    apply(profile, e);
  }
  return { owners: changedOwners, profiles: changed, merges };
}

/** Per-field policy: times widen, counts add, the latest stated name/email win, the earliest touch wins. */
function apply(p: ProfileState, e: PreparedEvent): void {
  p.firstSeen = Math.min(p.firstSeen, e.ts);
  p.lastSeen = Math.max(p.lastSeen, e.ts);
  p.eventCount += 1;
  const email = eventEmail(e.raw);
  if (email) {
    p.email = email;
    if (stageRank(p.stage) < stageRank('lead')) p.stage = 'lead';
  }
  if (e.userId) p.userId = e.userId;
  const name = eventName(e.raw);
  if (name) p.name = name;
  const t = eventTouch(e);
  if (t && (p.firstTouchAt === null || t.at < p.firstTouchAt)) {
    p.firstTouch = t.touch;
    p.firstTouchAt = t.at;
  }
}
