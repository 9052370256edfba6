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

const events = () => h.count('SELECT COUNT(*) FROM events');

describe('POST /v1/batch', () => {
  it('stores a batch sent as text/plain and answers a result per event', async () => {
    const batch = [
      pageEvent(),
      pageEvent({ type: 'track', event: 'Signed Up', properties: { plan: 'pro' } }),
    ];
    const res = await h.post('/v1/batch', { writeKey: h.site.siteKey, batch });
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([
      { index: 0, messageId: batch[0].messageId, status: 'accepted' },
      { index: 1, messageId: batch[1].messageId, status: 'accepted' },
    ]);
    expect(await events()).toBe(2);
  });

  it('takes the site key as the Basic-auth user name', async () => {
    const res = await h.post(
      '/v1/batch',
      { batch: [pageEvent()] },
      { Authorization: `Basic ${btoa(`${h.site.siteKey}:`)}` },
    );
    expect(res.status).toBe(200);
    expect(await events()).toBe(1);
  });

  it('is idempotent by messageId: a retry is reported as duplicate and stored once', async () => {
    const e = pageEvent();
    await h.post('/v1/batch', { writeKey: h.site.siteKey, batch: [e] });
    const again = await h.post('/v1/batch', { writeKey: h.site.siteKey, batch: [e, e] });
    expect(again.body.results.map((r: { status: string }) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect(await events()).toBe(1);
  });

  it('reports concurrent copies of one event, stored once', async () => {
    const e = pageEvent();
    const replies = await Promise.all(
      [1, 2, 3].map(() => h.post('/v1/batch', { writeKey: h.site.siteKey, batch: [e] })),
    );
    const statuses = replies.map((r) => r.body.results[0].status).sort();
    expect(statuses).toEqual(['accepted', 'duplicate', 'duplicate']);
    expect(await events()).toBe(1);
  });

  it.each([
    ['no anonymousId nor userId', { anonymousId: undefined }, 'anonymousId or userId is required'],
    ['a wrong type', { properties: 'nope' }, 'properties'],
    ['an unknown event type', { type: 'explode' }, 'type must be one of'],
    ['a track without event', { type: 'track' }, 'event is required for track'],
    ['a bad timestamp', { originalTimestamp: 'yesterday' }, 'originalTimestamp'],
    ['an event over 32 KB', { properties: { blob: 'x'.repeat(LIMITS.eventBytes) } }, 'larger than'],
  ])('keeps the valid events and rejects, by index, %s', async (_name, over, reason) => {
    const good = pageEvent();
    const bad = pageEvent(over as Record<string, unknown>);
    const res = await h.post('/v1/batch', { writeKey: h.site.siteKey, batch: [good, bad, pageEvent()] });
    expect(res.status).toBe(200);
    expect(res.body.results[0].status).toBe('accepted');
    expect(res.body.results[1]).toMatchObject({ index: 1, status: 'rejected' });
    expect(res.body.results[1].error).toContain(reason);
    expect(res.body.results[2].status).toBe('accepted');
    expect(await events()).toBe(2);
  });

  it('answers 400 with the results when every event is rejected', async () => {
    const res = await h.post('/v1/batch', {
      writeKey: h.site.siteKey,
      batch: [pageEvent({ anonymousId: null })],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_events');
    expect(res.body.results[0].status).toBe('rejected');
    expect(await events()).toBe(0);
  });

  it.each([
    ['malformed JSON', '{"writeKey": "x", "batch": [', {}, 400, 'malformed_json'],
    ['a JSON array', '[]', {}, 400, 'invalid_body'],
    ['no key', JSON.stringify({ batch: [pageEvent()] }), {}, 401, 'missing_key'],
    ['an unknown key', JSON.stringify({ writeKey: 'pk_nope', batch: [pageEvent()] }), {}, 401, 'unknown_key'],
    ['batch not an array', null, {}, 400, 'invalid_batch'],
    ['a disallowed origin', null, { Origin: 'https://evil.example' }, 403, 'origin_not_allowed'],
  ])('refuses %s whole and stores nothing', async (_name, raw, headers, status, code) => {
    const body =
      raw ?? JSON.stringify({ writeKey: h.site.siteKey, batch: _name.includes('array') ? 5 : [pageEvent()] });
    const res = await h.post('/v1/batch', body, headers as Record<string, string>);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(typeof res.body.error.message).toBe('string');
    expect(await events()).toBe(0);
  });

  it('refuses a body over 500 KB with 413 and stores nothing', async () => {
    const batch = Array.from({ length: 40 }, () => pageEvent({ properties: { blob: 'y'.repeat(15_000) } }));
    const res = await h.post('/v1/batch', { writeKey: h.site.siteKey, batch });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('too_large');
    expect(await events()).toBe(0);
  });

  it('accepts an allowed origin and answers CORS preflights for it only', async () => {
    const ok = await h.post(
      '/v1/batch',
      { writeKey: h.site.siteKey, batch: [pageEvent()] },
      { Origin: ORIGIN },
    );
    expect(ok.status).toBe(200);
    const pre = await h.app.request('/v1/batch', {
      method: 'OPTIONS',
      headers: {
        Origin: ORIGIN,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const evil = await h.app.request('/v1/batch', {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses the secret key from a browser origin but takes it from a server', async () => {
    const fromPage = await h.post(
      '/v1/batch',
      { writeKey: h.site.secretKey, batch: [pageEvent()] },
      { Origin: ORIGIN },
    );
    expect(fromPage.status).toBe(403);
    const fromServer = await h.post(
      '/v1/batch',
      { batch: [pageEvent()] },
      { Authorization: `Basic ${btoa(`${h.site.secretKey}:`)}` },
    );
    expect(fromServer.status).toBe(200);
    expect(await events()).toBe(1);
  });

  it('stores receivedAt and a timestamp corrected for the sender clock skew', async () => {
    // The sender's clock is one hour fast; it made the event 5 s before sending it.
    const skew = 3_600_000;
    const sentAt = new Date(Date.now() + skew);
    const made = new Date(sentAt.getTime() - 5000);
    const before = Date.now();
    await h.post('/v1/batch', {
      writeKey: h.site.siteKey,
      sentAt: sentAt.toISOString(),
      batch: [pageEvent({ originalTimestamp: made.toISOString() })],
    });
    const row = (await h.db.execute('SELECT ts, received_at FROM events')).rows[0];
    expect(Number(row.received_at)).toBeGreaterThanOrEqual(before);
    expect(Number(row.received_at) - Number(row.ts)).toBeGreaterThanOrEqual(4990);
    expect(Number(row.received_at) - Number(row.ts)).toBeLessThan(6000);
  });
});

describe('single-event verbs', () => {
  it.each(['page', 'track', 'identify', 'alias'])('POST /v1/%s stores one event', async (type) => {
    const body = {
      writeKey: h.site.siteKey,
      ...pageEvent({ type: undefined }),
      event: 'Clicked',
      previousId: 'old-anon',
    };
    const res = await h.post(`/v1/${type}`, body);
    expect(res.status).toBe(200);
    expect(res.body.results[0].status).toBe('accepted');
    expect(await h.count('SELECT COUNT(*) FROM events WHERE type = ?', [type])).toBe(1);
  });

  it('refuses an invalid single event whole with the field named', async () => {
    const res = await h.post('/v1/track', {
      writeKey: h.site.siteKey,
      ...pageEvent({ type: undefined }),
      event: 42,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('event');
    expect(await events()).toBe(0);
  });
});
