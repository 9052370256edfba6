import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, harness, pageEvent } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

async function login(email = h.admin.email, password = h.admin.password) {
  const res = await h.app.request('/api/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return res;
}

describe('admin authentication', () => {
  it('refuses /api without a session or token', async () => {
    for (const path of ['/api/profiles', '/api/sites', '/api/me', '/api/profiles/x']) {
      const res = await h.app.request(path);
      expect(res.status, path).toBe(401);
      expect((await res.json()).error.code).toBe('unauthenticated');
    }
  });

  it('refuses a wrong token', async () => {
    const res = await h.app.request('/api/profiles', { headers: { Authorization: 'Bearer tpt_wrong' } });
    expect(res.status).toBe(401);
  });

  it('logs in with the scrypt-hashed password and sets an HttpOnly session cookie', async () => {
    const stored = (await h.db.execute('SELECT password_hash FROM users')).rows[0].password_hash as string;
    expect(stored.startsWith('scrypt$')).toBe(true);
    expect(stored).not.toContain(h.admin.password);
    const res = await login();
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/tp_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const me = await h.app.request('/api/me', { headers: { Cookie: cookie.split(';')[0] } });
    expect(me.status).toBe(200);
    expect((await me.json()).user.email).toBe(h.admin.email);
  });

  it.each([
    ['a wrong password', { email: 'admin@example.com', password: 'nope' }, 401, 'invalid_credentials'],
    ['an unknown email', { email: 'who@example.com', password: 'nope' }, 401, 'invalid_credentials'],
    ['no password', { email: 'admin@example.com' }, 400, 'invalid_body'],
  ])('refuses %s', async (_n, body, status, code) => {
    const res = await h.app.request('/api/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(status);
    expect((await res.json()).error.code).toBe(code);
  });

  it('refuses a cross-site form post (CSRF) and a cookie write that is not JSON', async () => {
    const cross = await h.app.request('/api/logout', {
      method: 'POST',
      headers: { Origin: 'https://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    expect(cross.status).toBe(403);
  });

  it('accepts a DELETE with an API token and no Content-Type; a cookie one from another site stays refused', async () => {
    const made = await h.api('/api/tokens', { method: 'POST', body: JSON.stringify({ name: 'ci' }) });
    expect(made.status).toBe(201);
    const del = await h.app.request(`/api/tokens/${made.body.token.id}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${h.token}` },
    });
    expect(del.status).toBeLessThan(300);
    const cookie = (await login()).headers.get('set-cookie')!.split(';')[0];
    const cross = await h.app.request(`/api/tokens/${made.body.token.id}`, {
      method: 'DELETE',
      headers: { Cookie: cookie, Origin: 'https://evil.example' },
    });
    expect(cross.status).toBe(403);
  });

  it('logs out and the cookie stops working', async () => {
    const cookie = (await login()).headers.get('set-cookie')!.split(';')[0];
    const out = await h.app.request('/api/logout', {
      method: 'POST',
      headers: { Cookie: cookie, 'Content-Type': 'application/json' },
    });
    expect(out.status).toBe(204);
    expect((await h.app.request('/api/me', { headers: { Cookie: cookie } })).status).toBe(401);
  });

  it('stores API tokens and site secrets only hashed', async () => {
    const tokens = await h.db.execute('SELECT token_hash FROM api_tokens');
    expect(tokens.rows[0].token_hash).not.toBe(h.token);
    const sites = await h.db.execute('SELECT secret_hash FROM sites');
    expect(sites.rows[0].secret_hash).not.toBe(h.site.secretKey);
  });
});

describe('profiles', () => {
  const send = (batch: unknown[]) => h.post('/v1/batch', { writeKey: h.site.siteKey, batch });

  it('gives each anonymous id a profile with its first touch, and lists it', async () => {
    const t0 = Date.now() - 60_000;
    await send([
      pageEvent({
        anonymousId: 'browser-a',
        originalTimestamp: new Date(t0).toISOString(),
        context: {
          page: {
            url: 'https://shop.example/?utm_source=newsletter&utm_campaign=spring',
            title: 'Home',
            referrer: 'https://mail.example/',
          },
          campaign: { source: 'newsletter', name: 'spring' },
          firstTouch: {
            at: new Date(t0).toISOString(),
            landingUrl: 'https://shop.example/?utm_source=newsletter&utm_campaign=spring',
            referrer: 'https://mail.example/',
            source: 'newsletter',
            campaign: 'spring',
          },
        },
      }),
      pageEvent({ anonymousId: 'browser-b' }),
    ]);
    const res = await h.api('/api/profiles');
    expect(res.status).toBe(200);
    expect(res.body.profiles).toHaveLength(2);
    const a = res.body.profiles.find(
      (p: { firstTouch: { source: string } | null }) => p.firstTouch?.source === 'newsletter',
    );
    expect(a).toMatchObject({
      email: null,
      stage: 'reach',
      firstTouch: { source: 'newsletter', campaign: 'spring', referrer: 'https://mail.example/' },
    });
    expect(typeof a.lastSeen).toBe('string');
  });

  it('attaches an identify email, and two browsers with the same form email end on one profile', async () => {
    await send([pageEvent({ anonymousId: 'a1' }), pageEvent({ anonymousId: 'b1' })]);
    await send([pageEvent({ anonymousId: 'a1', type: 'identify', traits: { email: ' Ada@Example.COM ' } })]);
    let list = await h.api('/api/profiles?q=ada@');
    expect(list.body.profiles).toHaveLength(1);
    expect(list.body.profiles[0].email).toBe('ada@example.com');
    expect(list.body.profiles[0].stage).toBe('lead');
    await send([
      pageEvent({
        anonymousId: 'b1',
        type: 'track',
        event: 'Form Submitted',
        properties: {
          formId: 'contact',
          fields: { email: 'ada@example.com', message: 'hi' },
          email: 'ada@example.com',
        },
      }),
    ]);
    list = await h.api('/api/profiles');
    expect(list.body.profiles).toHaveLength(1);
    const one = await h.api(`/api/profiles/${list.body.profiles[0].id}`);
    expect(one.body.profile.identifiers.map((i: { value: string }) => i.value).sort()).toEqual([
      'a1',
      'ada@example.com',
      'b1',
    ]);
    expect(one.body.timeline.map((t: { type: string }) => t.type)).toEqual([
      'page',
      'page',
      'identify',
      'track',
    ]);
    expect(await h.count('SELECT COUNT(*) FROM merges')).toBe(1);
  });

  it('returns the timeline in event order with details', async () => {
    const t = Date.now() - 10_000;
    const at = (ms: number) => new Date(t + ms).toISOString();
    // Sent out of order: the timeline follows event time, not arrival.
    await send([
      pageEvent({
        anonymousId: 'c',
        type: 'track',
        event: 'Element Clicked',
        properties: { text: 'Buy' },
        originalTimestamp: at(2000),
      }),
      pageEvent({ anonymousId: 'c', originalTimestamp: at(0) }),
    ]);
    const list = await h.api('/api/profiles');
    const one = await h.api(`/api/profiles/${list.body.profiles[0].id}`);
    expect(one.body.timeline.map((x: { event: string | null; type: string }) => x.event ?? x.type)).toEqual([
      'page',
      'Element Clicked',
    ]);
    expect(one.body.timeline[1].properties.text).toBe('Buy');
    expect(one.body.timeline[0].url).toBe('https://shop.example/');
  });

  it('pages with a cursor and validates limit', async () => {
    await send(Array.from({ length: 5 }, (_, i) => pageEvent({ anonymousId: `p${i}` })));
    const first = await h.api('/api/profiles?limit=2');
    expect(first.body.profiles).toHaveLength(2);
    const second = await h.api(`/api/profiles?limit=2&cursor=${first.body.nextCursor}`);
    const third = await h.api(`/api/profiles?limit=2&cursor=${second.body.nextCursor}`);
    const ids = [...first.body.profiles, ...second.body.profiles, ...third.body.profiles].map(
      (p: { id: string }) => p.id,
    );
    expect(new Set(ids).size).toBe(5);
    expect(third.body.nextCursor).toBeNull();
    const bad = await h.api('/api/profiles?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('limit');
  });

  it('answers 404 for an unknown profile', async () => {
    const res = await h.api('/api/profiles/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('one-time setup link', () => {
  it('creates the first admin once, then refuses the same link', async () => {
    await h.db.execute('DELETE FROM users');
    const token = await h.store.accounts.createSetupToken();
    const post = (body: unknown) =>
      h.app.request('/api/setup', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const open = async (t: string) => (await (await h.app.request(`/api/setup?token=${t}`)).json()).open;
    expect(await open(token)).toBe(true);
    expect(await open('not-a-token')).toBe(false);
    const short = await post({ token, email: 'owner@example.com', password: 'short' });
    expect(short.status).toBe(400);
    expect((await short.json()).error.field).toBe('password');
    const ok = await post({ token, email: 'owner@example.com', password: 'a long enough password' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('set-cookie')).toMatch(/tp_session=/);
    const again = await post({ token, email: 'mallory@example.com', password: 'a long enough password' });
    expect(again.status).toBe(403);
    expect(await h.count('SELECT COUNT(*) FROM users')).toBe(1);
    // The page asks first: a used link, or any link once an admin exists, no longer offers the form.
    expect(await open(token)).toBe(false);
    expect(await open(await h.store.accounts.createSetupToken())).toBe(false);
  });
});
