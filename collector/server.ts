// Starts a collector: database, writer, app and HTTP server, with a clean shutdown. Used by main.ts and tests.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { countUsers, createSetupToken, createUser } from './admin/accounts.ts';
import { createApp } from './app.ts';
import type { Config } from './config.ts';
import { type Db, openDb } from './db/client.ts';
import { createSiteCache } from './ingest/sites.ts';
import { createWriter, type Writer } from './ingest/writer.ts';

export interface RunningCollector {
  url: string;
  port: number;
  db: Db;
  writer: Writer;
  app: Hono;
  close(): Promise<void>;
}

/** First start: an admin from the environment, or a one-time setup link when none was given. */
export async function bootstrapAdmin(db: Db, config: Config, log: (line: string) => void): Promise<void> {
  if ((await countUsers(db)) > 0) return;
  if (config.adminEmail && config.adminPassword) {
    await createUser(db, config.adminEmail, config.adminPassword);
    log(`created admin user ${config.adminEmail}`);
    return;
  }
  const token = await createSetupToken(db);
  log(`no admin user yet: open ${config.publicUrl}/app/setup?token=${token} within 24 hours to create one`);
}

export async function startCollector(
  config: Config,
  log: (line: string) => void = console.log,
): Promise<RunningCollector> {
  const db = await openDb(config.databaseUrl, config.databaseAuthToken);
  await bootstrapAdmin(db, config, log);
  const writer = createWriter(db, {
    delayMs: config.commitDelayMs,
    maxEvents: config.commitMaxEvents,
    queueLimit: config.queueLimit,
  });
  const sites = createSiteCache(db);
  const app = createApp({ db, writer, sites, distDir: config.distDir });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return {
    url: `http://${host}:${port}`,
    port,
    db,
    writer,
    app,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections would hold close() open; they carry no unanswered request at this point.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await writer.close();
      db.close();
    },
  };
}
