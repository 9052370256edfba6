// The inbox change feed of a process: every chat message and conversation change writes an inbox_changes row,
// and one poller per process reads the rows after the last one it saw with a single query, so a change made
// through any collector sharing the database wakes the streams of all of them. Changes committed through this
// process are told at once and skipped when the poll sees them. SSE streams never read on a timer: they sleep
// until the feed wakes them, so the reads do not grow with the number of open streams.
import type { Db as Client } from './client.ts';
import type { InboxChange } from '../../../wire.ts';
import type { ChatChange } from '../types.ts';

const PAGE = 500;

export interface ChatFeed {
  watch(listener: (changes: ChatChange[]) => void): () => void;
  /** After a local commit: tells the listeners at once; the poll will not tell it again. */
  committed(change: ChatChange): void;
  close(): void;
}

export async function lastChangeId(db: Pick<Client, 'execute'>): Promise<number> {
  const rs = await db.execute('SELECT COALESCE(MAX(id), 0) AS n FROM inbox_changes');
  return Number(rs.rows[0].n);
}

/** Polls every `pollMs` while anyone listens, from the change after `after`. */
export function createChatFeed(client: Client, pollMs: number, after: number): ChatFeed {
  const listeners = new Set<(changes: ChatChange[]) => void>();
  /** Ids told at once after a local commit that the poll has not reached yet. */
  const local = new Set<number>();
  let seen = after;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  const tell = (changes: ChatChange[]) => {
    if (!changes.length) return;
    for (const l of [...listeners]) {
      try {
        l(changes);
      } catch {
        // one listener's failure neither stops the feed nor hides the change from the others
      }
    }
  };

  async function poll() {
    for (;;) {
      const rs = await client.execute({
        sql: `SELECT ch.id, ch.site_id, ch.conversation_id, ch.kind, c.anonymous_id
              FROM inbox_changes ch LEFT JOIN conversations c ON c.id = ch.conversation_id
              WHERE ch.id > ? ORDER BY ch.id LIMIT ?`,
        args: [seen, PAGE],
      });
      if (closed) return;
      const fresh: ChatChange[] = [];
      for (const r of rs.rows) {
        const id = Number(r.id);
        seen = id;
        if (local.delete(id)) continue;
        fresh.push({
          id,
          kind: String(r.kind) as InboxChange['kind'],
          siteId: String(r.site_id),
          conversationId: String(r.conversation_id),
          anonymousId: r.anonymous_id == null ? null : String(r.anonymous_id),
        });
      }
      tell(fresh);
      if (rs.rows.length < PAGE) return;
    }
  }

  function schedule() {
    if (closed || timer || !listeners.size) return;
    timer = setTimeout(async () => {
      try {
        await poll();
      } catch {
        // The next poll tries again from the same change; a database that stays unreachable shows in /ready.
      } finally {
        timer = null;
        schedule();
      }
    }, pollMs);
    timer.unref();
  }

  return {
    watch(listener) {
      listeners.add(listener);
      schedule();
      return () => {
        listeners.delete(listener);
      };
    },
    committed(change) {
      // At or below `seen`, the poll already told it (it read the row before this commit was acknowledged).
      if (change.id <= seen) return;
      local.add(change.id);
      tell([change]);
    },
    close() {
      closed = true;
      listeners.clear();
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
