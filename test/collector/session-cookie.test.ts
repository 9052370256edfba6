// The session cookie and the admin answers' headers: over HTTPS (directly, or behind a trusted proxy) the
// cookie is `__Host-` prefixed and Secure; over plain HTTP it is neither, and a proxy's header is believed only
// with TOUCHPOINT_TRUST_PROXY=1. Every /api answer carries hardening headers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  delete process.env.TOUCHPOINT_TRUST_PROXY;
  await h.close();
});

const login = (url: string, headers: Record<string, string> = {}) =>
  h.app.request(url, {
    method: 'POST',
    body: JSON.stringify({ email: h.admin.email, password: h.admin.password }),
    headers: { 'Content-Type': 'application/json', ...headers },
  });

describe('the session cookie', () => {
  it('is __Host- prefixed and Secure over HTTPS, and works as a session', async () => {
    const res = await login('https://tp.example/api/login', { Origin: 'https://tp.example' });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^__Host-tp_session=/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/Domain=/i);
    const me = await h.app.request('https://tp.example/api/me', {
      headers: { Cookie: cookie.split(';')[0] },
    });
    expect(me.status).toBe(200);
    expect((await me.json()).user.email).toBe(h.admin.email);
    const out = await h.app.request('https://tp.example/api/logout', {
      method: 'POST',
      headers: {
        Cookie: cookie.split(';')[0],
        Origin: 'https://tp.example',
        'Content-Type': 'application/json',
      },
    });
    expect(out.status).toBe(204);
    expect(
      (await h.app.request('https://tp.example/api/me', { headers: { Cookie: cookie.split(';')[0] } }))
        .status,
    ).toBe(401);
  });

  it('is neither over plain HTTP, and believes X-Forwarded-Proto only from a trusted proxy', async () => {
    const plain = (await login('http://tp.example/api/login')).headers.get('set-cookie')!;
    expect(plain).toMatch(/^tp_session=/);
    expect(plain).not.toMatch(/Secure/);
    const spoofed = (
      await login('http://tp.example/api/login', { 'X-Forwarded-Proto': 'https' })
    ).headers.get('set-cookie')!;
    expect(spoofed).toMatch(/^tp_session=/);
    process.env.TOUCHPOINT_TRUST_PROXY = '1';
    const proxied = (
      await login('http://tp.example/api/login', { 'X-Forwarded-Proto': 'https' })
    ).headers.get('set-cookie')!;
    expect(proxied).toMatch(/^__Host-tp_session=.*; Secure/);
  });
});

describe('admin answers', () => {
  it('carry hardening headers, errors included', async () => {
    for (const [path, status] of [
      ['/api/sites', 200],
      ['/api/profiles?limit=0', 400],
      ['/api/nope', 404],
    ] as const) {
      const res = await h.app.request(path, { headers: { Authorization: `Bearer ${h.token}` } });
      expect(res.status, path).toBe(status);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), path).toBe('SAMEORIGIN');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(res.headers.get('strict-transport-security'), path).toMatch(/max-age=/);
    }
    const anon = await h.app.request('/api/sites');
    expect(anon.status).toBe(401);
    expect(anon.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuse a cross-site form post on every /api route, the automation routes included', async () => {
    const cookie = (await login('http://tp.example/api/login')).headers.get('set-cookie')!.split(';')[0];
    for (const path of [`/api/sites/${h.site.id}/rules`, `/api/sites/${h.site.id}/forms`, '/api/users']) {
      const res = await h.app.request(`http://tp.example${path}`, {
        method: 'POST',
        body: 'name=x',
        headers: {
          Cookie: cookie,
          Origin: 'https://evil.example',
          'Content-Type': 'application/x-www-form-urlencoded',
        },
      });
      expect(res.status, path).toBe(403);
    }
  });
});
