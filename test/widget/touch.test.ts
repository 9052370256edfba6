import { beforeEach, describe, expect, test } from 'vitest';
import {
  campaign,
  firstTouch,
  forgetTouch,
  nav,
  pageContext,
  params,
  touch,
} from '../../widget/core/touch.ts';
import { cleanPage, fresh, stored } from './helpers.ts';

const AT = '2026-01-02T03:04:05.000Z';

describe('params', () => {
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
  ])('%s', (_name, url, want) => {
    expect(params(url)).toEqual(want);
  });
});

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
        source: 'google',
        medium: 'cpc',
        gclid: 'abc',
      },
    ],
    ['direct: no referrer', 'https://shop.test/', '', { at: AT, landingUrl: 'https://shop.test/' }],
    [
      'the site itself as referrer says nothing',
      'https://shop.test/b?ref=pal',
      'https://shop.test/a',
      { at: AT, landingUrl: 'https://shop.test/b?ref=pal', ref: 'pal' },
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
        fbclid: 'F1',
        source: 'facebook',
        medium: 'paid_social',
        campaign: 'c',
        content: 'v2',
        term: 't',
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
    expect(ft).toMatchObject({
      landingUrl: `${location.origin}/landing?utm_source=news&msclkid=M`,
      source: 'news',
    });
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
    expect(firstTouch().ref).toBe('one');
    forgetTouch();
    expect(localStorage.getItem('tp_ft')).toBeNull();
    history.replaceState(null, '', '/b?ref=two');
    expect(firstTouch().ref).toBe('two');
  });

  test('secrets in the landing URL are not recorded', async () => {
    history.replaceState(null, '', '/welcome?utm_source=mail&reset_token=abc');
    const { touch: t } = await fresh();
    expect(t.firstTouch()).toMatchObject({
      landingUrl: `${location.origin}/welcome?utm_source=mail`,
      source: 'mail',
    });
  });

  test('a corrupt stored value is replaced', async () => {
    localStorage.setItem('tp_ft', '{not json');
    const { touch: t } = await fresh();
    expect(t.firstTouch().at).toMatch(/^\d{4}-/);
    expect(stored('tp_ft').at).toBe(t.firstTouch().at);
  });
});

describe('page context and campaign', () => {
  beforeEach(cleanPage);

  test('context.page describes the current page', () => {
    history.replaceState(null, '', '/pricing?plan=pro');
    document.title = 'Pricing';
    nav.ref = 'https://news.test/';
    expect(pageContext()).toEqual({
      url: `${location.origin}/pricing?plan=pro`,
      path: '/pricing',
      referrer: 'https://news.test/',
      title: 'Pricing',
      search: '?plan=pro',
    });
  });

  test.each([
    ['/', {}],
    ['/?utm_campaign=spring&utm_source=x', { name: 'spring', source: 'x' }],
    ['/?gclid=G&ref=r', { gclid: 'G', ref: 'r' }],
  ])('campaign of %s', (path, want) => {
    history.replaceState(null, '', path);
    expect(campaign()).toEqual(want);
  });
});
