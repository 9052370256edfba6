// The refolder: recomputes profiles whose refold was too big for the shared commit (a late event or a merge on
// a long history). It reads a queued profile's events outside any transaction, page by page, folds them in
// slices that yield to the event loop, then writes the result in a short write job of its own, provided the
// profile's identifiers and events are still the ones it read; otherwise it reads again.
import type { ProfileState } from '../../identity/profile.ts';
import { emptyProfile, eventOrder, type FoldEvent, foldEvent } from '../../identity/profile.ts';
import type { Db as Client } from './client.ts';
import { purgedHistory } from './privacy.ts';
import { onRefoldQueued, writeProfiles } from './stitch/profiles.ts';
import { eventFromRow } from './stitch/rows.ts';
import { siteSettings } from './stitch/settings.ts';
import type { Exec, WriteFn } from './writer.ts';
import type { Stage } from '../../../wire.ts';

const PAGE = 1000;
const SLICE = 2000;
const ATTEMPTS = 3;

const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The profile's identifiers, and a fingerprint of the events they own (count and sum of their seq). */
async function membership(db: Exec, siteId: string, profileId: string) {
  const rs = await db.execute({
    sql: 'SELECT key FROM identities WHERE site_id = ? AND profile_id = ? ORDER BY key',
    args: [siteId, profileId],
  });
  const keys = rs.rows.map((r) => String(r.key));
  if (!keys.length) return { keys, print: '' };
  const n = await db.execute({
    sql: `SELECT COUNT(*) AS n, TOTAL(seq) AS s FROM events WHERE site_id = ? AND ident IN (${keys.map(() => '?').join(', ')})`,
    args: [siteId, ...keys],
  });
  return { keys, print: `${Number(n.rows[0].n)}:${Number(n.rows[0].s)}` };
}

async function readAndFold(client: Exec, siteId: string, profileId: string) {
  const settings = await siteSettings(client, siteId);
  const { keys, print } = await membership(client, siteId, profileId);
  const events: FoldEvent[] = [];
  for (const key of keys) {
    let after: { ts: number; seq: number } | null = null;
    for (;;) {
      const rs: Awaited<ReturnType<Exec['execute']>> = await client.execute({
        sql: `SELECT seq, message_id, event, ts, body, proof FROM events WHERE site_id = ? AND ident = ?
              ${after ? 'AND (ts > ? OR (ts = ? AND seq > ?))' : ''} ORDER BY ts, seq LIMIT ${PAGE}`,
        args: [siteId, key, ...(after ? [after.ts, after.ts, after.seq] : [])],
      });
      for (const r of rs.rows) events.push(eventFromRow(r as Record<string, unknown>, settings));
      if (rs.rows.length < PAGE) break;
      const last: Record<string, unknown> = rs.rows[rs.rows.length - 1];
      after = { ts: Number(last.ts), seq: Number(last.seq) };
      await breathe();
    }
  }
  events.sort(eventOrder);
  // Onto the profile's purged history (retention), when its oldest events were purged.
  const purged = await purgedHistory(client, siteId, new Map([[profileId, new Set(keys)]]));
  const state: ProfileState = purged.get(profileId) ?? emptyProfile();
  const own = new Set(keys);
  for (let i = 0; i < events.length; i++) {
    foldEvent(state, events[i], own, settings);
    if ((i + 1) % SLICE === 0) await breathe();
  }
  return { settings, keys, print, state };
}

export interface Refolder {
  /** Resolves when no refold is running or queued in this process. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function createRefolder(
  client: Client,
  write: <T>(fn: WriteFn<T>) => Promise<T>,
  onError: (err: unknown) => void = (err) => console.error('touchpoint: refold failed', err),
): Refolder {
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;

  async function refoldOne(profileId: string, siteId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const read = await readAndFold(client, siteId, profileId);
      const done = await write(async (tx) => {
        const now = Date.now();
        const still = await membership(tx, siteId, profileId);
        const same = still.print === read.print && still.keys.join('\n') === read.keys.join('\n');
        // After a few misses (a profile that keeps changing) the last read is redone inside the job.
        if (!same && attempt < ATTEMPTS) return false;
        const row = (
          await tx.execute({
            sql: 'SELECT stage, score, merged_into FROM profiles WHERE id = ?',
            args: [profileId],
          })
        ).rows[0];
        await tx.execute({ sql: 'DELETE FROM refold_queue WHERE profile_id = ?', args: [profileId] });
        if (!row || row.merged_into !== null || !still.keys.length) {
          // Merged away or emptied meanwhile: nothing of its own is left to recompute.
          await tx.execute({ sql: 'UPDATE profiles SET recomputing = 0 WHERE id = ?', args: [profileId] });
          return true;
        }
        const state = same ? read.state : (await readAndFold(tx, siteId, profileId)).state;
        await writeProfiles(tx, siteId, read.settings, new Map([[profileId, state]]), {
          refolded: new Set([profileId]),
          retired: new Map(),
          before: new Map([[profileId, { stage: String(row.stage) as Stage, score: Number(row.score) }]]),
          changes: [],
          now,
        });
        return true;
      });
      if (done) return;
    }
  }

  async function drain(): Promise<void> {
    // A barrier: the commit that queued the refold is on disk before the queue is read.
    await write(async () => {});
    for (;;) {
      if (closed) return;
      const next = await client.execute(
        'SELECT profile_id, site_id FROM refold_queue ORDER BY queued_at, profile_id LIMIT 1',
      );
      const row = next.rows[0];
      if (!row) return;
      await refoldOne(String(row.profile_id), String(row.site_id));
    }
  }

  const kick = () => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .catch((err: unknown) => {
        if (!closed) onError(err);
      })
      .finally(() => {
        running = null;
        if (again && !closed) {
          again = false;
          kick();
        }
      });
  };
  const off = onRefoldQueued(kick);
  // Refolds left queued by a process that stopped are picked up here.
  kick();
  return {
    async idle() {
      while (running) await running;
    },
    async close() {
      closed = true;
      off();
      while (running) await running;
    },
  };
}
