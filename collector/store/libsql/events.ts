// The SQL of one group commit: store new events (idempotently), then fold the stored ones into profiles.
// Everything happens in the writer's transaction, so a request is answered only once all of it is on disk.
import { billingFacts } from '../../billing/events.ts';
import type { PreparedEvent } from '../../ingest/prepare.ts';
import type { WriteOutcome } from '../types.ts';
import { recordPayment } from './ledger.ts';
import { refusedEvents } from './privacy.ts';
import { identify } from './stitch/rows.ts';
import { siteSettings } from './stitch/settings.ts';
import { stitchEvents } from './stitch/stitch.ts';
import type { EventGroup, Exec } from './writer.ts';

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
async function insertEvents(tx: Exec, siteId: string, events: PreparedEvent[]): Promise<Set<string>> {
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
        e.proof ?? null,
      );
    }
    const rs = await tx.execute({
      sql: `INSERT INTO events (site_id, message_id, type, event, ident, anonymous_id, user_id, ts, received_at, body, proof)
            VALUES ${placeholders(part.length, 11)} ON CONFLICT DO NOTHING RETURNING message_id`,
      args,
    });
    for (const row of rs.rows) stored.add(String(row.message_id));
  }
  return stored;
}

/** Stores one site's events and updates its profiles; returns the messageIds accepted (new, or refused unstored). */
export async function commitSiteEvents(tx: Exec, group: SiteEvents, now: number): Promise<Set<string>> {
  const settings = await siteSettings(tx, group.siteId);
  // Identifiers first: each event is stored under its owner key (user id, else anonymous id), which is how
  // a profile finds its events.
  const identified = identify(group.events, settings);
  // An erased person's identifiers, or a time in the purged past: such an event is acknowledged, never stored.
  const refused = await refusedEvents(tx, group.siteId, identified, settings, now);
  const kept = refused.size ? group.events.filter((e) => !refused.has(e.messageId)) : group.events;
  const stored = await insertEvents(tx, group.siteId, kept);
  for (const id of refused) stored.add(id);
  const fresh = identified.filter((e) => stored.has(e.messageId) && !refused.has(e.messageId));
  if (fresh.length === 0) return stored;
  await stitchEvents(tx, group.siteId, fresh, settings, now);
  for (const e of fresh) {
    const facts = e.proof === 'secret' || e.proof === 'webhook' ? billingFacts(e.raw) : null;
    if (!facts) continue;
    await recordPayment(
      tx,
      group.siteId,
      {
        facts,
        ident: e.identity.owner,
        ts: e.ts,
        messageId: e.messageId,
        source: e.messageId.startsWith('stripe:') ? 'stripe' : 'api',
      },
      now,
    );
  }
  return stored;
}

/**
 * Commits every waiting request's events (the writer's `commitEvents`): the first copy of a messageId in the
 * set is the one that counts, later copies are duplicates; each site's events are stitched together.
 */
export async function commitEventGroups(
  tx: Exec,
  groups: EventGroup<PreparedEvent, WriteOutcome>[],
  now: number,
): Promise<WriteOutcome[][]> {
  const bySite = new Map<string, PreparedEvent[]>();
  const firsts = new Set<PreparedEvent>();
  const seen = new Set<string>();
  for (const g of groups) {
    let list = bySite.get(g.siteId);
    if (!list) bySite.set(g.siteId, (list = []));
    for (const e of g.events) {
      const key = `${g.siteId}\u0000${e.messageId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      firsts.add(e);
      list.push(e);
    }
  }
  const stored = new Map<string, Set<string>>();
  for (const [siteId, events] of bySite)
    stored.set(siteId, await commitSiteEvents(tx, { siteId, events }, now));
  return groups.map((g) =>
    g.events.map((e) => (firsts.has(e) && stored.get(g.siteId)!.has(e.messageId) ? 'accepted' : 'duplicate')),
  );
}
