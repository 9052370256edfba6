// Stored URLs keep no emails, secrets, card numbers or tokens: checked on the function and through /v1/batch,
// where the page URL, the referrer, the first touch's landing URL and a page view's properties are all cleaned
// before anything (the campaign) is read from them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minimiseUrl } from '../../collector/ingest/minimise.ts';
import { type Harness, harness } from './harness.ts';

describe('minimiseUrl', () => {
  it.each([
    ['https://shop.example/?utm_source=news&email=ada%40acme.com', 'https://shop.example/?utm_source=news'],
    ['https://shop.example/thanks?to=ada@acme.com&plan=pro', 'https://shop.example/thanks?plan=pro'],
    ['https://shop.example/u/ada@acme.com/orders', 'https://shop.example/u/redacted/orders'],
    ['https://shop.example/u/ada%40acme.com', 'https://shop.example/u/redacted'],
    ['https://shop.example/reset?token=abc&password=hunter2&x=1', 'https://shop.example/reset?x=1'],
    ['https://shop.example/pay?n=4242%204242%204242%204242', 'https://shop.example/pay'],
    ['https://shop.example/?sid=9f8e7d6c5b4a39281706f5e4d3c2b1a0ffee', 'https://shop.example/'],
    ['https://shop.example/?jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig', 'https://shop.example/'],
    ['https://user:pw@shop.example/x', 'https://shop.example/x'],
    ['/search?q=shoes&api_key=k1', '/search?q=shoes'],
  ])('%s', (input, output) => {
    expect(minimiseUrl(input)).toBe(output);
  });

  it('leaves other URLs byte for byte as they were', () => {
    for (const url of [
      'https://shop.example/pricing?utm_source=google&utm_campaign=spring&gclid=abc123',
      'https://shop.example/a%20b?q=red+shoes#top',
      '/docs',
      'not a url at all',
    ])
      expect(minimiseUrl(url)).toBe(url);
  });
});

describe('through /v1/batch', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('stores no email or secret from any URL of an event', async () => {
    const res = await h.post('/v1/batch', {
      writeKey: h.site.siteKey,
      batch: [
        {
          type: 'page',
          messageId: 'min-1',
          anonymousId: 'min',
          context: {
            page: {
              url: 'https://shop.example/welcome?utm_source=news&utm_content=ada@acme.com&email=ada@acme.com&token=t0k',
              referrer: 'https://mail.example/inbox?user=ada@acme.com',
            },
            firstTouch: {
              at: new Date().toISOString(),
              landingUrl: 'https://shop.example/?utm_source=news&e=ada@acme.com',
            },
          },
        },
      ],
    });
    expect(res.status).toBe(200);
    const body = String(
      (await h.db.execute("SELECT body FROM events WHERE message_id = 'min-1'")).rows[0].body,
    );
    expect(body).not.toContain('ada@acme.com');
    expect(body).not.toContain('ada%40acme.com');
    expect(body).not.toContain('t0k');
    const event = JSON.parse(body);
    expect(event.context.page.url).toBe('https://shop.example/welcome?utm_source=news');
    expect(event.context.campaign).toEqual({ source: 'news' });
    expect(event.properties.url).toBe('https://shop.example/welcome?utm_source=news');
    const touches = String((await h.db.execute('SELECT group_concat(touch) AS t FROM touches')).rows[0].t);
    expect(touches).not.toContain('ada');
  });
});
