// Rate limits over real HTTP: a flood from one address gets 429 with Retry-After (the defaults), while another
// address goes on; 20 wrong logins get a 429 and lock the account; chat posts and a site's events have limits
// of their own; a refused request stores nothing.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type TestCollector } from '../support/collector.ts';
import { harness } from './harness.ts';

let c: TestCollector;
beforeAll(async () => {
  c = await startCollector({ origins: ['https://shop.example'] });
});
afterAll(async () => {
  await c?.close();
});

/** A POST from a given loopback address (127.0.0.2 is another client on the same machine). */
function post(path: string, body: string, from = '127.0.0.1', headers: Record<string, string> = {}) {
  const url = new URL(c.url + path);
  return new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: url.port,
        path,
        method: 'POST',
        localAddress: from,
        agent: false,
        headers: { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            retryAfter: res.headers['retry-after'] as string | undefined,
            body: text,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let n = 0;
const batch = () =>
  JSON.stringify({
    writeKey: c.site.siteKey,
    batch: [{ type: 'page', messageId: `flood-${++n}`, anonymousId: `flood-${n}` }],
  });

describe('rate limits', () => {
  it('answer a flood from one address with 429 and Retry-After, and store nothing of what they refuse', async () => {
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < 900) {
          next++;
          const r = await post('/v1/batch', batch());
          statuses.push(r.status);
          if (r.status === 429) retryAfter = r.retryAfter;
        }
      }),
    );
    const ok = statuses.filter((s) => s === 200).length;
    const limited = statuses.filter((s) => s === 429).length;
    expect(ok + limited).toBe(900);
    // The default: 600 a minute per address (a busy office behind one NAT stays under it).
    expect(ok).toBeGreaterThanOrEqual(600);
    expect(ok).toBeLessThan(700);
    expect(limited).toBeGreaterThan(200);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const stored = Number(
      (await c.db.execute({ sql: "SELECT COUNT(*) FROM events WHERE message_id LIKE 'flood-%'", args: [] }))
        .rows[0][0],
    );
    expect(stored).toBe(ok);
    // Another address is not held back by this one's flood.
    expect((await post('/v1/batch', batch(), '127.0.0.2')).status).toBe(200);
  });

  it('answer 20 wrong logins with a 429, and lock the account meanwhile', async () => {
    const login = (password: string, from: string) =>
      post('/api/login', JSON.stringify({ email: c.admin.email, password }), from, {
        'Content-Type': 'application/json',
      });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await login(`wrong password ${i}`, '127.0.0.3')).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(10).fill(429));
    // The right password from a fresh address: the account is locked for now.
    const locked = await login(c.admin.password, '127.0.0.4');
    expect(locked.status).toBe(429);
    expect(Number(locked.retryAfter)).toBeGreaterThan(0);
    expect(JSON.parse(locked.body).error.code).toBe('rate_limited');
  });
});

describe('limits of their own', () => {
  it('chat posts per address, and events per site', async () => {
    const h = await harness({
      limits: {
        addressPerMinute: 0,
        sitePerMinute: 10,
        chatPerMinute: 3,
        loginPerAddress: 0,
        loginFailuresPerAccount: 0,
        trustProxy: false,
      },
    });
    try {
      const events = (k: number, prefix: string) =>
        Array.from({ length: k }, (_, i) => ({
          type: 'page',
          messageId: `${prefix}-${i}`,
          anonymousId: 'site-limit',
        }));
      expect((await h.post('/v1/batch', { writeKey: h.site.siteKey, batch: events(8, 'a') })).status).toBe(
        200,
      );
      const refused = await h.post('/v1/batch', { writeKey: h.site.siteKey, batch: events(5, 'b') });
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('rate_limited');
      expect(await h.count("SELECT COUNT(*) FROM events WHERE message_id LIKE 'b-%'")).toBe(0);
      const chat = (i: number) =>
        h.app.request('/v1/chat/messages', {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain', Origin: 'https://shop.example' },
          body: JSON.stringify({
            key: h.site.siteKey,
            anonymousId: 'talker',
            clientId: `c-${i}`,
            text: `hello ${i}`,
            token: 'the-talkers-own-token',
          }),
        });
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await chat(i)).status);
      expect(codes.slice(0, 3).every((s) => s === 201 || s === 200)).toBe(true);
      expect(codes.slice(3)).toEqual([429, 429]);
    } finally {
      await h.close();
    }
  });
});
