// The main thread's side of the store thread: a Store whose every call is a message to the thread that owns the
// database. The reads ingest makes on every request (a site by key, a form) are cached here too, and dropped when
// the store thread says their kind changed, in this process or another.
import { Worker } from 'node:worker_threads';
import { StoreClosed } from '../errors.ts';
import type { LibsqlStoreOptions } from '../libsql/index.ts';
import type { CacheName } from '../libsql/versions.ts';
import type { PreparedEvent } from '../../ingest/prepare.ts';
import type { ChatChange, Store } from '../types.ts';
import { type Call, type Reply, receiveError, type SentError } from './protocol.ts';

/** Reads answered from this thread's cache: `area.method` → the kind whose change drops them. */
const CACHED: Record<string, CacheName> = {
  'sites.access': 'sites',
  'sites.anyAllows': 'sites',
  'forms.cached': 'forms',
  'chat.cachedSettings': 'chat',
};
const CACHE_MS = 60_000;
const TOP_LEVEL = new Set(['writerState', 'ping', 'backup', 'close']);

export async function openThreadStore(options: LibsqlStoreOptions & { authToken?: string }): Promise<Store> {
  const worker = new Worker(new URL('./boot.mjs', import.meta.url), { workerData: options });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const caches = new Map<CacheName, Map<string, { value: Promise<unknown>; until: number }>>();
  let next = 1;
  let closed = false;

  await new Promise<void>((resolve, reject) => {
    const first = (m: { ready?: boolean; failed?: SentError }) => {
      worker.off('message', first);
      if (m.ready) resolve();
      else reject(receiveError(m.failed ?? { name: 'Error', message: 'the store thread failed to start' }));
    };
    worker.on('message', first);
    worker.once('error', reject);
  });
  const chatListeners = new Set<(changes: ChatChange[]) => void>();
  worker.on('message', (m: Reply) => {
    if ('changed' in m) {
      caches.get(m.changed)?.clear();
      return;
    }
    if ('chatChanges' in m) {
      for (const l of [...chatListeners]) l(m.chatChanges);
      return;
    }
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.value);
    else w.reject(receiveError(m.error));
  });
  const fail = (err: Error) => {
    closed = true;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  worker.on('error', fail);
  worker.on('exit', () => fail(new StoreClosed()));

  function call(area: string | null, method: string, args: unknown[]): Promise<unknown> {
    if (closed) return Promise.reject(new StoreClosed());
    const id = next++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.postMessage({ id, area, method, args } satisfies Call);
    });
  }

  function cached(kind: CacheName, key: string, load: () => Promise<unknown>): Promise<unknown> {
    let cache = caches.get(kind);
    if (!cache) caches.set(kind, (cache = new Map()));
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    const value = load();
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { value, until: Date.now() + CACHE_MS });
    // A failed read is not kept.
    value.catch(() => cache.delete(key));
    return value;
  }

  const areas = new Map<string, object>();
  const area = (name: string) =>
    new Proxy(
      {},
      {
        get(_, method: string) {
          if (name === 'chat' && method === 'watch')
            return (listener: (changes: ChatChange[]) => void) => {
              if (!chatListeners.size) void call('chat', 'watch', []).catch(() => {});
              chatListeners.add(listener);
              return () => chatListeners.delete(listener);
            };
          if (name === 'events' && method === 'submit')
            // The parsed event is its body text again: send the text alone, the store thread parses it (it has
            // the idle time; cloning the object here cost this thread more than the parse costs that one).
            return (siteId: string, events: PreparedEvent[]) =>
              call(name, method, [siteId, events.map(({ raw: _raw, ...rest }) => rest)]);
          const kind = CACHED[`${name}.${method}`];
          return (...args: unknown[]) =>
            kind
              ? cached(kind, `${method}\u0000${JSON.stringify(args)}`, () => call(name, method, args))
              : call(name, method, args);
        },
      },
    );
  return new Proxy({} as Store, {
    get(_, prop: string) {
      if (prop === 'then') return undefined; // not a thenable
      if (prop === 'close')
        return async () => {
          if (closed) return;
          await call(null, 'close', []);
          closed = true;
          await worker.terminate();
        };
      if (TOP_LEVEL.has(prop)) return (...args: unknown[]) => call(null, prop, args);
      let a = areas.get(prop);
      if (!a) areas.set(prop, (a = area(prop)));
      return a;
    },
  });
}
