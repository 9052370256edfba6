// Privacy through HTTP: a profile's export holds every kind of record; its erasure removes all of it in one
// transaction (rollups kept equal to a recomputation, the search index cleaned), leaves a receipt without personal
// data and tombstones that drop a queued retry, and the erased bytes are in none of the database files; retention
// purges raw events older than a site's period while the overview, attribution and profiles stay as they were, and
// a later refold (a merge, a late event, the refolder) starts from the purged history instead of losing it.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileDetail, ProfileExport } from '../../wire.ts';
import { attribution, attributionFromProfiles } from '../../collector/store/libsql/attribution.ts';
import { filePath } from '../../collector/store/libsql/client.ts';
import { type Harness, harness, ORIGIN } from './harness.ts';

const DAY = 86_400_000;
const EMAIL = 'ada.zq9x@people.example';
const NAME = 'Ada Zq9xname';
const PHONE = '+4915112345678';

let h: Harness;
let member: { cookie: string };
beforeAll(async () => {
  h = await harness();
  const made = await h.api('/api/users', {
    method: 'POST',
    body: JSON.stringify({ email: 'mo@shop.example', password: 'a member password' }),
  });
  expect(made.status).toBe(201);
  const login = await h.app.request('/api/login', {
    method: 'POST',
    body: JSON.stringify({ email: 'mo@shop.example', password: 'a member password' }),
    headers: { 'Content-Type': 'application/json' },
  });
  member = { cookie: login.headers.get('set-cookie')!.split(';')[0] };
});
afterAll(async () => {
  await h.close();
});

const json = (method: string, body?: unknown): RequestInit => ({
  method,
  body: body === undefined ? undefined : JSON.stringify(body),
});
const asMember = (path: string, method = 'GET', body?: unknown) =>
  h.app.request(path, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { Cookie: member.cookie, 'Content-Type': 'application/json' },
  });

let seq = 0;
const NOW = Date.now();
const at = (daysAgo: number, ms = 0) => new Date(NOW - daysAgo * DAY + ms).toISOString();
/** Server events (the secret key), dated with `timestamp` as a server library states them. */
async function send(secretKey: string, events: Record<string, unknown>[]) {
  const batch = events.map((e) => ({ messageId: `m-${++seq}`, timestamp: at(0), ...e }));
  const res = await h.post('/v1/batch', { writeKey: secretKey, batch });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.results as { status: string; messageId: string }[];
}
/** A browser's page events (the public key, from the site's origin). */
async function browse(events: Record<string, unknown>[]) {
  const batch = events.map((e) => ({ messageId: `b-${++seq}`, originalTimestamp: at(0), ...e }));
  const res = await h.post('/v1/batch', { writeKey: h.site.siteKey, batch }, { Origin: ORIGIN });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.results as { status: string }[];
}

async function profileIdOf(siteId: string, anonymousId: string): Promise<string> {
  const rs = await h.db.execute({
    sql: 'SELECT profile_id FROM identities WHERE site_id = ? AND key = ?',
    args: [siteId, `a:${anonymousId}`],
  });
  return String(rs.rows[0].profile_id);
}

/** The database files as bytes: the .db, its WAL and shared-memory index. */
function databaseFiles(): { name: string; bytes: Buffer }[] {
  const path = filePath(h.url)!;
  return [path, `${path}-wal`, `${path}-shm`]
    .filter((p) => existsSync(p))
    .map((p) => ({ name: p, bytes: readFileSync(p) }));
}
const ENCODINGS = [
  EMAIL,
  EMAIL.replace('@', '%40'),
  EMAIL.replace('@', '\\u0040'),
  EMAIL.toUpperCase(),
  encodeURIComponent(EMAIL),
];
function whereBytes(): string[] {
  const found: string[] = [];
  for (const f of databaseFiles())
    for (const e of ENCODINGS)
      for (const enc of ['utf8', 'utf16le'] as const)
        if (f.bytes.includes(Buffer.from(e, enc))) found.push(`${e} (${enc}) in ${f.name}`);
  return found;
}

/** The maintained read models against a recomputation from the profile rows. */
async function expectRollupsRecomputed() {
  for (const siteId of [undefined, h.site.id]) {
    const q = { from: Date.now() - 1000 * DAY, to: Date.now() + DAY, siteId };
    expect(await attribution(h.db, q)).toEqual(await attributionFromProfiles(h.db, q));
  }
  const stale = await h.db.execute(
    `SELECT (SELECT COUNT(*) FROM attribution_days WHERE visitors <= 0)
          + (SELECT COUNT(*) FROM attribution_revenue WHERE profiles <= 0) AS n`,
  );
  expect(Number(stale.rows[0].n)).toBe(0);
  const counts = `SELECT site_id, day, stage, profiles FROM overview_days ORDER BY 1, 2, 3`;
  const scratch = `SELECT site_id, first_seen / ${DAY} AS day, stage, COUNT(*) AS profiles FROM profiles
    WHERE merged_into IS NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
  expect((await h.db.execute(counts)).rows.map((x) => ({ ...x }))).toEqual(
    (await h.db.execute(scratch)).rows.map((x) => ({ ...x })),
  );
  // Attribution touches: one row per live profile and model, none for a profile that is gone.
  const orphans = await h.count(
    `SELECT COUNT(*) FROM attribution_touches t WHERE NOT EXISTS
       (SELECT 1 FROM profiles p WHERE p.id = t.profile_id AND p.merged_into IS NULL)`,
  );
  expect(orphans).toBe(0);
}

/** Trigram terms of the search index (read through a temporary fts5vocab table of the test's connection). */
async function searchTerms(): Promise<Set<string>> {
  await h.db.execute(
    `CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_terms USING fts5vocab(main, profiles_search, 'row')`,
  );
  const rs = await h.db.execute('SELECT term FROM temp.search_terms');
  return new Set(rs.rows.map((r) => String(r.term)));
}

describe('export and erasure', () => {
  let adaId: string;
  let retiredId: string;
  let bobId: string;
  const ADA = 'anon-ada';
  const ADA2 = 'anon-ada-2';

  beforeAll(async () => {
    await h.api(`/api/sites/${h.site.id}/chat`, json('PUT', { enabled: true, color: '#0f766e' }));
    await h.api(
      `/api/sites/${h.site.id}/rules`,
      json('POST', {
        name: 'Follow up forms',
        trigger: { kind: 'form_submitted' },
        actions: [
          { kind: 'tag', tag: 'demo' },
          { kind: 'task', title: 'Call back', dueHours: 1 },
        ],
      }),
    );
    const endpoint = await h.api(
      `/api/sites/${h.site.id}/webhooks`,
      json('POST', { url: 'https://hooks.example/touchpoint', events: ['form.submitted', 'lead.created'] }),
    );
    expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);

    // Ada: a first visit from a campaign, identified, a form, a payment, a chat; a second browser merged in.
    await browse([
      {
        type: 'page',
        anonymousId: ADA,
        originalTimestamp: at(3),
        context: {
          page: { url: 'https://shop.example/?utm_source=news&utm_campaign=zq9spring', path: '/' },
          campaign: { source: 'news', name: 'zq9spring' },
        },
      },
    ]);
    await send(h.site.secretKey, [
      {
        type: 'identify',
        anonymousId: ADA,
        timestamp: at(2),
        traits: { email: EMAIL, name: NAME, phone: PHONE },
      },
      {
        type: 'track',
        event: 'Form Submitted',
        anonymousId: ADA,
        timestamp: at(2, 1000),
        properties: { formId: 'demo', fields: { email: EMAIL, message: 'call me' } },
      },
      {
        type: 'track',
        event: 'Newsletter Preferences',
        anonymousId: ADA,
        timestamp: at(2, 2000),
        properties: { encoded: EMAIL.replace('@', '%40') },
      },
      {
        type: 'track',
        event: 'Payment Succeeded',
        anonymousId: ADA,
        timestamp: at(1),
        properties: { payment_id: 'pi_ada', amount: 49, currency: 'USD', method: 'card' },
      },
    ]);
    // The second browser is a profile of its own until it says who it is.
    await send(h.site.secretKey, [{ type: 'page', anonymousId: ADA2, timestamp: at(1, 5000) }]);
    await send(h.site.secretKey, [
      { type: 'identify', anonymousId: ADA2, timestamp: at(1, 6000), traits: { email: EMAIL } },
    ]);
    const chat = await h.app.request('/v1/chat/messages', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', Origin: ORIGIN },
      body: JSON.stringify({
        key: h.site.siteKey,
        anonymousId: ADA,
        clientId: 'c-1',
        text: `Hello, write to me at ${EMAIL}`,
        email: EMAIL,
        token: 'a-token-of-adas-browser-0001',
      }),
    });
    expect(chat.status).toBe(201);
    // Bob: someone else, who stays.
    await send(h.site.secretKey, [
      { type: 'page', anonymousId: 'anon-bob', timestamp: at(2), properties: { path: '/' } },
      { type: 'identify', anonymousId: 'anon-bob', traits: { email: 'bob@people.example', name: 'Bob' } },
    ]);
    await h.store.automations.process({ smtp: false });
    adaId = await profileIdOf(h.site.id, ADA);
    bobId = await profileIdOf(h.site.id, 'anon-bob');
    const retired = await h.db.execute({
      sql: 'SELECT id FROM profiles WHERE merged_into = ?',
      args: [adaId],
    });
    expect(retired.rows.length).toBe(1);
    retiredId = String(retired.rows[0].id);
    const stage = await h.api(
      `/api/profiles/${adaId}/stage`,
      json('POST', { stage: 'qualified', reason: 'talked on the phone' }),
    );
    expect(stage.status).toBe(200);
  });

  it('exports every kind of record held about the profile, following merges', async () => {
    const res = await h.app.request(`/api/profiles/${retiredId}/export`, {
      headers: { Authorization: `Bearer ${h.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain(`profile-${adaId}.json`);
    const x = (await res.json()) as ProfileExport;
    expect(x.profile.id).toBe(adaId);
    expect(x.profile.email).toBe(EMAIL);
    expect(x.mergedProfiles.map((p) => p.id)).toEqual([retiredId]);
    expect(x.identifiers.map((i) => i.key).sort()).toEqual(
      [`a:${ADA}`, `a:${ADA2}`, `e:${EMAIL}`, `p:${PHONE}`].sort(),
    );
    expect(x.links.length).toBeGreaterThanOrEqual(2);
    // Its page views, identify, form, payment, a track of its own, the second browser's two, and the chat message.
    expect(x.events.map((e) => e.event ?? e.type).sort()).toEqual(
      [
        'Chat Message',
        'Form Submitted',
        'Newsletter Preferences',
        'Payment Succeeded',
        'identify',
        'identify',
        'page',
        'page',
      ].sort(),
    );
    expect(x.events.map((e) => e.body.messageId)).toEqual(x.events.map((e) => e.messageId));
    expect(x.events.some((e) => e.body.traits?.email === EMAIL)).toBe(true);
    expect(x.formSubmissions).toHaveLength(1);
    expect(x.formSubmissions[0].body.properties).toMatchObject({ fields: { email: EMAIL } });
    expect(x.touches.length).toBeGreaterThanOrEqual(1);
    expect(x.conversations).toHaveLength(1);
    expect(x.conversations[0].messages.map((m) => m.text)).toContain(`Hello, write to me at ${EMAIL}`);
    expect(x.payments).toEqual([
      expect.objectContaining({ paymentId: 'pi_ada', amount: 4900, currency: 'USD', status: 'paid' }),
    ]);
    expect(x.stageHistory.map((s) => s.stage)).toEqual(expect.arrayContaining(['reach', 'lead', 'customer']));
    expect(x.stageOverride).toMatchObject({ stage: 'qualified', reason: 'talked on the phone' });
    expect(x.tags).toEqual(['demo']);
    expect(x.tasks.map((t) => t.title)).toEqual(['Call back']);
    expect(x.changes.map((c) => c.kind)).toEqual(expect.arrayContaining(['created', 'form_submitted']));
    expect(x.leadResponse).toMatchObject({ startKind: 'form_submitted' });
    // Nobody else's records.
    expect(JSON.stringify(x)).not.toContain('bob@people.example');
  });

  it('is for admins: a member gets 403, an unknown profile 404', async () => {
    expect((await asMember(`/api/profiles/${adaId}/export`)).status).toBe(403);
    expect((await asMember(`/api/profiles/${adaId}/erase`, 'POST', {})).status).toBe(403);
    expect((await asMember(`/api/erasures?site=${h.site.id}`)).status).toBe(403);
    expect((await h.app.request(`/api/profiles/${adaId}/export`)).status).toBe(401);
    expect((await h.api('/api/profiles/nope/export')).status).toBe(404);
    expect((await h.api('/api/profiles/nope/erase', json('POST', {}))).status).toBe(404);
    expect((await h.api(`/api/profiles/${adaId}`)).status).toBe(200);
  });

  it('refuses a bad body or a reason that names the person, naming the field, erasing nothing', async () => {
    for (const body of [
      { reason: `asked by ${EMAIL}` },
      { reason: 'Ada Zq9xname asked' },
      { reason: 3 },
      { reason: 'x'.repeat(301) },
    ]) {
      const res = await h.api(`/api/profiles/${adaId}/erase`, json('POST', body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.field).toBe('reason');
    }
    const notObject = await h.api(`/api/profiles/${adaId}/erase`, { method: 'POST', body: '[1]' });
    expect(notObject.status).toBe(400);
    const broken = await h.api(`/api/profiles/${adaId}/erase`, { method: 'POST', body: '{nope' });
    expect(broken.status).toBe(400);
    expect((await h.api(`/api/profiles/${adaId}`)).status).toBe(200);
  });

  it('erases everything about the person in one transaction; the bytes leave every database file', async () => {
    const termsBefore = await searchTerms();
    expect(termsBefore.has('zq9')).toBe(true);
    expect(whereBytes().length).toBeGreaterThan(0);
    expect(whereBytes().some((w) => w.startsWith(EMAIL.replace('@', '%40')))).toBe(true);
    expect(await h.count('SELECT COUNT(*) FROM webhook_deliveries')).toBeGreaterThan(0);

    const res = await h.api(
      `/api/profiles/${retiredId}/erase`,
      json('POST', { reason: 'access request 17' }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const receipt = res.body.erasure;
    expect(receipt).toMatchObject({
      siteId: h.site.id,
      via: 'token',
      byUserId: null,
      reason: 'access request 17',
    });
    expect(receipt.counts).toMatchObject({
      profiles: 2,
      events: 8,
      identifiers: 4,
      payments: 1,
      conversations: 1,
      tags: 1,
      tasks: 1,
      leadResponses: 1,
      stageOverrides: 1,
    });
    expect(receipt.counts.webhookDeliveries).toBeGreaterThan(0);
    expect(receipt.counts.chatMessages).toBeGreaterThan(0);
    expect(receipt.counts.links).toBeGreaterThan(0);
    expect(receipt.counts.changes).toBeGreaterThan(0);

    // Gone from every table that held it.
    for (const id of [adaId, retiredId]) expect((await h.api(`/api/profiles/${id}`)).status).toBe(404);
    expect((await h.api(`/api/profiles/${adaId}/export`)).status).toBe(404);
    for (const [sql, args] of [
      ['SELECT COUNT(*) FROM events WHERE anonymous_id IN (?, ?)', [ADA, ADA2]],
      ['SELECT COUNT(*) FROM identities WHERE profile_id IN (?, ?)', [adaId, retiredId]],
      ['SELECT COUNT(*) FROM links WHERE a LIKE ? OR b LIKE ?', ['%zq9x%', '%zq9x%']],
      ['SELECT COUNT(*) FROM merges WHERE survivor_id = ? OR merged_id = ?', [adaId, adaId]],
      ['SELECT COUNT(*) FROM conversations WHERE anonymous_id = ?', [ADA]],
      ['SELECT COUNT(*) FROM chat_messages WHERE text LIKE ?', ['%zq9x%']],
      ['SELECT COUNT(*) FROM payments WHERE payment_id = ?', ['pi_ada']],
      ['SELECT COUNT(*) FROM profile_changes WHERE profile_id IN (?, ?)', [adaId, retiredId]],
      ['SELECT COUNT(*) FROM tasks WHERE profile_id = ?', [adaId]],
      ['SELECT COUNT(*) FROM profile_tags WHERE profile_id = ?', [adaId]],
      ['SELECT COUNT(*) FROM lead_responses WHERE profile_id = ?', [adaId]],
      ['SELECT COUNT(*) FROM webhook_deliveries WHERE payload LIKE ?', [`%${adaId}%`]],
      ['SELECT COUNT(*) FROM browser_acts WHERE browser IN (?, ?)', [`a:${ADA}`, `a:${ADA2}`]],
      ['SELECT COUNT(*) FROM touches WHERE ident IN (?, ?)', [`a:${ADA}`, `a:${ADA2}`]],
      ['SELECT COUNT(*) FROM stage_overrides WHERE profile_id = ?', [adaId]],
      ['SELECT COUNT(*) FROM attribution_touches WHERE profile_id IN (?, ?)', [adaId, retiredId]],
    ] as [string, string[]][])
      expect(await h.count(sql, args), sql).toBe(0);
    expect((await h.api('/api/profiles?q=zq9x')).body.profiles).toEqual([]);
    const terms = await searchTerms();
    for (const t of ['zq9', 'q9x', 'xna']) expect(terms.has(t), t).toBe(false);

    // Bob is untouched, and the rollups equal a recomputation.
    expect((await h.api(`/api/profiles/${bobId}`)).body.profile.email).toBe('bob@people.example');
    await expectRollupsRecomputed();

    // The bytes: in none of the database files (plain, URL- or JSON-escaped, upper case, UTF-16).
    expect(whereBytes()).toEqual([]);

    // The receipt holds no personal data, and is listed for admins.
    const list = await h.api(`/api/erasures?site=${h.site.id}`);
    expect(list.status).toBe(200);
    expect(list.body.erasures).toEqual([receipt]);
    expect(JSON.stringify(list.body)).not.toMatch(/zq9x|ada|4915112345678/i);
    expect((await h.api('/api/erasures')).body.erasures).toHaveLength(1);
    expect((await h.api('/api/erasures?site=nope')).status).toBe(404);
    expect((await h.api('/api/erasures?limit=0')).body.error.field).toBe('limit');
  });

  it('drops a retry queued before the erasure: accepted, never stored; others still count', async () => {
    const results = await send(h.site.secretKey, [
      { type: 'page', anonymousId: ADA, timestamp: at(0) },
      { type: 'identify', anonymousId: 'anon-fresh', traits: { email: EMAIL.toUpperCase() } },
      { type: 'track', event: 'Called', anonymousId: 'anon-x', context: { traits: { phone: PHONE } } },
      { type: 'page', anonymousId: 'anon-bob', timestamp: at(0) },
    ]);
    expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
    const stored = await h.db.execute({
      sql: 'SELECT anonymous_id FROM events WHERE message_id IN (?, ?, ?, ?) ORDER BY anonymous_id',
      args: results.map((r) => r.messageId),
    });
    expect(stored.rows.map((r) => r.anonymous_id)).toEqual(['anon-bob']);
    expect(await h.count('SELECT COUNT(*) FROM profiles WHERE email = ?', [EMAIL])).toBe(0);
    expect(await h.count('SELECT COUNT(*) FROM identities WHERE key = ?', [`a:${ADA}`])).toBe(0);
    const tombstones = await h.db.execute('SELECT key_hash FROM erased_keys');
    expect(tombstones.rows.length).toBe(4);
    expect(tombstones.rows.every((r) => /^[0-9a-f]{64}$/.test(String(r.key_hash)))).toBe(true);
    expect(whereBytes()).toEqual([]);
  });

  it('keeps no chat from the erased browser or address: 410, and a message queued before cannot bring it back', async () => {
    const post = (anonymousId: string, text: string, token: string) =>
      h.app.request('/v1/chat/messages', {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', Origin: ORIGIN },
        body: JSON.stringify({ key: h.site.siteKey, anonymousId, clientId: `c-${token}`, text, token }),
      });
    // the erased browser's outbox replays its message from before the erasure, then a new one
    for (const text of [`Hello, write to me at ${EMAIL}`, 'Anyone there?']) {
      const res = await post(ADA, text, 'a-token-of-adas-browser-0001');
      expect(res.status).toBe(410);
      expect(((await res.json()) as { error: { code: string; field: string } }).error).toMatchObject({
        code: 'erased',
        field: 'anonymousId',
      });
    }
    // a new browser typing the erased address is refused too, as its events are
    expect((await post('anon-new', `It's me, ${EMAIL}`, 'a-token-of-a-new-browser-0001')).status).toBe(410);
    expect(
      await h.count('SELECT COUNT(*) FROM conversations WHERE anonymous_id IN (?, ?)', [ADA, 'anon-new']),
    ).toBe(0);
    expect(whereBytes()).toEqual([]);
    // anyone else chats as before
    expect((await post('anon-carol', 'Hi, a question', 'a-token-of-carols-browser-01')).status).toBe(201);
  });

  it('erases through a session too, recording the admin, and an empty body is {}', async () => {
    await send(h.site.secretKey, [
      { type: 'identify', anonymousId: 'anon-cy', traits: { email: 'cy@people.example' } },
    ]);
    const id = await profileIdOf(h.site.id, 'anon-cy');
    const login = await h.app.request('/api/login', {
      method: 'POST',
      body: JSON.stringify({ email: h.admin.email, password: h.admin.password }),
      headers: { 'Content-Type': 'application/json' },
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const me = await (await h.app.request('/api/me', { headers: { Cookie: cookie } })).json();
    const res = await h.app.request(`/api/profiles/${id}/erase`, {
      method: 'POST',
      headers: { Cookie: cookie, 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(200);
    const { erasure } = await res.json();
    expect(erasure).toMatchObject({ via: 'session', byUserId: me.user.id, reason: null });
    expect((await h.api(`/api/erasures?site=${h.site.id}`)).body.erasures[0].id).toBe(erasure.id);
    await expectRollupsRecomputed();
  });
});

describe('retention', () => {
  /** Two sites with the same history: A gets a retention period, B keeps everything (the control). */
  let A: { id: string; secretKey: string };
  let B: { id: string; secretKey: string };

  async function history(key: string) {
    await send(key, [
      {
        type: 'page',
        messageId: 'p1-1',
        anonymousId: 'p1',
        timestamp: at(400),
        context: {
          page: { url: 'https://shop.example/?utm_campaign=spring', path: '/' },
          campaign: { name: 'spring', source: 'news', medium: 'email' },
        },
      },
      {
        type: 'page',
        messageId: 'p1-2',
        anonymousId: 'p1',
        timestamp: at(400, 60_000),
        properties: { path: '/pricing' },
      },
      {
        type: 'identify',
        messageId: 'p1-3',
        anonymousId: 'p1',
        timestamp: at(399),
        traits: { email: 'p1@people.example', name: 'Pat One' },
      },
      {
        type: 'track',
        messageId: 'p1-4',
        event: 'Form Submitted',
        anonymousId: 'p1',
        timestamp: at(398),
        properties: { formId: 'demo', fields: { email: 'p1@people.example' } },
      },
      {
        type: 'track',
        messageId: 'p1-5',
        event: 'Payment Succeeded',
        anonymousId: 'p1',
        timestamp: at(390),
        properties: { payment_id: 'pi_1', amount: 49, currency: 'USD' },
      },
      { type: 'page', messageId: 'p1-6', anonymousId: 'p1', timestamp: at(10) },
      { type: 'page', messageId: 'p1-7', anonymousId: 'p1', timestamp: at(5) },
      {
        type: 'page',
        messageId: 'p2-1',
        anonymousId: 'p2',
        timestamp: at(380),
        context: { page: { url: 'https://shop.example/?utm_campaign=autumn' }, campaign: { name: 'autumn' } },
      },
      {
        type: 'identify',
        messageId: 'p2-2',
        anonymousId: 'p2',
        timestamp: at(370),
        traits: { email: 'p2@people.example' },
      },
      { type: 'page', messageId: 'p2-3', anonymousId: 'p2', timestamp: at(2) },
      { type: 'page', messageId: 'p3-1', anonymousId: 'p3', timestamp: at(3) },
      {
        type: 'page',
        messageId: 'p4-1',
        anonymousId: 'p4',
        timestamp: at(500),
        context: { campaign: { name: 'winter' } },
      },
      {
        type: 'track',
        messageId: 'p4-2',
        event: 'Payment Succeeded',
        anonymousId: 'p4',
        timestamp: at(499),
        properties: { payment_id: 'pi_4', amount: 20, currency: 'EUR' },
      },
    ]);
  }

  const range = () =>
    `from=${new Date(Date.now() - 800 * DAY).toISOString().slice(0, 10)}&to=${new Date().toISOString().slice(0, 10)}`;
  async function reports(siteId: string) {
    const overview = await h.api(`/api/overview?${range()}&site=${siteId}`);
    const attribution = await h.api(`/api/attribution?${range()}&site=${siteId}`);
    expect(overview.status).toBe(200);
    expect(attribution.status).toBe(200);
    const { siteId: _o, ...o } = overview.body;
    const { siteId: _a, ...a } = attribution.body;
    return { overview: o, attribution: a };
  }
  /** A profile as shown, without what names its ids (the two sites' ids differ). */
  async function shown(siteId: string, anonymousId: string) {
    const id = await profileIdOf(siteId, anonymousId);
    const { profile } = (await h.api(`/api/profiles/${id}`)).body as { profile: ProfileDetail };
    const {
      id: _id,
      siteId: _site,
      identifiers,
      links: _links,
      merges: _merges,
      referralCode: _code,
      status: _status,
      ...rest
    } = profile;
    return { ...rest, identifiers: identifiers.map((i) => `${i.kind}:${i.value}`).sort() };
  }
  async function same(anonymousId: string) {
    expect(await shown(A.id, anonymousId)).toEqual(await shown(B.id, anonymousId));
  }

  beforeAll(async () => {
    const a = await h.store.sites.create('Retained', [ORIGIN]);
    const b = await h.store.sites.create('Control', [ORIGIN]);
    A = { id: a.site.id, secretKey: a.secretKey };
    B = { id: b.site.id, secretKey: b.secretKey };
    await history(A.secretKey);
    await history(B.secretKey);
  });

  it('is a site setting: 30 to 3650 days or null, refused naming privacy.retentionDays', async () => {
    const path = `/api/sites/${A.id}/settings`;
    expect((await h.api(path)).body.settings.privacy).toBeUndefined();
    expect((await h.api(path)).body.defaults.privacy).toEqual({ retentionDays: null });
    for (const bad of [29, 3651, 30.5, '365', true, {}]) {
      const res = await h.api(path, json('PUT', { privacy: { retentionDays: bad } }));
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.error.field).toBe('privacy.retentionDays');
    }
    const off = await h.api(path, json('PUT', { privacy: { retentionDays: null } }));
    expect(off.status).toBe(200);
    expect(off.body.settings.privacy).toEqual({ retentionDays: null });
    expect((await asMember(path, 'PUT', { privacy: { retentionDays: 30 } })).status).toBe(403);
    // Nothing is purged while it is off.
    expect((await h.store.privacy.purge(Date.now())).events).toBe(0);
  });

  it('purges raw events older than the period; reports and profiles stay as they were', async () => {
    const before = await reports(A.id);
    expect(before).toEqual(await reports(B.id));
    const profilesBefore = await Promise.all(['p1', 'p2', 'p3', 'p4'].map((p) => shown(A.id, p)));
    const touchesBefore = await h.count('SELECT COUNT(*) FROM touches WHERE site_id = ?', [A.id]);

    const set = await h.api(`/api/sites/${A.id}/settings`, json('PUT', { privacy: { retentionDays: 365 } }));
    expect(set.status).toBe(200);
    expect(set.body.settings.privacy).toEqual({ retentionDays: 365 });
    // Small batches: several write jobs.
    const purged = await h.store.privacy.purge(Date.now(), { batch: 3 });
    expect(purged).toEqual({ events: 9, more: false });
    expect(
      await h.count('SELECT COUNT(*) FROM events WHERE site_id = ? AND ts < ?', [
        A.id,
        Date.now() - 365 * DAY,
      ]),
    ).toBe(0);
    expect(await h.count('SELECT COUNT(*) FROM events WHERE site_id = ?', [A.id])).toBe(4);
    expect(await h.count('SELECT COUNT(*) FROM events WHERE site_id = ?', [B.id])).toBe(13);
    expect(
      await h.count('SELECT COUNT(*) FROM touches WHERE site_id = ? AND ts < ?', [
        A.id,
        Date.now() - 365 * DAY,
      ]),
    ).toBe(0);
    expect(await h.count('SELECT COUNT(*) FROM touches WHERE site_id = ?', [A.id])).toBeLessThan(
      touchesBefore,
    );
    // Once done, another pass finds nothing.
    expect((await h.store.privacy.purge(Date.now())).events).toBe(0);

    expect(await reports(A.id)).toEqual(before);
    expect(await Promise.all(['p1', 'p2', 'p3', 'p4'].map((p) => shown(A.id, p)))).toEqual(profilesBefore);
    await expectRollupsRecomputed();
  });

  it('a merge and a late event refold from the purged history: the same profile as with every event kept', async () => {
    for (const s of [A, B]) {
      // A second browser of p1, linked by the email: the profile is folded again from its events.
      await send(s.secretKey, [
        { type: 'page', messageId: 'p1b-1', anonymousId: 'p1b', timestamp: at(1) },
        {
          type: 'identify',
          messageId: 'p1b-2',
          anonymousId: 'p1b',
          timestamp: at(1, 1000),
          traits: { email: 'p1@people.example' },
        },
      ]);
    }
    await same('p1');
    const p1 = await shown(A.id, 'p1');
    expect(p1).toMatchObject({ eventCount: 9, stage: 'customer' });
    expect(p1.firstTouch).toMatchObject({ campaign: 'spring' });
    expect(p1.billing).toMatchObject({ revenue: { USD: 4900 } });

    // A late event between the kept ones: out of order, so folded again.
    for (const s of [A, B])
      await send(s.secretKey, [{ type: 'page', messageId: 'p1-late', anonymousId: 'p1', timestamp: at(7) }]);
    await same('p1');
    expect((await shown(A.id, 'p1')).eventCount).toBe(10);

    // Two profiles whose histories were both purged, merged by a server's statement.
    for (const s of [A, B])
      await send(s.secretKey, [
        {
          type: 'identify',
          messageId: 'p4-link',
          anonymousId: 'p4',
          timestamp: at(1),
          traits: { email: 'p2@people.example' },
        },
      ]);
    await same('p2');
    const p2 = await shown(A.id, 'p2');
    expect(p2).toMatchObject({ eventCount: 6, stage: 'customer' });
    expect(p2.firstTouch).toMatchObject({ campaign: 'winter' });
    expect(p2.billing).toMatchObject({ revenue: { EUR: 2000 } });

    expect(await reports(A.id)).toEqual(await reports(B.id));
    await expectRollupsRecomputed();
  });

  it('the refolder (a refold too big for the commit) starts from the purged history too', async () => {
    const was = process.env.TOUCHPOINT_REFOLD_INLINE_LIMIT;
    process.env.TOUCHPOINT_REFOLD_INLINE_LIMIT = '0';
    try {
      for (const s of [A, B])
        await send(s.secretKey, [
          { type: 'page', messageId: 'p1-late2', anonymousId: 'p1', timestamp: at(6) },
        ]);
      for (const s of [A, B]) {
        const id = await profileIdOf(s.id, 'p1');
        for (let i = 0; i < 200; i++) {
          const row = await h.db.execute({
            sql: 'SELECT recomputing FROM profiles WHERE id = ?',
            args: [id],
          });
          if (Number(row.rows[0].recomputing) === 0) break;
          await new Promise((r) => setTimeout(r, 25));
        }
      }
    } finally {
      if (was === undefined) delete process.env.TOUCHPOINT_REFOLD_INLINE_LIMIT;
      else process.env.TOUCHPOINT_REFOLD_INLINE_LIMIT = was;
    }
    await same('p1');
    expect((await shown(A.id, 'p1')).eventCount).toBe(11);
    await expectRollupsRecomputed();
  });

  it('does not store an event dated in the purged past (acknowledged, as it would be purged at once)', async () => {
    const results = await send(A.secretKey, [
      { type: 'page', anonymousId: 'p1', timestamp: at(366) },
      { type: 'page', anonymousId: 'p5', timestamp: at(400) },
      { type: 'page', anonymousId: 'p5', timestamp: at(364) },
    ]);
    expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
    const stored = await h.db.execute({
      sql: 'SELECT message_id FROM events WHERE site_id = ? AND message_id IN (?, ?, ?)',
      args: [A.id, ...results.map((r) => r.messageId)],
    });
    expect(stored.rows.map((r) => String(r.message_id))).toEqual([results[2].messageId]);
    expect((await shown(A.id, 'p1')).eventCount).toBe(11);
  });

  it('erasing a profile removes its purged history too', async () => {
    const id = await profileIdOf(A.id, 'p1');
    expect(await h.count('SELECT COUNT(*) FROM history_bases WHERE profile_id = ?', [id])).toBe(1);
    expect((await h.api(`/api/profiles/${id}/erase`, json('POST', {}))).status).toBe(200);
    expect(await h.count('SELECT COUNT(*) FROM history_bases WHERE profile_id = ?', [id])).toBe(0);
    expect(await h.count(`SELECT COUNT(*) FROM history_base_keys WHERE key IN ('a:p1', 'a:p1b')`)).toBe(0);
    await expectRollupsRecomputed();
  });
});
