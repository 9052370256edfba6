// Rate limits, per process: token buckets keyed by what is limited (an address, a site, an account). A flood
// from one address gets 429 with Retry-After; the defaults leave room for a busy office behind one NAT. The
// address is only a key in memory here, never stored. Several collectors each keep their own buckets, so the
// limits there are per collector.
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from './errors.ts';

export interface RateLimits {
  /** Requests to /v1 (ingest, chat, forms, the widget) per address per minute. */
  addressPerMinute: number;
  /** Events accepted per site per minute (all its visitors together). */
  sitePerMinute: number;
  /** Chat messages a visitor's address may post per minute. */
  chatPerMinute: number;
  /** Login attempts per address per 15 minutes. */
  loginPerAddress: number;
  /** Failed logins per account per 15 minutes before it is locked for the rest of the window. */
  loginFailuresPerAccount: number;
  /** Take the client address from X-Forwarded-For (TOUCHPOINT_TRUST_PROXY=1). */
  trustProxy: boolean;
}

export const DEFAULT_LIMITS: RateLimits = {
  addressPerMinute: 600,
  sitePerMinute: 120_000,
  chatPerMinute: 30,
  loginPerAddress: 30,
  loginFailuresPerAccount: 10,
  trustProxy: false,
};

/** TOUCHPOINT_RATE_* variables (whole numbers; 0 turns that limit off). */
export function rateLimitsFrom(env: Record<string, string | undefined>): RateLimits {
  const int = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
    return n;
  };
  return {
    addressPerMinute: int('TOUCHPOINT_RATE_ADDRESS_PER_MINUTE', DEFAULT_LIMITS.addressPerMinute),
    sitePerMinute: int('TOUCHPOINT_RATE_SITE_PER_MINUTE', DEFAULT_LIMITS.sitePerMinute),
    chatPerMinute: int('TOUCHPOINT_RATE_CHAT_PER_MINUTE', DEFAULT_LIMITS.chatPerMinute),
    loginPerAddress: int('TOUCHPOINT_RATE_LOGIN_PER_ADDRESS', DEFAULT_LIMITS.loginPerAddress),
    loginFailuresPerAccount: int('TOUCHPOINT_RATE_LOGIN_FAILURES', DEFAULT_LIMITS.loginFailuresPerAccount),
    trustProxy: env.TOUCHPOINT_TRUST_PROXY === '1',
  };
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets: `capacity` tokens, refilled evenly over `windowMs`; a key's bucket starts full. */
export class Buckets {
  private readonly buckets = new Map<string, Bucket>();
  private sweptAt = Date.now();

  /** Takes `n` tokens; null when allowed, else the seconds until they would be there. */
  take(key: string, capacity: number, windowMs: number, n = 1, now = Date.now()): number | null {
    if (capacity <= 0) return null;
    this.sweep(now, windowMs);
    const rate = capacity / windowMs;
    const b = this.buckets.get(key) ?? { tokens: capacity, at: now };
    b.tokens = Math.min(capacity, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= n) {
      b.tokens -= n;
      return null;
    }
    return Math.max(1, Math.ceil((n - b.tokens) / rate / 1000));
  }

  /** Whether `n` tokens are there, without taking them. */
  peek(key: string, capacity: number, windowMs: number, n = 1, now = Date.now()): number | null {
    if (capacity <= 0) return null;
    const b = this.buckets.get(key);
    if (!b) return null;
    const rate = capacity / windowMs;
    const tokens = Math.min(capacity, b.tokens + (now - b.at) * rate);
    return tokens >= n ? null : Math.max(1, Math.ceil((n - tokens) / rate / 1000));
  }

  /** Full buckets carry no information: drop them now and then, so memory stays bounded by active keys. */
  private sweep(now: number, windowMs: number) {
    if (now - this.sweptAt < 60_000 && this.buckets.size < 100_000) return;
    this.sweptAt = now;
    for (const [k, b] of this.buckets) if (now - b.at > windowMs) this.buckets.delete(k);
  }
}

/** The client's address: the socket's, or behind a trusted proxy the last address it added. */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const hops = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (hops.length) return hops[hops.length - 1];
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // app.request() in tests has no socket.
    return c.req.header('x-test-address') ?? 'local';
  }
}

export function tooMany(retryAfter: number, what: string): ApiError {
  return new ApiError(429, 'rate_limited', `too many ${what}; try again in ${retryAfter} s`, undefined, {
    'Retry-After': String(retryAfter),
  });
}

/** Limits every request under a path per client address (preflights excepted). */
export function limitByAddress(
  buckets: Buckets,
  name: string,
  perMinute: () => number,
  trustProxy: boolean,
): MiddlewareHandler {
  return async function rateLimit(c, next) {
    if (c.req.method === 'OPTIONS') return next();
    const wait = buckets.take(`${name}\u0000${clientAddress(c, trustProxy)}`, perMinute(), 60_000);
    if (wait !== null) throw tooMany(wait, 'requests from this address');
    return next();
  };
}
