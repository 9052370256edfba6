// Outbound webhooks per the Standard Webhooks scheme: the signature, the retry schedule, how a response is
// read, and one attempt over HTTP to an address that is not private (checked on the address actually dialled,
// so a DNS answer cannot point it inward).
import { createHmac, randomBytes } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';

/** A new signing secret: `whsec_` and 24 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, keyed with the secret's base64 part. */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The scheme's schedule after the first attempt, in seconds: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. */
export const DEFAULT_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400];

/** TOUCHPOINT_WEBHOOK_SCHEDULE: comma-separated seconds between attempts (tests shorten it). */
export function retrySchedule(env: Record<string, string | undefined> = process.env): number[] {
  const raw = env.TOUCHPOINT_WEBHOOK_SCHEDULE;
  if (!raw) return DEFAULT_SCHEDULE;
  const list = raw.split(',').map((x) => Number(x.trim()));
  if (list.some((x) => !Number.isFinite(x) || x < 0))
    throw new Error(
      `TOUCHPOINT_WEBHOOK_SCHEDULE must be comma-separated seconds, got ${JSON.stringify(raw)}`,
    );
  return list;
}

/**
 * When attempt `attempts` (1 = the first, made at once) failed, the wait before the next, with ±10% jitter;
 * null when the schedule is used up. A `Retry-After` longer than the schedule's wait is honoured.
 */
export function nextDelayMs(
  schedule: readonly number[],
  attempts: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number | null {
  const base = schedule[attempts - 1];
  if (base === undefined) return null;
  const jittered = base * 1000 * (0.9 + 0.2 * random());
  return Math.round(Math.max(jittered, retryAfterMs ?? 0));
}

/** `Retry-After` as milliseconds (seconds or an HTTP date), capped at a day; null when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | null {
  if (!header) return null;
  const s = Number(header);
  const ms = Number.isFinite(s) ? s * 1000 : Date.parse(header) - now;
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 86_400_000) : null;
}

/** What an attempt's outcome means: 2xx delivered; 410 the endpoint is gone; anything else (3xx too) retried. */
export function outcomeOf(status: number | null): 'delivered' | 'gone' | 'retry' {
  if (status !== null && status >= 200 && status < 300) return 'delivered';
  if (status === 410) return 'gone';
  return 'retry';
}

const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6');

/** Private, loopback, link-local and other non-public addresses (IPv4-mapped IPv6 included). */
export function isPrivateAddress(address: string): boolean {
  const mapped = address.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i);
  if (mapped) return PRIVATE.check(mapped[1], 'ipv4');
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family === 6) return PRIVATE.check(address, 'ipv6');
  return true;
}

export interface AttemptResult {
  status: number | null;
  latencyMs: number;
  error: string | null;
  retryAfterMs: number | null;
}

export interface SendOptions {
  timeoutMs: number;
  allowPrivate: boolean;
}

/** TOUCHPOINT_WEBHOOK_ALLOW_PRIVATE=1 lets endpoints on private addresses through (tests, a private network). */
export const allowPrivate = (env: Record<string, string | undefined> = process.env) =>
  env.TOUCHPOINT_WEBHOOK_ALLOW_PRIVATE === '1';

/** Refuses a URL whose host is a private address literal (checked again on the address dialled). */
export function refusedUrl(url: string, allow = allowPrivate()): string | null {
  if (allow) return null;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'url: a loopback host is not allowed';
  if (isIP(host) && isPrivateAddress(host))
    return 'url: a private, loopback or link-local address is not allowed';
  return null;
}

/** One signed POST; never throws. */
export function attempt(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: SendOptions,
): Promise<AttemptResult> {
  const started = performance.now();
  const done = (status: number | null, error: string | null, retryAfter: string | undefined = undefined) => ({
    status,
    error,
    latencyMs: Math.round(performance.now() - started),
    retryAfterMs: retryAfterMs(retryAfter),
  });
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      resolve(done(null, 'invalid url'));
      return;
    }
    const refused = refusedUrl(url, options.allowPrivate);
    if (refused) {
      resolve(done(null, refused));
      return;
    }
    // The address actually dialled is checked, so a name that resolves inward is refused too.
    const lookup = (
      hostname: string,
      opts: object,
      cb: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
    ) =>
      dnsLookup(hostname, { ...opts, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return cb(err, []);
        const bad = !options.allowPrivate && addresses.find((a) => isPrivateAddress(a.address));
        if (bad) return cb(new Error(`${hostname} resolves to a private address (${bad.address})`), []);
        cb(null, addresses);
      });
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    const req = send(
      u,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        lookup: lookup as never,
        timeout: options.timeoutMs,
      },
      (res) => {
        // The body is not needed: drain it (up to a limit) so the socket is freed.
        let seen = 0;
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > 65_536) res.destroy();
        });
        const status = res.statusCode ?? null;
        const header = res.headers['retry-after'];
        res.on('end', () => finish(done(status, null, Array.isArray(header) ? header[0] : header)));
        res.on('error', () => finish(done(status, null, Array.isArray(header) ? header[0] : header)));
        res.on('close', () => finish(done(status, null, Array.isArray(header) ? header[0] : header)));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`timed out after ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`timed out after ${options.timeoutMs} ms`)));
    req.on('error', (err) => finish(done(null, err.message.slice(0, 300))));
    req.on('close', () => clearTimeout(timer));
    req.end(body);
  });
}
