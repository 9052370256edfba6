// In-process pub/sub that wakes SSE streams. The store's change feed tells it every inbox change, written
// through this process (at once) or another collector sharing the database (within the feed's poll), and
// `followChanges` turns each change into the topics it concerns: the inbox, and the conversation's visitor.
// Streams sleep here between changes and read the database only when woken.
import type { ChatChange, ChatStore } from '../store/types.ts';

/** A visitor's stream: woken by every change of their conversation (or its first message). */
export const visitorWaitTopic = (siteId: string, anonymousId: string) => `v:${siteId}:${anonymousId}`;
/** Every inbox stream. */
export const INBOX_TOPIC = 'inbox';

export interface Sleeper {
  /**
   * Resolves after ms (false), or when the topic is notified or the sleeper closed (true). A notification that
   * came while the stream was not napping (reading, sending) ends the next nap at once, so none is lost.
   */
  nap(ms: number): Promise<boolean>;
  /** Removes the listener and the timer, leaving nothing behind. */
  close(): void;
  readonly closed: boolean;
}

export interface Hub {
  /** Wakes every stream waiting on `topic`. */
  notify(topic: string): void;
  sleeper(topic: string): Sleeper;
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
      let pending = false;
      let closed = false;
      const listener = () => {
        if (wake) wake();
        else pending = true;
      };
      let set = topics.get(topic);
      if (!set) topics.set(topic, (set = new Set()));
      set.add(listener);
      size++;
      return {
        get closed() {
          return closed;
        },
        nap(ms) {
          if (closed || pending) {
            pending = false;
            return Promise.resolve(true);
          }
          return new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => done(false), ms);
            function done(woken: boolean) {
              clearTimeout(timer);
              wake = null;
              resolve(woken);
            }
            wake = () => done(true);
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

/** Wakes the streams each inbox change concerns, each topic once per batch; returns the unsubscribe. */
export function followChanges(hub: Hub, chat: Pick<ChatStore, 'watch'>): () => void {
  return chat.watch((changes: ChatChange[]) => {
    const topics = new Set([INBOX_TOPIC]);
    for (const ch of changes) if (ch.anonymousId) topics.add(visitorWaitTopic(ch.siteId, ch.anonymousId));
    for (const topic of topics) hub.notify(topic);
  });
}
