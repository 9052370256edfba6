// The collector fills in what tp.js leaves out (it sends URLs, not what can be parsed from them): unit tables for
// the parsing, then the whole path through POST /v1/batch to the stored event and the profile's first touch.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { enrich, firstLanguage, urlParams } from '../../collector/ingest/enrich.ts';
import { type Harness, harness, ORIGIN } from './harness.ts';

describe('urlParams', () => {
  test.each([
    ['no query', 'https://shop.test/', {}],
    [
      'all utm_*',
      'https://shop.test/?utm_source=google&utm_medium=cpc&utm_campaign=spring&utm_term=shoes&utm_content=ad1',
      { source: 'google', medium: 'cpc', campaign: 'spring', term: 'shoes', content: 'ad1' },
    ],
    [
      'every click id and ref',
      'https://shop.test/?gclid=g&gbraid=gb&wbraid=wb&fbclid=f&msclkid=m&ttclid=t&li_fat_id=l&ref=friend42',
      {
        gclid: 'g',
        gbraid: 'gb',
        wbraid: 'wb',
        fbclid: 'f',
        msclkid: 'm',
        ttclid: 't',
        li_fat_id: 'l',
        ref: 'friend42',
      },
    ],
    ['empty values are left out', 'https://shop.test/?utm_source=&gclid=&ref=x', { ref: 'x' }],
    ['unprefixed source is not utm', 'https://shop.test/?source=x&campaign=y', {}],
    ['decoded', 'https://shop.test/?utm_campaign=black%20friday', { campaign: 'black friday' }],
    ['a hash is not a query', 'https://shop.test/#?utm_source=x', {}],
    ['not a URL', 'nonsense', {}],
    ['not a string', 42, {}],
  ])('%s', (_name, url, want) => {
    expect(urlParams(url)).toEqual(want);
  });
});

test.each([
  ['en-GB,en;q=0.9', 'en-GB'],
  ['de', 'de'],
  [' fr-CA ; q=1', 'fr-CA'],
  ['*', undefined],
  ['', undefined],
  [undefined, undefined],
])('firstLanguage(%j) is %j', (header, want) => {
  expect(firstLanguage(header)).toBe(want);
});

describe('enrich', () => {
  const landing = 'https://shop.test/p?utm_source=news&utm_medium=email&utm_campaign=spring&gclid=G&x=1';

  test('a tp.js page view gets Segment’s whole shape', () => {
    const e = {
      type: 'page',
      properties: { variant: 'b' },
      context: {
        page: { url: landing, referrer: 'https://mail.test/', title: 'P' },
        firstTouch: { at: '2026-01-01T00:00:00.000Z', landingUrl: landing },
      },
    };
    expect(enrich(e, { userAgent: 'UA/1', acceptLanguage: 'nb-NO,nb;q=0.9' })).toEqual({
      type: 'page',
      properties: {
        url: landing,
        path: '/p',
        search: '?utm_source=news&utm_medium=email&utm_campaign=spring&gclid=G&x=1',
        referrer: 'https://mail.test/',
        title: 'P',
        variant: 'b',
      },
      context: {
        page: {
          url: landing,
          path: '/p',
          search: '?utm_source=news&utm_medium=email&utm_campaign=spring&gclid=G&x=1',
          referrer: 'https://mail.test/',
          title: 'P',
        },
        campaign: { name: 'spring', source: 'news', medium: 'email', gclid: 'G' },
        firstTouch: {
          at: '2026-01-01T00:00:00.000Z',
          landingUrl: landing,
          source: 'news',
          medium: 'email',
          campaign: 'spring',
          gclid: 'G',
        },
        userAgent: 'UA/1',
        locale: 'nb-NO',
      },
    });
  });

  test('what the sender did send is kept: its campaign, first-touch fields, path, page properties', () => {
    const e = {
      type: 'page',
      properties: { url: 'https://given/' },
      context: {
        page: { url: landing, path: '/given' },
        campaign: { name: 'theirs' },
        firstTouch: { at: '2026-01-01T00:00:00.000Z', landingUrl: landing, source: 'theirs' },
        userAgent: 'Their UA',
        locale: 'sv',
      },
    };
    const out = enrich(e, { userAgent: 'Header UA', acceptLanguage: 'en' }) as any;
    expect(out.context.campaign).toEqual({ name: 'theirs' });
    expect(out.context.firstTouch.source).toBe('theirs');
    expect(out.context.firstTouch.medium).toBe('email');
    expect(out.context.page.path).toBe('/given');
    expect(out.properties.url).toBe('https://given/');
    expect([out.context.userAgent, out.context.locale]).toEqual(['Their UA', 'sv']);
  });

  test('no campaign parameters: no campaign; a track event gets no page properties', () => {
    const out = enrich({
      type: 'track',
      properties: { a: 1 },
      context: { page: { url: 'https://s.test/' } },
    }) as any;
    expect(out.context.campaign).toBeUndefined();
    expect(out.properties).toEqual({ a: 1 });
  });

  test.each([
    [
      'the site itself as referrer says nothing',
      'https://shop.test/b?ref=pal',
      'https://shop.test/a',
      undefined,
    ],
    ['the host is compared without case', 'https://Shop.test/', 'https://shop.TEST/x', undefined],
    [
      'another port is another host',
      'https://shop.test/',
      'https://shop.test:8443/',
      'https://shop.test:8443/',
    ],
    [
      'a subdomain is another host',
      'https://shop.test/',
      'https://blog.shop.test/post',
      'https://blog.shop.test/post',
    ],
    [
      'an external referrer stays',
      'https://shop.test/?gclid=1',
      'https://www.google.com/',
      'https://www.google.com/',
    ],
  ])('first touch: %s', (_name, landingUrl, referrer, want) => {
    const out = enrich({
      type: 'page',
      context: { firstTouch: { at: '2026-01-01T00:00:00.000Z', landingUrl, referrer } },
    }) as any;
    expect(out.context.firstTouch.referrer).toBe(want);
    expect(out.context.firstTouch.landingUrl).toBe(landingUrl);
  });

  test('a server event without context stays without one', () => {
    expect(enrich({ type: 'track', event: 'Paid' })).toEqual({ type: 'track', event: 'Paid' });
  });

  test('left for validation to report: a context, page or properties of the wrong type', () => {
    expect(enrich({ type: 'page', context: 'nope' })).toEqual({ type: 'page', context: 'nope' });
    expect((enrich({ type: 'page', context: { page: 7 } }) as any).context.page).toBe(7);
    expect((enrich({ type: 'page', context: { page: { url: 7 } } }) as any).context.page).toEqual({ url: 7 });
    const arr = enrich({ type: 'page', properties: [1], context: { page: { url: landing } } }) as any;
    expect(arr.properties).toEqual([1]);
  });

  test('a very long User-Agent header is cut to the text limit, not refused', () => {
    const out = enrich({ type: 'track', context: {} }, { userAgent: 'x'.repeat(10_000) }) as any;
    expect(out.context.userAgent).toHaveLength(2048);
  });
});

describe('through POST /v1/batch', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    await h.close();
  });
  const stored = async (id: string) =>
    JSON.parse(
      String(
        (await h.db.execute({ sql: 'SELECT body FROM events WHERE message_id = ?', args: [id] })).rows[0]
          .body,
      ),
    );

  const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
  test('a browser’s page view is stored whole, and the profile’s first touch comes from its landing URL', async () => {
    const url = `${ORIGIN}/?utm_source=newsletter&utm_campaign=spring`;
    const event = {
      type: 'page',
      messageId: '1-2-3-4',
      anonymousId: 'anon-enrich',
      originalTimestamp: new Date().toISOString(),
      properties: {},
      context: {
        page: { url, referrer: '', title: 'Home' },
        firstTouch: { at: new Date().toISOString(), landingUrl: url },
      },
    };
    const res = await h.post(
      '/v1/batch',
      { writeKey: h.site.siteKey, batch: [event] },
      // A real browser's user agent: a made-up one reads as a bot, whose events are kept apart (bots.test.ts).
      { Origin: ORIGIN, 'User-Agent': FIREFOX, 'Accept-Language': 'en-GB,en;q=0.8' },
    );
    expect(res.body.results[0].status).toBe('accepted');
    const body = await stored('1-2-3-4');
    expect(body.context).toMatchObject({
      page: { url, path: '/', search: '?utm_source=newsletter&utm_campaign=spring' },
      campaign: { name: 'spring', source: 'newsletter' },
      firstTouch: { landingUrl: url, source: 'newsletter', campaign: 'spring' },
      userAgent: FIREFOX,
      locale: 'en-GB',
    });
    expect(body.properties).toMatchObject({ url, path: '/', title: 'Home' });
    const list = await h.api('/api/profiles');
    expect(list.body.profiles[0].firstTouch).toMatchObject({ source: 'newsletter', campaign: 'spring' });
  });

  test('a server request (no Origin) describes no visitor: its own User-Agent is not taken', async () => {
    const res = await h.post(
      '/v1/track',
      { writeKey: h.site.secretKey, type: 'track', event: 'Invoice Sent', userId: 'u-1', messageId: 'srv-1' },
      { 'User-Agent': 'analytics-node/2', 'Accept-Language': 'en' },
    );
    expect(res.status).toBe(200);
    const body = await stored('srv-1');
    expect(body.context).toBeUndefined();
  });
});
