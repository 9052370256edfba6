// Starts a collector: store, app and HTTP server, with a draining shutdown. Used by main.ts and tests.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { createApp } from './app.ts';
import { startAutomationWorker } from './automations/worker.ts';
import type { Config } from './config.ts';
import { openStore, openStoreThread, type StoreOptions } from './store/open.ts';
import type { Store } from './store/types.ts';

export interface RunningCollector {
  url: string;
  port: number;
  store: Store;
  app: Hono;
  /** Stops taking requests, lets those in flight finish (up to drainMs), commits what waits, closes. */
  close(drainMs?: number): Promise<void>;
}

/** First start: an admin from the environment, or a one-time setup link when none was given. */
export async function bootstrapAdmin(
  store: Pick<Store, 'accounts'>,
  config: Config,
  log: (line: string) => void,
): Promise<void> {
  if ((await store.accounts.countUsers()) > 0) return;
  if (config.adminEmail && config.adminPassword) {
    await store.accounts.createUser(config.adminEmail, config.adminPassword);
    log(`created admin user ${config.adminEmail}`);
    return;
  }
  const token = await store.accounts.createSetupToken();
  log(`no admin user yet: open ${config.publicUrl}/app/setup?token=${token} within 24 hours to create one`);
}

export async function startCollector(
  config: Config,
  log: (line: string) => void = console.log,
): Promise<RunningCollector> {
  const options: StoreOptions = {
    url: config.databaseUrl,
    authToken: config.databaseAuthToken,
    commitDelayMs: config.commitDelayMs,
    commitMaxEvents: config.commitMaxEvents,
    queueLimit: config.queueLimit,
  };
  // The store on its own thread: SQLite's synchronous work never holds up the thread that answers HTTP.
  const store = config.storeThread ? await openStoreThread(options) : await openStore(options);
  await bootstrapAdmin(store, config, log);
  let draining = false;
  const app = createApp({
    store,
    distDir: config.distDir,
    draining: () => draining,
    smtp: !!config.worker.smtpUrl,
    allowPrivate: config.worker.allowPrivate,
    limits: config.limits,
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
  });
  const http = server as unknown as {
    closeIdleConnections?: () => void;
    closeAllConnections?: () => void;
  };
  const port = (server.address() as AddressInfo).port;
  // Rules, webhooks and emails: every collector runs the worker; the store keeps them from doing work twice.
  const worker = config.automations ? startAutomationWorker(store, { ...config.worker, log }) : null;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return {
    url: `http://${host}:${port}`,
    port,
    store,
    app,
    async close(drainMs = 5_000) {
      draining = true;
      await new Promise<void>((resolve) => {
        // No new connections; idle keep-alive ones go now, busy ones when their request is answered.
        server.close(() => resolve());
        http.closeIdleConnections?.();
        const idle = setInterval(() => http.closeIdleConnections?.(), 50);
        const force = setTimeout(() => http.closeAllConnections?.(), drainMs);
        server.once('close', () => {
          clearInterval(idle);
          clearTimeout(force);
        });
      });
      await worker?.stop();
      await store.close();
    },
  };
}
