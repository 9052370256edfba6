// The store thread: opens the libSQL store here, so SQLite's synchronous work (statements, triggers, the fsync of
// every commit) never blocks the thread that answers HTTP, and answers the main thread's calls.
import { parentPort, workerData } from 'node:worker_threads';
import type { WireEvent } from '../../../wire.ts';
import type { PreparedEvent } from '../../ingest/prepare.ts';
import { openClient } from '../libsql/client.ts';
import { createLibsqlStore, type LibsqlStoreOptions } from '../libsql/index.ts';
import type { CacheName } from '../libsql/versions.ts';
import { type Call, type Reply, sendError } from './protocol.ts';

const options = workerData as LibsqlStoreOptions & { authToken?: string };
const port = parentPort!;
const post = (reply: Reply) => port.postMessage(reply);

try {
  const client = await openClient(options.url, options.authToken);
  const store = await createLibsqlStore(client, options);
  for (const name of ['sites', 'forms', 'chat'] as CacheName[])
    store.onChange(name, () => post({ changed: name }));
  const target = store as unknown as Record<string, unknown>;
  let watching = false;
  port.on('message', async (call: Call) => {
    try {
      // A listener cannot cross threads: the feed's changes are sent as messages instead, once asked for.
      if (call.area === 'chat' && call.method === 'watch') {
        if (!watching) store.chat.watch((chatChanges) => post({ chatChanges }));
        watching = true;
        post({ id: call.id, ok: true, value: null });
        return;
      }
      if (call.area === 'events' && call.method === 'submit')
        for (const e of call.args[1] as PreparedEvent[]) e.raw = JSON.parse(e.body) as WireEvent;
      const owner = (call.area === null ? target : target[call.area]) as Record<string, unknown>;
      const fn = owner?.[call.method];
      if (typeof fn !== 'function') throw new Error(`the store has no ${call.area ?? ''}.${call.method}`);
      const value = await (fn as (...a: unknown[]) => unknown).apply(owner, call.args);
      post({ id: call.id, ok: true, value });
      if (call.area === null && call.method === 'close') port.close();
    } catch (err) {
      post({ id: call.id, ok: false, error: sendError(err) });
    }
  });
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ failed: sendError(err) });
}
