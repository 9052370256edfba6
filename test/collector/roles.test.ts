// Roles through HTTP: a member works with profiles, the overview, the inbox and automations, and gets 403 on
// every admin-only route (users, API tokens, sites and their settings, Stripe, chat settings, webhooks); the
// last admin cannot be demoted or removed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './harness.ts';

let h: Harness;
let member: { id: string; cookie: string };
beforeAll(async () => {
  h = await harness();
  const made = await h.api('/api/users', {
    method: 'POST',
    body: JSON.stringify({ email: 'mo@shop.example', password: 'a member password' }),
  });
  expect(made.status).toBe(201);
  expect(made.body.user.role).toBe('member');
  const login = await h.app.request('/api/login', {
    method: 'POST',
    body: JSON.stringify({ email: 'mo@shop.example', password: 'a member password' }),
    headers: { 'Content-Type': 'application/json' },
  });
  member = { id: made.body.user.id, cookie: login.headers.get('set-cookie')!.split(';')[0] };
});
afterAll(async () => {
  await h.close();
});

const as = (path: string, method = 'GET', body?: unknown) =>
  h.app.request(path, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { Cookie: member.cookie, 'Content-Type': 'application/json' },
  });

describe('a member', () => {
  it('works with profiles, the overview, the inbox and automations', async () => {
    const me = await (await as('/api/me')).json();
    expect(me.user).toMatchObject({ email: 'mo@shop.example', role: 'member' });
    for (const path of [
      '/api/profiles',
      '/api/overview',
      '/api/inbox',
      '/api/sites',
      `/api/sites/${h.site.id}/settings`,
      `/api/sites/${h.site.id}/rules`,
      '/api/tasks',
      '/api/users',
      `/api/sites/${h.site.id}/forms`,
      `/api/sites/${h.site.id}/chat`,
    ])
      expect((await as(path)).status, path).toBe(200);
    const rule = await as(`/api/sites/${h.site.id}/rules`, 'POST', {
      name: 'Tag chats',
      trigger: { kind: 'chat_started' },
      actions: [{ kind: 'tag', tag: 'chat' }],
    });
    expect(rule.status).toBe(201);
  });

  it('gets 403 on every admin-only route', async () => {
    for (const [method, path, body] of [
      ['POST', '/api/users', { email: 'x@shop.example', password: 'long enough password' }],
      ['DELETE', `/api/users/${member.id}`, undefined],
      ['PATCH', `/api/users/${member.id}`, { role: 'admin' }],
      ['GET', '/api/tokens', undefined],
      ['POST', '/api/tokens', { name: 'mine' }],
      ['DELETE', '/api/tokens/t1', undefined],
      ['POST', '/api/sites', { name: 'Mine', origins: ['https://mine.example'] }],
      ['PATCH', `/api/sites/${h.site.id}`, { name: 'Renamed' }],
      ['PUT', `/api/sites/${h.site.id}/settings`, { identity: { sharedLimit: 5 } }],
      ['GET', `/api/sites/${h.site.id}/stripe`, undefined],
      ['PUT', `/api/sites/${h.site.id}/stripe`, { secret: null }],
      ['PUT', `/api/sites/${h.site.id}/chat`, { enabled: false }],
      ['GET', `/api/sites/${h.site.id}/webhooks`, undefined],
      [
        'POST',
        `/api/sites/${h.site.id}/webhooks`,
        { url: 'https://hooks.example/', events: ['lead.created'] },
      ],
      ['GET', '/api/webhooks/ep_x', undefined],
      ['POST', '/api/webhooks/ep_x/rotate', undefined],
    ] as const) {
      const res = await as(path, method, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect((await res.json()).error.code).toBe('admin_only');
    }
    // Nothing changed.
    expect((await h.api('/api/users')).body.users.map((u: { email: string }) => u.email).sort()).toEqual([
      'admin@example.com',
      'mo@shop.example',
    ]);
  });
});

describe('the last admin', () => {
  it('cannot be demoted or removed; an admin can promote a member', async () => {
    const users = (await h.api('/api/users')).body.users as { id: string; email: string; role: string }[];
    const admin = users.find((u) => u.role === 'admin')!;
    const demote = await h.api(`/api/users/${admin.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ role: 'member' }),
    });
    expect(demote.status).toBe(409);
    expect(demote.body.error.field).toBe('role');
    const bad = await h.api(`/api/users/${admin.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ role: 'owner' }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('role');
    const promote = await h.api(`/api/users/${member.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ role: 'admin' }),
    });
    expect(promote.body.user.role).toBe('admin');
    expect((await as('/api/tokens')).status).toBe(200);
    // Two admins: now either may become a member.
    const back = await h.api(`/api/users/${member.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ role: 'member' }),
    });
    expect(back.body.user.role).toBe('member');
    expect((await h.api('/api/users/nobody', { method: 'PATCH', body: '{"role":"admin"}' })).status).toBe(
      404,
    );
  });
});
