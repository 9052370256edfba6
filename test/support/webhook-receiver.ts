// A webhook receiver on loopback for the automation tests: records every request (headers and body) and
// answers each by a script the test sets (a status, a Retry-After, or hanging until the sender gives up).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Answer = number | { status: number; retryAfter?: string } | 'hang';

export interface Receiver {
  url: string;
  received: Received[];
  /** Answers for a path, used in turn; the last repeats (200 when none is set). */
  script(path: string, answers: Answer[]): void;
  /** Resolves once `n` requests reached `path` (or rejects after `ms`). */
  waitFor(path: string, n: number, ms?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const received: Received[] = [];
  const scripts = new Map<string, Answer[]>();
  const hanging = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString(), at: Date.now() });
      const list = scripts.get(path) ?? [];
      const answer: Answer = list.length > 1 ? list.shift()! : (list[0] ?? 200);
      if (answer === 'hang') {
        const end = () => res.destroy();
        hanging.add(end);
        res.on('close', () => hanging.delete(end));
        return;
      }
      const { status, retryAfter } =
        typeof answer === 'number' ? { status: answer, retryAfter: undefined } : answer;
      res.writeHead(status, retryAfter ? { 'Retry-After': retryAfter } : {});
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    script: (path, answers) => scripts.set(path, [...answers]),
    async waitFor(path, n, ms = 15_000) {
      const end = Date.now() + ms;
      for (;;) {
        const hits = received.filter((r) => r.path === path);
        if (hits.length >= n) return hits;
        if (Date.now() > end) throw new Error(`${path}: ${hits.length} of ${n} requests after ${ms} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      for (const end of hanging) end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
