// An early 413 on a real socket: the collector refuses a body over the limit without reading it, says
// `Connection: close`, and a keep-alive client's next request goes through on a new connection.
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCollector, type TestCollector } from '../support/collector.ts';

let c: TestCollector;
beforeAll(async () => {
  c = await startCollector();
});
afterAll(async () => {
  await c?.close();
});

const threeMb = 'x'.repeat(3 * 1024 * 1024);

/** One request through a keep-alive agent; errors on the socket after the reply was read are not the request's. */
function request(agent: http.Agent, method: string, path: string, body?: string) {
  return new Promise<{ status: number; connection?: string; text: string }>((resolve, reject) => {
    const url = new URL(c.url + path);
    let answered = false;
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method,
        agent,
        headers: body
          ? { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) }
          : undefined,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          answered = true;
          resolve({ status: res.statusCode!, connection: res.headers.connection, text });
        });
      },
    );
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.end(body);
  });
}

it.each(['/v1/batch', '/v1/chat/messages', '/api/login', `/v1/stripe/pk`])(
  'after a 413 from %s, the same keep-alive agent sends its next request',
  async (path) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const warm = await request(agent, 'GET', '/health');
      expect(warm.status).toBe(200);
      const big = await request(agent, 'POST', path.replace('pk', c.site.siteKey), threeMb);
      expect(big.status).toBe(413);
      expect(big.connection).toBe('close');
      expect(JSON.parse(big.text).error.code).toBe('too_large');
      for (let i = 0; i < 3; i++) {
        const next = await request(agent, 'GET', '/health');
        expect(next.status).toBe(200);
      }
    } finally {
      agent.destroy();
    }
  },
);

it('a fetch (undici) client sends its next request after a 413', async () => {
  for (let i = 0; i < 3; i++) {
    const big = await fetch(`${c.url}/v1/batch`, { method: 'POST', body: threeMb });
    expect(big.status).toBe(413);
    expect((await big.json()).error.code).toBe('too_large');
    const next = await fetch(`${c.url}/v1/batch`, {
      method: 'POST',
      body: JSON.stringify({
        writeKey: c.site.siteKey,
        batch: [{ type: 'page', messageId: `ka-${i}`, anonymousId: 'ka' }],
      }),
    });
    expect(next.status).toBe(200);
  }
});
