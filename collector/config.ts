// Reads the collector's settings from the environment, once, into a typed object.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type WorkerOptions, workerOptions } from './automations/worker.ts';
import { type RateLimits, rateLimitsFrom } from './http/rate-limit.ts';

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  databaseAuthToken?: string;
  adminEmail?: string;
  adminPassword?: string;
  /** Where the built widget and dashboard live. */
  distDir: string;
  /** Public URL of the collector, used in printed links. */
  publicUrl: string;
  /** Group commit: longest wait before a batch of events is committed. */
  commitDelayMs: number;
  /** Group commit: commit at once when this many events wait. */
  commitMaxEvents: number;
  /** Past this many queued events, ingest answers 503 with Retry-After. */
  queueLimit: number;
  /** Run the store on a worker thread (the default); TOUCHPOINT_STORE_THREAD=0 keeps it on the main thread. */
  storeThread: boolean;
  /** Run rules, webhook deliveries and emails in this process (TOUCHPOINT_AUTOMATIONS=0 turns it off). */
  automations: boolean;
  /** The automation worker's settings: SMTP, webhook timeout, retry schedule, private addresses. */
  worker: WorkerOptions;
  /** Rate limits per address, site, chat and login (TOUCHPOINT_RATE_*). */
  limits: RateLimits;
}

const root = resolve(import.meta.dirname, '..');

function int(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * Loads the `.env` file both the server and the CLI read (TOUCHPOINT_ENV_FILE, else `.env` in the working
 * directory), so they agree on the database. Variables already set in the environment win over the file.
 */
export function loadEnvFile(env: Record<string, string | undefined> = process.env): string | null {
  const file = env.TOUCHPOINT_ENV_FILE || resolve(process.cwd(), '.env');
  if (!existsSync(file)) {
    if (env.TOUCHPOINT_ENV_FILE) throw new Error(`TOUCHPOINT_ENV_FILE ${file} does not exist`);
    return null;
  }
  process.loadEnvFile(file);
  return file;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const port = int('PORT', env.PORT, 8787);
  const host = env.HOST || '0.0.0.0';
  const publicUrl = (env.TOUCHPOINT_PUBLIC_URL || `http://localhost:${port}`).replace(/\/$/, '');
  return {
    port,
    host,
    databaseUrl: env.DATABASE_URL || `file:${resolve(root, 'data/touchpoint.db')}`,
    databaseAuthToken: env.DATABASE_AUTH_TOKEN || undefined,
    adminEmail: env.TOUCHPOINT_ADMIN_EMAIL || undefined,
    adminPassword: env.TOUCHPOINT_ADMIN_PASSWORD || undefined,
    distDir: env.TOUCHPOINT_DIST_DIR || resolve(root, 'dist'),
    publicUrl,
    commitDelayMs: int('TOUCHPOINT_COMMIT_DELAY_MS', env.TOUCHPOINT_COMMIT_DELAY_MS, 0),
    commitMaxEvents: int('TOUCHPOINT_COMMIT_MAX_EVENTS', env.TOUCHPOINT_COMMIT_MAX_EVENTS, 500),
    queueLimit: int('TOUCHPOINT_QUEUE_LIMIT', env.TOUCHPOINT_QUEUE_LIMIT, 20000),
    storeThread: env.TOUCHPOINT_STORE_THREAD !== '0',
    automations: env.TOUCHPOINT_AUTOMATIONS !== '0',
    worker: workerOptions(env, publicUrl),
    limits: rateLimitsFrom(env),
  };
}

export { root as projectRoot };
