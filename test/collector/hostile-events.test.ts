// Hostile events through HTTP: poisoned times, and ids with U+0000 or lone surrogates. Each bad event is
// rejected by index with the field named, the good events of its batch are stored, and nothing answers 5xx.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, harness, pageEvent } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const stored = (messageId: string) =>
  h.count('SELECT COUNT(*) FROM events WHERE message_id = ?', [messageId]);
const batch = (events: unknown[], key = h.site.siteKey) =>
  h.post('/v1/batch', { writeKey: key, batch: events });

/** The dashboard reads every order of the profile list, and the profile page of each profile, without a 5xx. */
async function dashboardReads() {
  for (const sort of ['email', 'firstSeen', 'lastSeen', 'eventCount'])
    for (const order of ['asc', 'desc']) {
      const res = await h.api(`/api/profiles?sort=${sort}&order=${order}`);
      expect(res.status, `sort=${sort}&order=${order}`).toBe(200);
    }
  const { profiles } = (await h.api('/api/profiles?limit=500')).body;
  for (const p of profiles) expect((await h.api(`/api/profiles/${p.id}`)).status).toBe(200);
  expect((await h.api('/api/overview')).status).toBe(200);
  expect((await h.api('/api/attribution')).status).toBe(200);
}

describe('poisoned time', () => {
  it('rejects the extreme dates of a Date by field, keeps the good event, and the dashboard still answers', async () => {
    const poisoned = pageEvent({
      anonymousId: 'poison',
      originalTimestamp: '-271821-04-20T00:00:00.000Z',
      sentAt: '+275760-09-13T00:00:00.000Z',
    });
    const good = pageEvent({ anonymousId: 'good', traits: { email: 'good@example.com' } });
    const res = await batch([poisoned, good]);
    expect(res.status).toBe(200);
    expect(res.body.results[0]).toMatchObject({ index: 0, status: 'rejected', field: 'originalTimestamp' });
    expect(res.body.results[0].error).toMatch(/^originalTimestamp: /);
    expect(res.body.results[1]).toMatchObject({ index: 1, status: 'accepted' });
    expect(await stored(good.messageId)).toBe(1);
    expect(await stored(poisoned.messageId)).toBe(0);
    await dashboardReads();
  });

  const now = Date.now();
  it.each([
    ['timestamp before 2000', { timestamp: '1999-12-31T23:59:59.999Z' }, 'timestamp', 'before 2000-01-01'],
    ['timestamp two days ahead', { timestamp: iso(now + 2 * DAY) }, 'timestamp', 'more than a day after'],
    [
      'originalTimestamp before 2000',
      { originalTimestamp: '1970-01-01T00:00:00Z' },
      'originalTimestamp',
      'before 2000-01-01',
    ],
    [
      'originalTimestamp two days ahead',
      { originalTimestamp: iso(now + 2 * DAY) },
      'originalTimestamp',
      'more than a day after',
    ],
    [
      'a gap to sentAt that dates it before 2000',
      { originalTimestamp: '1990-01-01T00:00:00Z', sentAt: iso(now) },
      'originalTimestamp',
      'corrected by sentAt',
    ],
    [
      'a sentAt two days before originalTimestamp',
      { originalTimestamp: iso(now), sentAt: iso(now - 2 * DAY) },
      'originalTimestamp',
      'more than a day after',
    ],
    ['an unparsable timestamp', { timestamp: 'soon' }, 'timestamp', 'ISO 8601'],
    ['an unparsable sentAt', { sentAt: 'Tuesday-ish' }, 'sentAt', 'ISO 8601'],
    ['a year past 9999', { originalTimestamp: '+010000-01-01T00:00:00Z' }, 'originalTimestamp', 'years'],
    ['a negative year', { sentAt: '-000001-01-01T00:00:00Z' }, 'sentAt', 'years'],
    ['the latest Date', { timestamp: '+275760-09-13T00:00:00.000Z' }, 'timestamp', 'years'],
    ['a timestamp that is not a string', { timestamp: 1_700_000_000_000 }, 'timestamp', 'timestamp'],
  ])('rejects %s, naming the field', async (_name, over, field, reason) => {
    const bad = pageEvent(over);
    const good = pageEvent();
    const res = await batch([good, bad]);
    expect(res.status).toBe(200);
    expect(res.body.results[0].status).toBe('accepted');
    expect(res.body.results[1]).toMatchObject({ index: 1, status: 'rejected', field });
    expect(res.body.results[1].error).toContain(`${field}: `);
    expect(res.body.results[1].error).toContain(reason);
    expect(await stored(bad.messageId)).toBe(0);
    expect(await stored(good.messageId)).toBe(1);
  });

  it('keeps what skew correction fixes: a clock years off, a time within a day ahead (cut to now)', async () => {
    const before = Date.now();
    const offClock = pageEvent({
      originalTimestamp: '1980-01-01T00:00:00.000Z',
      sentAt: '1980-01-01T00:00:05.000Z',
    });
    const ahead = pageEvent({ timestamp: iso(before + 3_600_000) });
    const old = pageEvent({ timestamp: '2000-01-01T00:00:00.000Z' });
    const res = await batch([offClock, ahead, old]);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual([
      'accepted',
      'accepted',
      'accepted',
    ]);
    const ts = async (id: string) =>
      Number(
        (await h.db.execute({ sql: 'SELECT ts FROM events WHERE message_id = ?', args: [id] })).rows[0].ts,
      );
    expect(before - (await ts(offClock.messageId))).toBeGreaterThanOrEqual(4990);
    expect(await ts(ahead.messageId)).toBeLessThanOrEqual(Date.now());
    expect(await ts(old.messageId)).toBe(Date.UTC(2000, 0, 1));
  });

  it('refuses a poisoned time on a single-event verb with 400 naming the field', async () => {
    const res = await h.post('/v1/track', {
      writeKey: h.site.siteKey,
      ...pageEvent({ type: undefined, event: 'Clicked', timestamp: '-271821-04-20T00:00:00.000Z' }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_event', field: 'timestamp' });
    expect(await h.count('SELECT COUNT(*) FROM events')).toBe(0);
  });

  it('refuses a poisoned batch sentAt whole, naming it', async () => {
    const res = await h.post('/v1/batch', {
      writeKey: h.site.siteKey,
      sentAt: '+275760-09-13T00:00:00.000Z',
      batch: [pageEvent()],
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_batch', field: 'sentAt' });
  });
});

describe('ids and names with U+0000 or a lone surrogate', () => {
  const NUL = 'a\u0000b';
  const HIGH = 'a\ud800b';
  const LOW = 'a\udc00b';

  it.each([
    ['U+0000', NUL],
    ['a lone high surrogate', HIGH],
    ['a lone low surrogate', LOW],
  ])('rejects a user id with %s by index and keeps its batch, on every retry', async (_name, userId) => {
    const bad = pageEvent({ type: 'identify', userId, traits: { email: 'bad@example.com' } });
    const good = [pageEvent({ anonymousId: 'g1' }), pageEvent({ anonymousId: 'g2' })];
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await batch([good[0], bad, good[1]]);
      expect(res.status).toBe(200);
      expect(res.body.results[1]).toMatchObject({ index: 1, status: 'rejected', field: 'userId' });
      expect(res.body.results[1].error).toBe('userId: must not contain U+0000 or a lone surrogate');
      expect(res.body.results[0].status).toBe(attempt === 0 ? 'accepted' : 'duplicate');
      expect(res.body.results[2].status).toBe(attempt === 0 ? 'accepted' : 'duplicate');
    }
    expect(await h.count('SELECT COUNT(*) FROM events')).toBe(2);
    await dashboardReads();
  });

  it('keeps two messageIds that differ only in lone surrogates apart: both rejected, none a duplicate', async () => {
    const a = pageEvent({ messageId: 'm-\ud800' });
    const b = pageEvent({ messageId: 'm-\udc00' });
    const res = await batch([a, b, pageEvent()]);
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual([
      'rejected',
      'rejected',
      'accepted',
    ]);
    expect(res.body.results[0]).toMatchObject({ field: 'messageId', messageId: 'm-\ud800' });
    expect(res.body.results[1]).toMatchObject({ field: 'messageId', messageId: 'm-\udc00' });
    expect(await h.count('SELECT COUNT(*) FROM events')).toBe(1);
  });

  it('stores messageIds that differ only in a whole emoji as two events', async () => {
    const res = await batch([pageEvent({ messageId: 'm-😀' }), pageEvent({ messageId: 'm-😁' })]);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'accepted']);
    expect(await stored('m-😀')).toBe(1);
    expect(await stored('m-😁')).toBe(1);
  });

  it.each([
    ['messageId', {}, { messageId: NUL }],
    ['anonymousId', {}, { anonymousId: HIGH }],
    ['userId', {}, { userId: LOW }],
    ['previousId', { type: 'alias', userId: 'u1' }, { previousId: NUL }],
    ['groupId', { type: 'group' }, { groupId: HIGH }],
    ['event', { type: 'track' }, { event: `Signed Up${NUL}` }],
    ['name', {}, { name: `Home${LOW}` }],
    ['traits.email', { type: 'identify' }, { traits: { email: `${HIGH}@example.com` } }],
    ['context.traits.email', {}, { context: { traits: { email: `${NUL}@example.com` } } }],
    ['traits.stripeCustomerId', { type: 'identify', userId: 'u2' }, { traits: { stripeCustomerId: HIGH } }],
    [
      'properties.fields.email',
      { type: 'track', event: 'Form Submitted' },
      { properties: { formId: 'f', fields: { email: `${LOW}@example.com` } } },
    ],
  ])('rejects a bad %s, naming it', async (field, base, over) => {
    const bad = pageEvent({ ...base, ...over });
    const res = await batch([bad, pageEvent()]);
    expect(res.status).toBe(200);
    expect(res.body.results[0]).toMatchObject({ status: 'rejected', field });
    expect(res.body.results[0].error).toContain(`${field}: must not contain U+0000 or a lone surrogate`);
    expect(res.body.results[1].status).toBe('accepted');
  });

  it('rejects a billing customer id with U+0000 sent with the secret key, on every retry', async () => {
    const bad = pageEvent({
      type: 'track',
      event: 'Payment Succeeded',
      userId: 'buyer',
      properties: { amount: 10, currency: 'USD', payment_id: 'pay_1', customer_id: `cus${NUL}` },
    });
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await batch([bad, pageEvent({ anonymousId: 'g' })], h.site.secretKey);
      expect(res.status).toBe(200);
      expect(res.body.results[0]).toMatchObject({ status: 'rejected', field: 'properties.customer_id' });
    }
  });

  it('keeps free text that holds a cut emoji, as a page title cut at a length limit does', async () => {
    const title = `${'t'.repeat(10)}\ud83d`;
    const res = await batch([pageEvent({ context: { page: { url: 'https://shop.example/', title } } })]);
    expect(res.body.results[0].status).toBe('accepted');
  });

  it('refuses the single-event verbs with 400 naming the field', async () => {
    const res = await h.post('/v1/identify', {
      writeKey: h.site.siteKey,
      ...pageEvent({ type: undefined, userId: HIGH }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_event', field: 'userId' });
  });
});

describe('chat and search with U+0000 or a lone surrogate', () => {
  const say = (post: Record<string, unknown>) =>
    h.post('/v1/chat/messages', {
      key: h.site.siteKey,
      anonymousId: 'v1',
      clientId: 'c1',
      text: 'hi',
      // the conversation's token, which the widget makes and keeps
      token: 'the-visitors-own-token',
      ...post,
    });

  it.each([
    ['anonymousId', { anonymousId: 'v\u0000' }],
    ['clientId', { clientId: 'c\ud800' }],
    ['userId', { userId: 'u\udc00' }],
    ['email', { email: 'a\u0000@example.com' }],
  ])('refuses a chat message whose %s has one, naming it, and stores nothing', async (field, over) => {
    const res = await say(over);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_message', field });
    expect(await h.count('SELECT COUNT(*) FROM chat_messages')).toBe(0);
  });

  it('keeps a chat message with an odd address in its text, without taking the address as an identifier', async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await say({
        clientId: `c${attempt}`,
        text: `reach me at a\u0000b@example.com or x\ud800@example.com`,
      });
      expect(res.status).toBe(201);
      expect(res.body.message.text).toContain('example.com');
    }
    expect(await h.count("SELECT COUNT(*) FROM identities WHERE key LIKE 'e:%'")).toBe(0);
    await dashboardReads();
  });

  it('refuses a profile search for U+0000 with 400 naming q', async () => {
    const res = await h.api('/api/profiles?q=a%00b');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_query', field: 'q' });
  });
});
