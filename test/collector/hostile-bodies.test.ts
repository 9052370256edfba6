// Hostile request bodies through HTTP: nesting too deep for JSON.parse and bodies over a route's limit are
// refused with a 4xx before anything is parsed or stored, on every route that reads a body.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../wire.ts';
import { type Harness, harness, ORIGIN, pageEvent } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

/** Every route that reads a JSON body; `:site` is the harness's site id. */
const ROUTES: [method: string, path: string][] = [
  ['POST', '/v1/batch'],
  ['POST', '/v1/track'],
  ['POST', '/v1/identify'],
  ['POST', '/v1/chat/messages'],
  ['POST', '/api/login'],
  ['POST', '/api/setup'],
  ['POST', '/api/sites'],
  ['PATCH', '/api/sites/:site'],
  ['PUT', '/api/sites/:site/settings'],
  ['POST', '/api/users'],
  ['POST', '/api/tokens'],
  ['POST', '/api/profiles/p1/merge'],
  ['POST', '/api/profiles/p1/stage'],
  ['POST', '/api/links/l1/revoke'],
  ['POST', '/api/merge-proposals/m1'],
  ['POST', '/api/inbox/c1/messages'],
  ['POST', '/api/inbox/c1/assign'],
  ['PUT', '/api/sites/:site/chat'],
  ['POST', '/api/sites/:site/forms'],
  ['PUT', '/api/sites/:site/forms/f1'],
  ['PUT', '/api/sites/:site/stripe'],
  ['POST', '/api/payments/pay1/attach'],
];

function send(method: string, path: string, body: string) {
  return h.app.request(path.replace(':site', h.site.id), {
    method,
    body,
    headers: {
      Authorization: `Bearer ${h.token}`,
      'Content-Type': path.startsWith('/v1') ? 'text/plain' : 'application/json',
    },
  });
}

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const stored = async () => ({
  events: await h.count('SELECT COUNT(*) FROM events'),
  messages: await h.count('SELECT COUNT(*) FROM chat_messages'),
  conversations: await h.count('SELECT COUNT(*) FROM conversations'),
  sessions: await h.count('SELECT COUNT(*) FROM auth_sessions'),
  sites: await h.count('SELECT COUNT(*) FROM sites'),
  forms: await h.count('SELECT COUNT(*) FROM forms'),
});

describe('JSON nesting depth, checked before parsing', () => {
  it.each(ROUTES)('%s %s refuses JSON nested 4,100 deep with 400 too_deep', async (method, path) => {
    const before = await stored();
    const body = `{"writeKey":"${h.site.siteKey}","key":"${h.site.siteKey}","batch":[{"properties":{"x":${nested(4100)}}}]}`;
    const res = await send(method, path, body);
    expect(res.status).toBe(400);
    const reply = await res.json();
    expect(reply.error.code).toBe('too_deep');
    expect(reply.error.message).toContain(`${LIMITS.jsonDepth} levels`);
    expect(await stored()).toEqual(before);
  });

  it('refuses a batch nested 100,000 deep, where JSON.parse or a walk after it would overflow the stack', async () => {
    const body = `{"writeKey":"${h.site.siteKey}","batch":[{"type":"page","messageId":"m","anonymousId":"a","properties":{"x":${nested(100_000)}}}]}`;
    const res = await h.post('/v1/batch', body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('too_deep');
    expect(await h.count('SELECT COUNT(*) FROM events')).toBe(0);
  });

  it(`takes an event nested ${LIMITS.jsonDepth} deep, and brackets inside strings are not nesting`, async () => {
    // body { batch [ event { properties { x … : 4 levels before x
    const x = JSON.parse(nested(LIMITS.jsonDepth - 4));
    const brackets = '[{'.repeat(5000);
    const batch = [pageEvent({ properties: { x, brackets, quote: 'a "[" \\" [' } })];
    const res = await h.post('/v1/batch', { writeKey: h.site.siteKey, batch });
    expect(res.status).toBe(200);
    expect(res.body.results[0].status).toBe('accepted');
    const deeper = [pageEvent({ properties: { x: [x] } })];
    const refused = await h.post('/v1/batch', { writeKey: h.site.siteKey, batch: deeper });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('too_deep');
  });

  it('lets a chat message full of brackets through', async () => {
    const text = '[[[{{{'.repeat(600);
    const res = await h.post(
      '/v1/chat/messages',
      { key: h.site.siteKey, anonymousId: 'anon-b', clientId: 'c1', text },
      { Origin: ORIGIN },
    );
    expect(res.status).toBe(201);
    expect(res.body.message.text).toBe(text);
  });
});

describe('body limits, applied before the body is read', () => {
  const threeMb = 'x'.repeat(3 * 1024 * 1024);
  const LIMITED: [method: string, path: string, limit: number][] = [
    ['POST', '/v1/batch', LIMITS.requestBytes],
    ['POST', '/v1/page', LIMITS.requestBytes],
    ['POST', '/v1/chat/messages', LIMITS.chatBytes],
    ['POST', '/api/login', LIMITS.loginBytes],
    ['POST', '/api/setup', LIMITS.loginBytes],
    ['PUT', '/api/sites/:site/settings', LIMITS.adminBytes],
    ['POST', '/api/sites/:site/forms', LIMITS.adminBytes],
    ['POST', '/api/inbox/c1/messages', LIMITS.adminBytes],
    ['POST', '/v1/stripe/:key', LIMITS.requestBytes],
  ];

  it.each(LIMITED)(
    '%s %s answers 413 over its limit and closes the connection',
    async (method, path, limit) => {
      const body = JSON.stringify({ key: h.site.siteKey, text: threeMb });
      const res = await send(method, path.replace(':key', h.site.siteKey), body);
      expect(res.status).toBe(413);
      expect(res.headers.get('connection')).toBe('close');
      const reply = await res.json();
      expect(reply.error.code).toBe('too_large');
      expect(reply.error.message).toContain(`${limit / 1024} KB`);
    },
  );

  it('refuses a 3 MB chat message with 413 and stores nothing', async () => {
    const before = await stored();
    const res = await h.post(
      '/v1/chat/messages',
      { key: h.site.siteKey, anonymousId: 'anon-big', clientId: 'c-big', text: threeMb },
      { Origin: ORIGIN },
    );
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('too_large');
    expect(await stored()).toEqual(before);
  });

  it('refuses a 3 MB login with 413 before checking the password, and starts no session', async () => {
    const res = await h.post(
      '/api/login',
      { email: h.admin.email, password: h.admin.password, padding: threeMb },
      { 'Content-Type': 'application/json' },
    );
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('too_large');
    expect(await h.count('SELECT COUNT(*) FROM auth_sessions')).toBe(0);
    const ok = await h.post(
      '/api/login',
      { email: h.admin.email, password: h.admin.password },
      { 'Content-Type': 'application/json' },
    );
    expect(ok.status).toBe(200);
  });

  it('takes a 4,000-character chat message in a three-byte script, under the chat limit', async () => {
    const text = '漢'.repeat(4000);
    const res = await h.post(
      '/v1/chat/messages',
      {
        key: h.site.siteKey,
        anonymousId: 'anon-cjk',
        clientId: 'c-cjk',
        text,
        url: `${ORIGIN}/${'p'.repeat(2000)}`,
      },
      { Origin: ORIGIN },
    );
    expect(res.status).toBe(201);
  });
});
