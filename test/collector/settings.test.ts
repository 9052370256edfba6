// The settings API: a site's lifecycle and identity rules (applied from the next event), creating and
// changing sites, users and API tokens; authentication and bad input on every route.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ORIGIN, type Harness, harness, pageEvent } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const json = (method: string, body: unknown): RequestInit => ({ method, body: JSON.stringify(body) });

async function sessionCookie(email = h.admin.email, password = h.admin.password): Promise<string> {
  const res = await h.app.request('/api/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(res.status).toBe(200);
  return res.headers.get('set-cookie')!.split(';')[0];
}

async function profiles() {
  return (await h.api('/api/profiles')).body.profiles as { stage: string; leadScore: number }[];
}

describe('settings API authentication', () => {
  it('refuses every route without a session or token', async () => {
    const routes: [string, string][] = [
      ['GET', `/api/sites/${h.site.id}/settings`],
      ['PUT', `/api/sites/${h.site.id}/settings`],
      ['POST', '/api/sites'],
      ['PATCH', `/api/sites/${h.site.id}`],
      ['GET', '/api/users'],
      ['POST', '/api/users'],
      ['DELETE', '/api/users/x'],
      ['GET', '/api/tokens'],
      ['POST', '/api/tokens'],
      ['DELETE', '/api/tokens/x'],
    ];
    for (const [method, path] of routes) {
      const res = await h.app.request(path, {
        method,
        headers: { 'Content-Type': 'application/json' },
        body: method === 'GET' ? undefined : '{}',
      });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
  });

  it('refuses a cookie-authenticated write that is not JSON', async () => {
    const cookie = await sessionCookie();
    const res = await h.app.request('/api/tokens', {
      method: 'POST',
      headers: { Cookie: cookie, 'Content-Type': 'text/plain' },
      body: JSON.stringify({ name: 'x' }),
    });
    // hono/csrf refuses the form-like content type first; requireAdmin would answer 415.
    expect([403, 415]).toContain(res.status);
    expect(await h.count('SELECT COUNT(*) FROM api_tokens')).toBe(1);
  });
});

describe('lifecycle and identity rules', () => {
  it('reads the defaults, saves changes into sites.settings and keeps other keys', async () => {
    await h.db.execute({
      sql: 'UPDATE sites SET settings = ? WHERE id = ?',
      args: [JSON.stringify({ identity: { roleMailboxes: ['orders'] } }), h.site.id],
    });
    const got = await h.api(`/api/sites/${h.site.id}/settings`);
    expect(got.status).toBe(200);
    expect(got.body.settings).toEqual({
      score: {
        threshold: 50,
        pricingView: 10,
        session: 5,
        chat: 15,
        forms: { demo: 40, trial: 40, contact: 25, newsletter: 5, default: 20 },
      },
      identity: {
        blockedValues: [],
        sharedLimit: 3,
        requireVerifiedIdentify: false,
        attributionWindowDays: 90,
        referralDailyLimit: 5,
      },
      reports: { timeZone: 'UTC' },
      consent: { required: false, beforeConsent: 'cookieless', respectDnt: false, cookieDays: 395 },
    });
    expect(got.body.defaults.builtInBlockedValues).toContain('anonymous');

    const put = await h.api(
      `/api/sites/${h.site.id}/settings`,
      json('PUT', {
        score: { threshold: 70, chat: 0, forms: { demo: 60, Webinar: 30 } },
        identity: { blockedValues: [' Guest ', 'guest', 'test@example.com'], sharedLimit: 5 },
      }),
    );
    expect(put.status).toBe(200);
    expect(put.body.settings.score).toMatchObject({ threshold: 70, chat: 0, session: 5 });
    expect(put.body.settings.score.forms).toMatchObject({ demo: 60, webinar: 30, trial: 40 });
    expect(put.body.settings.identity).toEqual({
      blockedValues: ['guest', 'test@example.com'],
      sharedLimit: 5,
      requireVerifiedIdentify: false,
      attributionWindowDays: 90,
      referralDailyLimit: 5,
    });
    const row = await h.db.execute({ sql: 'SELECT settings FROM sites WHERE id = ?', args: [h.site.id] });
    expect(JSON.parse(String(row.rows[0].settings))).toEqual({
      identity: { roleMailboxes: ['orders'], blockedValues: ['guest', 'test@example.com'], sharedLimit: 5 },
      score: { threshold: 70, chat: 0, forms: { demo: 60, webinar: 30 } },
    });
    expect((await h.api(`/api/sites/${h.site.id}/settings`)).body).toEqual(put.body);
  });

  it('keeps a report time zone, shown with the site', async () => {
    const put = await h.api(
      `/api/sites/${h.site.id}/settings`,
      json('PUT', { reports: { timeZone: 'Pacific/Auckland' } }),
    );
    expect(put.status).toBe(200);
    expect(put.body.settings.reports).toEqual({ timeZone: 'Pacific/Auckland' });
    expect(put.body.defaults.reports).toEqual({ timeZone: 'UTC' });
    const sites = await h.api('/api/sites');
    expect(sites.body.sites.find((s: { id: string }) => s.id === h.site.id).timeZone).toBe(
      'Pacific/Auckland',
    );
  });

  it('answers 400 naming the field, 404 for an unknown site', async () => {
    const cases: [unknown, string][] = [
      [{ score: { threshold: 0 } }, 'score.threshold'],
      [{ score: { session: -1 } }, 'score.session'],
      [{ score: { chat: 1.5 } }, 'score.chat'],
      [{ score: { pricingView: '10' } }, 'score.pricingView'],
      [{ score: { forms: { 'not a kind': 5 } } }, 'score.forms.not a kind'],
      [{ identity: { sharedLimit: 0 } }, 'identity.sharedLimit'],
      [{ identity: { blockedValues: ['ok', ''] } }, 'identity.blockedValues.1'],
      [{ identity: { blockedValues: 'guest' } }, 'identity.blockedValues'],
      [{ identity: { referralDailyLimit: 0 } }, 'identity.referralDailyLimit'],
      [{ identity: { attributionWindowDays: 1.5 } }, 'identity.attributionWindowDays'],
      [{ reports: { timeZone: 'Mars/Olympus_Mons' } }, 'reports.timeZone'],
      [{ reports: { timeZone: 3 } }, 'reports.timeZone'],
      [{ consent: { required: 'yes' } }, 'consent.required'],
      [{ consent: { beforeConsent: 'some' } }, 'consent.beforeConsent'],
      [{ consent: { respectDnt: 1 } }, 'consent.respectDnt'],
      [{ consent: { cookieDays: 0 } }, 'consent.cookieDays'],
      [{ consent: { cookieDays: 401 } }, 'consent.cookieDays'],
      [{ consent: { cookieDays: 30.5 } }, 'consent.cookieDays'],
    ];
    for (const [body, field] of cases) {
      const res = await h.api(`/api/sites/${h.site.id}/settings`, json('PUT', body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.field, JSON.stringify(body)).toBe(field);
    }
    const bad = await h.app.request(`/api/sites/${h.site.id}/settings`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${h.token}`, 'Content-Type': 'application/json' },
      body: '{nope',
    });
    expect(bad.status).toBe(400);
    expect((await h.api('/api/sites/nope/settings')).status).toBe(404);
    expect((await h.api('/api/sites/nope/settings', json('PUT', {}))).status).toBe(404);
  });

  it('applies a new qualified threshold from the next event', async () => {
    const send = (anonymousId: string) =>
      h.post(
        '/v1/batch',
        { writeKey: h.site.siteKey, batch: [pageEvent({ anonymousId })] },
        { Origin: ORIGIN },
      );
    expect((await send('anon-before')).status).toBe(200);
    expect((await profiles()).map((p) => p.stage)).toEqual(['reach']);
    const put = await h.api(`/api/sites/${h.site.id}/settings`, json('PUT', { score: { threshold: 5 } }));
    expect(put.status).toBe(200);
    expect((await send('anon-after')).status).toBe(200);
    const stages = (await profiles()).map((p) => p.stage).sort();
    // The earlier profile keeps its stage until it gets a new event; the new one qualifies at once.
    expect(stages).toEqual(['qualified', 'reach']);
  });

  it('stops linking a blocked value from the next event', async () => {
    const identify = (anonymousId: string, userId: string) =>
      h.post(
        '/v1/batch',
        {
          writeKey: h.site.siteKey,
          batch: [pageEvent({ type: 'identify', anonymousId, userId, traits: {} })],
        },
        { Origin: ORIGIN },
      );
    const live = () => h.count('SELECT COUNT(*) FROM profiles WHERE merged_into IS NULL');
    await identify('anon-a', 'shared-login');
    await identify('anon-b', 'shared-login');
    expect(await live()).toBe(1);
    const put = await h.api(
      `/api/sites/${h.site.id}/settings`,
      json('PUT', { identity: { blockedValues: ['demo-login'] } }),
    );
    expect(put.status).toBe(200);
    await identify('anon-c', 'demo-login');
    await identify('anon-d', 'demo-login');
    expect(await live()).toBe(3);
  });
});

describe('sites', () => {
  it('creates a site, returning its keys once; the new key takes events at once', async () => {
    const res = await h.api(
      '/api/sites',
      json('POST', { name: '  Blog ', origins: ['https://Blog.Example/', 'http://localhost:3000'] }),
    );
    expect(res.status).toBe(201);
    expect(res.body.site).toMatchObject({
      name: 'Blog',
      origins: ['https://blog.example', 'http://localhost:3000'],
      eventCount: 0,
    });
    expect(res.body.secretKey).toMatch(/^sk_/);
    expect(res.body.identitySecret).toMatch(/^is_/);
    const list = await h.api('/api/sites');
    expect(list.body.sites.map((s: { name: string }) => s.name)).toEqual(['Shop', 'Blog']);
    expect(JSON.stringify(list.body)).not.toContain(res.body.secretKey);
    const sent = await h.post(
      '/v1/batch',
      { writeKey: res.body.site.siteKey, batch: [pageEvent()] },
      { Origin: 'https://blog.example' },
    );
    expect(sent.status).toBe(200);
    expect(sent.body.results[0].status).toBe('accepted');
  });

  it('refuses a bad name or origin, naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ origins: ['https://a.example'] }, 'name'],
      [{ name: ' ', origins: ['https://a.example'] }, 'name'],
      [{ name: 'A' }, 'origins'],
      [{ name: 'A', origins: [] }, 'origins'],
      [{ name: 'A', origins: ['ftp://a.example'] }, 'origins.0'],
      [{ name: 'A', origins: ['https://a.example', 'https://a.example/shop'] }, 'origins.1'],
      [{ name: 'A', origins: ['a.example'] }, 'origins.0'],
      [{ name: 'A', origins: ['https://user:pw@a.example'] }, 'origins.0'],
    ];
    for (const [body, field] of cases) {
      const res = await h.api('/api/sites', json('POST', body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.field, JSON.stringify(body)).toBe(field);
    }
    expect(await h.count('SELECT COUNT(*) FROM sites')).toBe(1);
  });

  it('renames a site and changes its origins, which ingest honours at once', async () => {
    const send = (origin: string) =>
      h.post('/v1/batch', { writeKey: h.site.siteKey, batch: [pageEvent()] }, { Origin: origin });
    expect((await send('https://new.example')).status).toBe(403);
    const res = await h.api(
      `/api/sites/${h.site.id}`,
      json('PATCH', { name: 'Shop EU', origins: ['https://new.example'] }),
    );
    expect(res.status).toBe(200);
    expect(res.body.site).toMatchObject({ name: 'Shop EU', origins: ['https://new.example'] });
    expect((await send('https://new.example')).status).toBe(200);
    expect((await send(ORIGIN)).status).toBe(403);
    const renamed = await h.api(`/api/sites/${h.site.id}`, json('PATCH', { name: 'Shop' }));
    expect(renamed.body.site).toMatchObject({ name: 'Shop', origins: ['https://new.example'] });
    expect((await h.api(`/api/sites/${h.site.id}`, json('PATCH', {}))).status).toBe(400);
    const bad = await h.api(`/api/sites/${h.site.id}`, json('PATCH', { origins: ['javascript:alert(1)'] }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('origins.0');
    expect((await h.api('/api/sites/nope', json('PATCH', { name: 'x' }))).status).toBe(404);
  });
});

describe('users', () => {
  it('lists, adds with a scrypt-hashed password and removes users', async () => {
    const list = await h.api('/api/users');
    expect(list.body.users.map((u: { email: string }) => u.email)).toEqual([h.admin.email]);
    const added = await h.api(
      '/api/users',
      json('POST', { email: ' Ana@Example.com ', password: 'ten chars!' }),
    );
    expect(added.status).toBe(201);
    expect(added.body.user).toMatchObject({ email: 'ana@example.com' });
    expect(JSON.stringify(added.body)).not.toContain('ten chars!');
    const hash = await h.db.execute({
      sql: 'SELECT password_hash FROM users WHERE id = ?',
      args: [added.body.user.id],
    });
    expect(String(hash.rows[0].password_hash)).toMatch(/^scrypt\$/);
    await sessionCookie('ana@example.com', 'ten chars!');

    const dup = await h.api(
      '/api/users',
      json('POST', { email: 'ANA@example.com', password: 'another one!' }),
    );
    expect(dup.status).toBe(409);
    expect(dup.body.error.field).toBe('email');

    const removed = await h.api(`/api/users/${added.body.user.id}`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    expect(await h.count('SELECT COUNT(*) FROM auth_sessions WHERE user_id = ?', [added.body.user.id])).toBe(
      0,
    );
    expect((await h.api(`/api/users/${added.body.user.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses a short password or a bad email, naming the field', async () => {
    const short = await h.api('/api/users', json('POST', { email: 'b@example.com', password: 'nine char' }));
    expect(short.status).toBe(400);
    expect(short.body.error.field).toBe('password');
    const email = await h.api('/api/users', json('POST', { email: 'nope', password: 'long enough pw' }));
    expect(email.status).toBe(400);
    expect(email.body.error.field).toBe('email');
  });

  it('never removes yourself or the last user', async () => {
    const me = (await h.api('/api/users')).body.users[0];
    const last = await h.api(`/api/users/${me.id}`, { method: 'DELETE' });
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe('last_user');

    await h.api('/api/users', json('POST', { email: 'b@example.com', password: 'long enough pw' }));
    const cookie = await sessionCookie();
    const self = await h.app.request(`/api/users/${me.id}`, {
      method: 'DELETE',
      headers: { Cookie: cookie, 'Content-Type': 'application/json' },
    });
    expect(self.status).toBe(409);
    expect((await self.json()).error.code).toBe('cannot_remove_self');
    expect(await h.count('SELECT COUNT(*) FROM users')).toBe(2);
  });
});

describe('API tokens', () => {
  it('creates a token shown once, lists name and use, revokes it', async () => {
    const created = await h.api('/api/tokens', json('POST', { name: ' Reports ' }));
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^tpt_/);
    expect(created.body.token).toMatchObject({ name: 'Reports', lastUsedAt: null });

    const used = await h.app.request('/api/me', {
      headers: { Authorization: `Bearer ${created.body.secret}` },
    });
    expect(used.status).toBe(200);
    const list = await h.api('/api/tokens');
    expect(list.body.tokens.map((t: { name: string }) => t.name)).toEqual(['tests', 'Reports']);
    expect(list.body.tokens[1].lastUsedAt).not.toBeNull();
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret);

    expect((await h.api(`/api/tokens/${created.body.token.id}`, { method: 'DELETE' })).status).toBe(200);
    const after = await h.app.request('/api/me', {
      headers: { Authorization: `Bearer ${created.body.secret}` },
    });
    expect(after.status).toBe(401);
    expect((await h.api(`/api/tokens/${created.body.token.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses a token without a name', async () => {
    const res = await h.api('/api/tokens', json('POST', { name: '  ' }));
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('name');
  });
});
