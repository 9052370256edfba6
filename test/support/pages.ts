// A tiny static server for host pages on a different origin than the collector.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostSite {
  url: string;
  close(): Promise<void>;
}

/** Serves `pages[path]` (HTML) at 127.0.0.1 on the given port (0: any); unknown paths get the '/' page. */
export async function serveHostPages(
  pages: Record<string, string>,
  port = 0,
  headers: Record<string, string> = {},
): Promise<HostSite> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const html = pages[path] ?? pages['/'];
    res.writeHead(html ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8', ...headers });
    res.end(html ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
