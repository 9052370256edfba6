// Bots through HTTP: page views from crawlers and headless browsers (as a page sends them: an Origin and the
// browser's user agent) add no visitor and no event, and are counted apart on the overview; a person's
// browser, and a server's library with the public key, are not bots; the secret key is never filtered.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, harness, ORIGIN } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const CRAWLERS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
  'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
  'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.1; +https://openai.com/gptbot)',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
];
const PERSON =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';

const view = (ua: string, id: string, extra: Record<string, string> = { Origin: ORIGIN }) =>
  h.post(
    '/v1/batch',
    { writeKey: h.site.siteKey, batch: [{ type: 'page', messageId: id, anonymousId: `anon-${id}` }] },
    { 'User-Agent': ua, ...extra },
  );

describe('bots', () => {
  it('add no visitor and no event, and are counted apart', async () => {
    for (const [i, ua] of CRAWLERS.entries()) {
      const res = await view(ua, `bot-${i}`);
      expect(res.status, ua).toBe(200);
      expect(res.body.bot, ua).toBe(true);
    }
    expect(await h.count('SELECT COUNT(*) FROM events')).toBe(0);
    expect(await h.count('SELECT COUNT(*) FROM profiles')).toBe(0);
    // A person's browser counts.
    expect((await view(PERSON, 'person')).body.bot).toBeUndefined();
    // A server's library with the public key (no Origin) is a server sending events, not a bot.
    expect((await view('node', 'server', {})).body.bot).toBeUndefined();
    expect(await h.count('SELECT COUNT(*) FROM events')).toBe(2);
    const overview = (await h.api(`/api/overview?site=${h.site.id}`)).body;
    expect(overview.funnel[0].count).toBe(2);
    expect(overview.bots).toEqual({ requests: CRAWLERS.length, events: CRAWLERS.length });
  });

  it('never filters the secret key', async () => {
    const res = await h.post(
      '/v1/batch',
      { writeKey: h.site.secretKey, batch: [{ type: 'page', messageId: 's-1', anonymousId: 'srv' }] },
      { 'User-Agent': CRAWLERS[0] },
    );
    expect(res.body.bot).toBeUndefined();
    expect(await h.count('SELECT COUNT(*) FROM events')).toBe(1);
  });
});
