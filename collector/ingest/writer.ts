// Group commit: requests enqueue validated events; one writer commits everything waiting in a single
// transaction, then answers every waiting request. A 2xx therefore still means "on disk".
import type { Db } from '../db/client.ts';
import { ApiError } from '../http/errors.ts';
import { commitSiteEvents } from './commit.ts';
import type { PreparedEvent } from './prepare.ts';

export type WriteOutcome = 'accepted' | 'duplicate';

interface Pending {
  siteId: string;
  events: PreparedEvent[];
  resolve: (outcomes: WriteOutcome[]) => void;
  reject: (err: unknown) => void;
}

export interface WriterOptions {
  /** Wait this long for more requests before committing (0: commit as soon as the event loop is free). */
  delayMs: number;
  /** Commit at once when this many events wait. */
  maxEvents: number;
  /** Refuse new events with 503 past this many waiting. */
  queueLimit: number;
  /** Most requests per commit; 1 turns group commit off (the benchmark's baseline). */
  maxRequests?: number;
}

export interface Writer {
  submit(siteId: string, events: PreparedEvent[]): Promise<WriteOutcome[]>;
  /** Events waiting for a commit. */
  readonly pending: number;
  /** Commits made and events offered to them, for benchmarks and /health. */
  readonly stats: { commits: number; events: number };
  /** Commits what is waiting and stops taking events. */
  close(): Promise<void>;
}

export function createWriter(db: Db, options: WriterOptions): Writer {
  let queue: Pending[] = [];
  let queued = 0;
  let running: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  const stats = { commits: 0, events: 0 };

  function schedule() {
    if (running || timer || queue.length === 0) return;
    if (queued >= options.maxEvents || options.delayMs === 0) {
      timer = setImmediate(run) as unknown as ReturnType<typeof setTimeout>;
    } else {
      timer = setTimeout(run, options.delayMs);
    }
  }

  function run() {
    timer = null;
    const take = options.maxRequests ?? Infinity;
    const group = take >= queue.length ? queue : queue.slice(0, take);
    queue = group === queue ? [] : queue.slice(take);
    queued -= group.reduce((n, p) => n + p.events.length, 0);
    running = commitGroup(group).finally(() => {
      running = null;
      schedule();
    });
  }

  async function commitGroup(group: Pending[]): Promise<void> {
    try {
      const outcomes = await commitAll(group);
      for (let i = 0; i < group.length; i++) group[i].resolve(outcomes[i]);
    } catch (err) {
      if (group.length === 1) {
        group[0].reject(err);
        return;
      }
      // One request's events broke the shared transaction (nothing was stored); retry each request alone
      // so the others still land and only the culprit sees the error.
      for (const p of group) {
        try {
          p.resolve((await commitAll([p]))[0]);
        } catch (e) {
          p.reject(e);
        }
      }
    }
  }

  async function commitAll(group: Pending[]): Promise<WriteOutcome[][]> {
    const bySite = new Map<string, PreparedEvent[]>();
    // The first copy of a messageId in the group is the one that counts; later copies are duplicates.
    const firsts = new Set<PreparedEvent>();
    const seen = new Set<string>();
    for (const p of group) {
      let list = bySite.get(p.siteId);
      if (!list) bySite.set(p.siteId, (list = []));
      for (const e of p.events) {
        const key = `${p.siteId}\u0000${e.messageId}`;
        if (seen.has(key)) continue;
        seen.add(key);
        firsts.add(e);
        list.push(e);
      }
    }
    const stored = new Map<string, Set<string>>();
    const now = Date.now();
    stats.commits++;
    stats.events += seen.size;
    const tx = await db.transaction('write');
    try {
      for (const [siteId, events] of bySite)
        stored.set(siteId, await commitSiteEvents(tx, { siteId, events }, now));
      await tx.commit();
    } finally {
      tx.close();
    }
    return group.map((p) =>
      p.events.map((e) =>
        firsts.has(e) && stored.get(p.siteId)!.has(e.messageId) ? 'accepted' : 'duplicate',
      ),
    );
  }

  return {
    get pending() {
      return queued;
    },
    stats,
    submit(siteId, events) {
      if (closed)
        return Promise.reject(
          new ApiError(503, 'shutting_down', 'the collector is shutting down', undefined, {
            'Retry-After': '5',
          }),
        );
      if (events.length === 0) return Promise.resolve([]);
      if (queued + events.length > options.queueLimit) {
        return Promise.reject(
          new ApiError(
            503,
            'overloaded',
            'too many events are waiting to be stored; retry later',
            undefined,
            {
              'Retry-After': '1',
            },
          ),
        );
      }
      return new Promise<WriteOutcome[]>((resolve, reject) => {
        queue.push({ siteId, events, resolve, reject });
        queued += events.length;
        schedule();
      });
    },
    async close() {
      closed = true;
      if (timer) {
        clearTimeout(timer);
        clearImmediate(timer as unknown as NodeJS.Immediate);
        timer = null;
      }
      while (running || queue.length) {
        if (running) await running;
        else run();
      }
    },
  };
}
