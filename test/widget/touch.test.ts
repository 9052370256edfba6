import { beforeEach, describe, expect, test } from 'vitest';
import { firstTouch, forgetTouch, nav, pageContext, touch } from '../../widget/core/touch.ts';
import { cleanPage, fresh, stored } from './helpers.ts';

const AT = '2026-01-02T03:04:05.000Z';

describe('touch', () => {
  test.each([
    [
      'search ad with an external referrer',
      'https://shop.test/p?utm_source=google&utm_medium=cpc&gclid=abc',
      'https://www.google.com/',
      {
        at: AT,
        landingUrl: 'https://shop.test/p?utm_source=google&utm_medium=cpc&gclid=abc',
        referrer: 'https://www.google.com/',
      },
    ],
    ['direct: no referrer', 'https://shop.test/', '', { at: AT, landingUrl: 'https://shop.test/' }],
    [
      // the collector drops a referrer on the landing host (test/collector/enrich.test.ts)
      'the site itself as referrer is sent as it is',
      'https://shop.test/b?ref=pal',
      'https://shop.test/a',
      { at: AT, landingUrl: 'https://shop.test/b?ref=pal', referrer: 'https://shop.test/a' },
    ],
    [
      'a subdomain is another host',
      'https://shop.test/',
      'https://blog.shop.test/post',
      { at: AT, landingUrl: 'https://shop.test/', referrer: 'https://blog.shop.test/post' },
    ],
    [
      'facebook click',
      'https://shop.test/?fbclid=F1&utm_source=facebook&utm_medium=paid_social&utm_campaign=c&utm_content=v2&utm_term=t',
      'https://l.facebook.com/',
      {
        at: AT,
        landingUrl:
          'https://shop.test/?fbclid=F1&utm_source=facebook&utm_medium=paid_social&utm_campaign=c&utm_content=v2&utm_term=t',
        referrer: 'https://l.facebook.com/',
      },
    ],
  ])('%s', (_name, url, referrer, want) => {
    expect(touch(url, referrer, AT)).toEqual(want);
  });

  test('stamps the current time by default', () => {
    const t = touch('https://shop.test/', '');
    expect(Math.abs(Date.parse(t.at) - Date.now())).toBeLessThan(5000);
  });
});

describe('first touch', () => {
  beforeEach(cleanPage);

  test('is recorded once, from the landing page, and survives navigation', async () => {
    history.replaceState(null, '', '/landing?utm_source=news&msclkid=M');
    const { touch: t } = await fresh();
    const ft = t.firstTouch();
    // the URL as it was: the collector reads utm_*, click ids and ref from it
    expect(ft).toEqual({ at: ft.at, landingUrl: `${location.origin}/landing?utm_source=news&msclkid=M` });
    expect(stored('tp_ft')).toEqual(ft);

    history.replaceState(null, '', '/other?utm_source=later');
    expect(t.firstTouch()).toEqual(ft);
    // a new page load reads it back instead of recording the new URL
    const again = await fresh();
    expect(again.touch.firstTouch()).toEqual(ft);
  });

  test('forgetTouch clears it; the next visitor gets a new one', () => {
    forgetTouch();
    history.replaceState(null, '', '/a?ref=one');
    expect(firstTouch().landingUrl).toBe(`${location.origin}/a?ref=one`);
    forgetTouch();
    expect(localStorage.getItem('tp_ft')).toBeNull();
    history.replaceState(null, '', '/b?ref=two');
    expect(firstTouch().landingUrl).toBe(`${location.origin}/b?ref=two`);
  });

  test('secrets in the landing URL are not recorded', async () => {
    history.replaceState(null, '', '/welcome?utm_source=mail&reset_token=abc');
    const { touch: t } = await fresh();
    expect(t.firstTouch().landingUrl).toBe(`${location.origin}/welcome?utm_source=mail`);
  });

  test('a corrupt stored value is replaced', async () => {
    localStorage.setItem('tp_ft', '{not json');
    const { touch: t } = await fresh();
    expect(t.firstTouch().at).toMatch(/^\d{4}-/);
    expect(stored('tp_ft').at).toBe(t.firstTouch().at);
  });
});

describe('page context', () => {
  beforeEach(cleanPage);

  test('context.page describes the current page (the collector adds path and search from the URL)', () => {
    history.replaceState(null, '', '/pricing?plan=pro&password=hunter2');
    document.title = 'Pricing';
    nav.ref = 'https://news.test/?token=abc';
    expect(pageContext()).toEqual({
      url: `${location.origin}/pricing?plan=pro`,
      referrer: 'https://news.test/',
      title: 'Pricing',
    });
  });
});
