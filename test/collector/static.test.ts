import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { staticRoutes } from '../../collector/http/static.ts';

const dist = mkdtempSync(join(tmpdir(), 'tp-dist-'));
mkdirSync(join(dist, 'widget'));
mkdirSync(join(dist, 'dashboard/assets'), { recursive: true });
writeFileSync(join(dist, 'widget/tp.js'), '(()=>{/* core */})()');
writeFileSync(join(dist, 'widget/tp-ui.js'), 'export function mount(){}');
writeFileSync(join(dist, 'widget/tp-chat.js'), 'export function launch(){}');
writeFileSync(join(dist, 'dashboard/index.html'), '<!doctype html><title>Touchpoint</title>');
writeFileSync(join(dist, 'dashboard/assets/index-abc.js'), 'console.log(1)');
writeFileSync(join(dist, 'secret.txt'), 'not for you');
const app = staticRoutes(dist);
afterAll(() => rmSync(dist, { recursive: true, force: true }));

describe('static files', () => {
  it('serves /tp.js as JavaScript with short caching and an ETag, 304 when unchanged', async () => {
    const res = await app.request('/tp.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('javascript');
    expect(res.headers.get('cache-control')).toContain('max-age=300');
    expect(await res.text()).toContain('core');
    const again = await app.request('/tp.js', { headers: { 'If-None-Match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('serves the UI and chat launcher chunks with CORS so a host page can import them', async () => {
    for (const name of ['/tp-ui.js', '/tp-chat.js']) {
      const res = await app.request(name);
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('content-type')).toContain('javascript');
    }
    expect(await (await app.request('/tp-chat.js')).text()).toContain('launch');
  });

  it('serves the dashboard for every /app path, assets as immutable, with a CSP', async () => {
    const page = await app.request('/app/profiles/abc');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Touchpoint</title>');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const asset = await app.request('/app/assets/index-abc.js');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await app.request('/app/assets/nope.js')).status).toBe(404);
  });

  it('never serves files outside dist', async () => {
    for (const path of [
      '/app/../secret.txt',
      '/app/assets/../../secret.txt',
      '/app/%2e%2e/%2e%2e/secret.txt',
    ]) {
      const res = await app.request(path);
      expect(await res.text(), path).not.toContain('not for you');
    }
  });
});
