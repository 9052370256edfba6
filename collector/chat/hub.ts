// In-process pub/sub that wakes SSE streams when a message or inbox change was written here. Streams also
// poll the database on a short interval, so changes written by another collector process arrive too.
export interface Hub {
  /** Wakes every stream waiting on `topic`. */
  notify(topic: string): void;
  /**
   * A stream's sleeper: `nap(ms)` resolves after ms, on notify(topic), or on close(); close() removes the
   * listener and the timer, leaving nothing behind.
   */
  sleeper(topic: string): { nap(ms: number): Promise<void>; close(): void };
  /** Listeners registered now (tests check that a closed stream left none). */
  readonly size: number;
}

export function createHub(): Hub {
  const topics = new Map<string, Set<() => void>>();
  let size = 0;
  return {
    get size() {
      return size;
    },
    notify(topic) {
      for (const wake of topics.get(topic) ?? []) wake();
    },
    sleeper(topic) {
      let wake: (() => void) | null = null;
      let closed = false;
      const listener = () => wake?.();
      let set = topics.get(topic);
      if (!set) topics.set(topic, (set = new Set()));
      set.add(listener);
      size++;
      return {
        nap(ms) {
          if (closed) return Promise.resolve();
          return new Promise<void>((resolve) => {
            const timer = setTimeout(done, ms);
            function done() {
              clearTimeout(timer);
              wake = null;
              resolve();
            }
            wake = done;
          });
        },
        close() {
          if (closed) return;
          closed = true;
          wake?.();
          set.delete(listener);
          if (!set.size) topics.delete(topic);
          size--;
        },
      };
    },
  };
}
