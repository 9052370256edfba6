// The one writer of a process: every write (ingest, chat, admin, forms, Stripe) runs here, one transaction at a
// time, so no two write transactions are ever open at once and none waits on another request. Whatever waits
// is committed together: each job in a savepoint of one transaction, so one failing job rolls back alone while
// the rest share one fsync. Another process holding the lock is waited for with asynchronous backoff, never a
// synchronous busy wait.
import type { Transaction } from '@libsql/client';
import type { Db as Client } from './client.ts';
import { StoreBusy, StoreClosed, StoreOverloaded } from '../errors.ts';

export type Exec = Pick<Transaction, 'execute'>;

/** A write: runs inside the shared transaction; may run again from the start if the transaction is retried. */
export type WriteFn<T> = (tx: Exec) => Promise<T>;

/** A group of events for one commit: the writer hands every waiting group to `commitEvents` at once. */
export interface EventGroup<E, O> {
  siteId: string;
  events: E[];
  resolve: (outcomes: O[]) => void;
  reject: (err: unknown) => void;
}

export interface WriterOptions {
  /** Wait this long for more work before committing (0: commit as soon as the event loop is free). */
  delayMs: number;
  /** Commit at once when this many events wait; also the most events one transaction takes. */
  maxEvents: number;
  /** Refuse new events past this many waiting. */
  queueLimit: number;
  /** Most event requests per commit; 1 turns group commit off (the benchmark's baseline). */
  maxRequests?: number;
  /** Give up on a lock held by another process after this long (the write fails with StoreBusy). */
  busyGiveUpMs?: number;
}

export interface WriterStats {
  commits: number;
  events: number;
  jobs: number;
  /** Times the lock was found held by another process. */
  busy: number;
}

export interface Writer<E, O> {
  /** Runs `fn` in the shared write transaction; resolves with its result once committed. */
  run<T>(fn: WriteFn<T>): Promise<T>;
  /** Queues one request's events for group commit; resolves once committed. */
  submit(siteId: string, events: E[]): Promise<O[]>;
  /** Events and jobs waiting for a commit. */
  readonly pending: number;
  readonly stats: WriterStats;
  /** Commits what is waiting and stops taking work. */
  close(): Promise<void>;
}

interface Job {
  fn: WriteFn<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Retries of a lock another process holds back off up to this (a commit takes a few milliseconds). */
const MOST_WAIT_MS = 4;
/** After seeing another process write, each commit is followed by a pause of TURN_MS for this long. */
const CONTENDED_MS = 1000;
const TURN_MS = 2;

export function isBusy(err: unknown): boolean {
  const e = err as { code?: string; rawCode?: number; message?: string } | null;
  if (!e) return false;
  if (e.code === 'SQLITE_BUSY' || e.code === 'SQLITE_LOCKED' || e.rawCode === 5 || e.rawCode === 6)
    return true;
  return typeof e.message === 'string' && /database is locked|SQLITE_BUSY/.test(e.message);
}

/**
 * `commitEvents` stores every waiting group's events inside the transaction and returns each group's outcomes
 * in order; it throws to fail the whole set (the writer then retries each group alone, so one bad request
 * cannot sink the others).
 */
export function createWriter<E, O>(
  client: Client,
  options: WriterOptions,
  commitEvents: (tx: Exec, groups: EventGroup<E, O>[], now: number) => Promise<O[][]>,
): Writer<E, O> {
  const groups: EventGroup<E, O>[] = [];
  let jobs: Job[] = [];
  let queuedEvents = 0;
  let running: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | NodeJS.Immediate | null = null;
  let closed = false;
  const stats: WriterStats = { commits: 0, events: 0, jobs: 0, busy: 0 };
  const giveUp = options.busyGiveUpMs ?? 30_000;

  /** When another process last held the lock: while it writes too, commits leave it a turn. */
  let contendedAt = -Infinity;

  function schedule() {
    if (running || timer || (groups.length === 0 && jobs.length === 0)) return;
    if (Date.now() - contendedAt < CONTENDED_MS) {
      // Taking the lock again at once would starve the other process, whose retries land while it is held.
      timer = setTimeout(run, TURN_MS);
    } else if (queuedEvents >= options.maxEvents || options.delayMs === 0 || jobs.length > 0) {
      timer = setImmediate(run);
    } else {
      timer = setTimeout(run, options.delayMs);
    }
  }

  function run() {
    timer = null;
    // Take every job and as many event groups as one commit may hold.
    const takeGroups: EventGroup<E, O>[] = [];
    let n = 0;
    const most = options.maxRequests ?? Infinity;
    while (
      groups.length &&
      takeGroups.length < most &&
      (n === 0 || n + groups[0].events.length <= options.maxEvents)
    ) {
      const g = groups.shift()!;
      n += g.events.length;
      takeGroups.push(g);
    }
    queuedEvents -= n;
    const takeJobs = jobs;
    jobs = [];
    running = commit(takeGroups, takeJobs)
      .catch((err) => {
        for (const g of takeGroups) g.reject(err);
        for (const j of takeJobs) j.reject(err);
      })
      .finally(() => {
        running = null;
        schedule();
      });
  }

  /** Opens the write transaction; another process's lock is waited for asynchronously with backoff. */
  async function begin(): Promise<Transaction> {
    const started = Date.now();
    let wait = 1;
    for (;;) {
      try {
        return await client.transaction('write');
      } catch (err) {
        if (!isBusy(err)) throw err;
        stats.busy++;
        contendedAt = Date.now();
        if (Date.now() - started > giveUp) throw new StoreBusy();
        await sleep(wait * (0.5 + Math.random()));
        wait = Math.min(wait * 2, MOST_WAIT_MS);
      }
    }
  }

  async function inSavepoint<T>(tx: Transaction, fn: () => Promise<T>): Promise<T> {
    await tx.execute('SAVEPOINT w');
    try {
      const out = await fn();
      await tx.execute('RELEASE w');
      return out;
    } catch (err) {
      await tx.execute('ROLLBACK TO w');
      await tx.execute('RELEASE w');
      throw err;
    }
  }

  async function commit(takeGroups: EventGroup<E, O>[], takeJobs: Job[]): Promise<void> {
    const started = Date.now();
    for (;;) {
      const settle: (() => void)[] = [];
      const tx = await begin();
      // One piece of work alone needs no savepoint: if it fails, the whole transaction is rolled back and it
      // alone is told (two statements fewer per commit, each a round trip to a libSQL server).
      const alone = takeGroups.length + takeJobs.length === 1;
      const guard = <T>(fn: () => Promise<T>) => (alone ? fn() : inSavepoint(tx, fn));
      try {
        const now = Date.now();
        if (takeGroups.length) {
          try {
            const outcomes = await guard(() => commitEvents(tx, takeGroups, now));
            takeGroups.forEach((g, i) => settle.push(() => g.resolve(outcomes[i])));
          } catch (err) {
            if (isBusy(err) || alone) throw err;
            // One request's events broke the set (nothing of it was kept); each request alone, so only the
            // culprit sees the error.
            for (const g of takeGroups) {
              try {
                const [out] = await inSavepoint(tx, () => commitEvents(tx, [g], now));
                settle.push(() => g.resolve(out));
              } catch (e) {
                if (isBusy(e)) throw e;
                settle.push(() => g.reject(e));
              }
            }
          }
        }
        for (const j of takeJobs) {
          try {
            const out = await guard(() => j.fn(tx));
            settle.push(() => j.resolve(out));
          } catch (e) {
            if (isBusy(e) || alone) throw e;
            settle.push(() => j.reject(e));
          }
        }
        await tx.commit();
      } catch (err) {
        tx.close();
        // A lock lost to another process mid-way (a remote server can say so at any statement): all again.
        if (isBusy(err) && Date.now() - started < giveUp) {
          stats.busy++;
          await sleep(1 + Math.random() * 5);
          continue;
        }
        throw isBusy(err) ? new StoreBusy() : err;
      }
      tx.close();
      stats.commits++;
      stats.jobs += takeJobs.length;
      for (const g of takeGroups) stats.events += g.events.length;
      for (const s of settle) s();
      return;
    }
  }

  return {
    get pending() {
      return queuedEvents + jobs.length;
    },
    stats,
    run<T>(fn: WriteFn<T>): Promise<T> {
      if (closed) return Promise.reject(new StoreClosed());
      return new Promise<T>((resolve, reject) => {
        jobs.push({ fn, resolve: resolve as (v: unknown) => void, reject });
        schedule();
      });
    },
    submit(siteId, events) {
      if (closed) return Promise.reject(new StoreClosed());
      if (events.length === 0) return Promise.resolve([]);
      if (queuedEvents + events.length > options.queueLimit) return Promise.reject(new StoreOverloaded());
      return new Promise<O[]>((resolve, reject) => {
        groups.push({ siteId, events, resolve, reject });
        queuedEvents += events.length;
        schedule();
      });
    },
    async close() {
      closed = true;
      while (running || timer || groups.length || jobs.length) {
        if (timer) {
          clearTimeout(timer as ReturnType<typeof setTimeout>);
          clearImmediate(timer as NodeJS.Immediate);
          timer = null;
        }
        if (running) await running;
        else run();
      }
    },
  };
}
