// The SQL of one group commit: store new events (idempotently), then fold the stored ones into profiles.
// Everything happens in one write transaction, so a request is answered only once all of it is on disk.
import type { InStatement, Transaction } from '@libsql/client';
import type { Touch } from '../../wire.ts';
import { newId } from '../admin/secrets.ts';
import { identityKeys } from '../identity/identifiers.ts';
import { type ProfileState, stitch } from '../identity/stitch.ts';
import type { PreparedEvent } from './prepare.ts';

/** Rows per multi-row INSERT; a fixed size keeps the statement text (and its prepared plan) reusable. */
const CHUNK = 100;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function placeholders(rows: number, cols: number): string {
  const row = `(${Array(cols).fill('?').join(', ')})`;
  return Array(rows).fill(row).join(', ');
}

export interface SiteEvents {
  siteId: string;
  events: PreparedEvent[];
}

/** Inserts the events and returns the messageIds actually stored (the rest were already there). */
async function insertEvents(tx: Transaction, siteId: string, events: PreparedEvent[]): Promise<Set<string>> {
  const stored = new Set<string>();
  for (const part of chunks(events)) {
    const args: (string | number | null)[] = [];
    for (const e of part) {
      args.push(
        siteId,
        e.messageId,
        e.type,
        e.event,
        e.ident,
        e.anonymousId,
        e.userId,
        e.ts,
        e.receivedAt,
        e.body,
      );
    }
    const rs = await tx.execute({
      sql: `INSERT INTO events (site_id, message_id, type, event, ident, anonymous_id, user_id, ts, received_at, body)
            VALUES ${placeholders(part.length, 10)} ON CONFLICT DO NOTHING RETURNING message_id`,
      args,
    });
    for (const row of rs.rows) stored.add(String(row.message_id));
  }
  return stored;
}

function profileFromRow(r: Record<string, unknown>): ProfileState {
  return {
    id: String(r.id),
    siteId: String(r.site_id),
    email: (r.email as string | null) ?? null,
    userId: (r.user_id as string | null) ?? null,
    name: (r.name as string | null) ?? null,
    stage: String(r.stage) as ProfileState['stage'],
    firstTouch: r.first_touch ? (JSON.parse(String(r.first_touch)) as Touch) : null,
    firstTouchAt: r.first_touch_at === null ? null : Number(r.first_touch_at),
    firstSeen: Number(r.first_seen),
    lastSeen: Number(r.last_seen),
    eventCount: Number(r.event_count),
    mergedInto: (r.merged_into as string | null) ?? null,
  };
}

async function loadOwners(tx: Transaction, siteId: string, keys: string[]) {
  const owners = new Map<string, string>();
  for (const part of chunks(keys, 500)) {
    const rs = await tx.execute({
      sql: `SELECT key, profile_id FROM identities WHERE site_id = ? AND key IN (${part.map(() => '?').join(', ')})`,
      args: [siteId, ...part],
    });
    for (const row of rs.rows) owners.set(String(row.key), String(row.profile_id));
  }
  const profiles = new Map<string, ProfileState>();
  const ids = [...new Set(owners.values())];
  for (const part of chunks(ids, 500)) {
    const rs = await tx.execute({
      sql: `SELECT * FROM profiles WHERE id IN (${part.map(() => '?').join(', ')})`,
      args: part,
    });
    for (const row of rs.rows) profiles.set(String(row.id), profileFromRow(row as Record<string, unknown>));
  }
  return { owners, profiles };
}

async function saveStitch(tx: Transaction, siteId: string, result: ReturnType<typeof stitch>, now: number) {
  const stmts: InStatement[] = [];
  for (const part of chunks([...result.profiles.values()])) {
    const args: (string | number | null)[] = [];
    for (const p of part) {
      args.push(
        p.id,
        p.siteId,
        p.email,
        p.userId,
        p.name,
        p.stage,
        p.firstTouch ? JSON.stringify(p.firstTouch) : null,
        p.firstTouchAt,
        p.firstSeen,
        p.lastSeen,
        p.eventCount,
        p.mergedInto,
      );
    }
    stmts.push({
      sql: `INSERT INTO profiles (id, site_id, email, user_id, name, stage, first_touch, first_touch_at, first_seen, last_seen, event_count, merged_into)
            VALUES ${placeholders(part.length, 12)}
            ON CONFLICT (id) DO UPDATE SET email = excluded.email, user_id = excluded.user_id, name = excluded.name,
              stage = excluded.stage, first_touch = excluded.first_touch, first_touch_at = excluded.first_touch_at,
              first_seen = excluded.first_seen, last_seen = excluded.last_seen, event_count = excluded.event_count,
              merged_into = excluded.merged_into`,
      args,
    });
  }
  for (const m of result.merges) {
    // Identifiers of the merged profile that this group did not load move too.
    stmts.push({
      sql: 'UPDATE identities SET profile_id = ? WHERE profile_id = ?',
      args: [m.survivorId, m.mergedId],
    });
    stmts.push({
      sql: 'INSERT INTO merges (id, site_id, survivor_id, merged_id, reason, identifier, message_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      args: [newId(), siteId, m.survivorId, m.mergedId, m.reason, m.identifier, m.messageId, now],
    });
  }
  for (const part of chunks([...result.owners.entries()])) {
    stmts.push({
      sql: `INSERT INTO identities (site_id, key, profile_id, created_at) VALUES ${placeholders(part.length, 4)}
            ON CONFLICT (site_id, key) DO UPDATE SET profile_id = excluded.profile_id`,
      args: part.flatMap(([key, profileId]) => [siteId, key, profileId, now]),
    });
  }
  for (const s of stmts) await tx.execute(s);
}

/** Stores one site's events and updates its profiles; returns the messageIds that were new. */
export async function commitSiteEvents(
  tx: Transaction,
  group: SiteEvents,
  now: number,
): Promise<Set<string>> {
  const stored = await insertEvents(tx, group.siteId, group.events);
  const fresh = group.events.filter((e) => stored.has(e.messageId));
  if (fresh.length === 0) return stored;
  const keys = [...new Set(fresh.flatMap((e) => identityKeys(e.raw)))];
  const { owners, profiles } = await loadOwners(tx, group.siteId, keys);
  const result = stitch({ siteId: group.siteId, events: fresh, owners, profiles, newId: () => newId() });
  await saveStitch(tx, group.siteId, result, now);
  return stored;
}
