// tp.js as a page runs it: one script tag, one start, then the page's clicks, forms, navigation and API calls.
import { afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import type { Touchpoint } from '../../widget/core/touchpoint.d.ts';
import { boot, cleanPage, cookieValue, embed, mockCollector, stored } from './helpers.ts';

let tp: Touchpoint;
let c: ReturnType<typeof mockCollector>;
let down = false; // the collector answers 503
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

/** Events as JSON without their random ids, whose digits may happen to spell a secret searched for ("4111"). */
const sentText = (events: unknown) =>
  JSON.stringify(events, (k, v) => (k === 'messageId' || k === 'anonymousId' ? undefined : v));

/** What was sent since the last call, after a flush. */
async function sent() {
  await tick();
  await tp.flush();
  const events = c.events();
  c.sent.length = 0;
  return events;
}

beforeAll(async () => {
  cleanPage();
  history.replaceState(
    null,
    '',
    '/landing?utm_source=newsletter&utm_medium=email&utm_campaign=launch&gclid=G1',
  );
  document.title = 'Landing';
  c = mockCollector((b) =>
    down
      ? [503]
      : [
          200,
          { results: b.batch.map((e, index) => ({ index, messageId: e.messageId, status: 'accepted' })) },
        ],
  );
  embed();
  tp = await boot();
});
beforeEach(() => {
  document.body.innerHTML = '';
});

describe('on load', () => {
  test('one page view with its page and the first touch: URLs, not what the collector parses from them', async () => {
    await tp.flush();
    // the collector is the origin tp.js came from; the site key is the writeKey
    expect(c.sent.map((s) => [s.url, s.body.writeKey])).toEqual([
      ['https://collector.test/v1/batch', 'site_key'],
    ]);
    const [e, ...rest] = await sent();
    expect(rest).toEqual([]);
    const landing = `${location.origin}/landing?utm_source=newsletter&utm_medium=email&utm_campaign=launch&gclid=G1`;
    // campaign, path, search, page properties, userAgent and locale are filled in by the collector (enrich.ts)
    expect(e).toEqual({
      type: 'page',
      messageId: e.messageId,
      anonymousId: cookieValue('tp_aid'),
      properties: {},
      context: {
        page: { url: landing, title: 'Landing', referrer: '' },
        firstTouch: { at: e.context.firstTouch.at, landingUrl: landing },
      },
      originalTimestamp: e.originalTimestamp,
    });
    expect(e.messageId).toMatch(/^\d+(-\d+){3}$/);
    expect(Math.abs(Date.parse(e.originalTimestamp) - Date.now())).toBeLessThan(10_000);
    expect(stored('tp_ft')).toEqual(e.context.firstTouch);
    expect(localStorage.getItem('tp_aid')).toBe(e.anonymousId);
  });

  test('window.touchpoint is the API', () => {
    const verbs = [
      'page',
      'track',
      'identify',
      'alias',
      'reset',
      'consent',
      'flush',
      'form',
      'chat',
    ] as const;
    for (const verb of verbs) expect(typeof tp[verb]).toBe('function');
    expect(window.touchpoint).toBe(tp);
  });
});

describe('single-page navigation', () => {
  test('pushState, replaceState and back/forward each send one page view; the same URL does not', async () => {
    history.pushState({ a: 1 }, '', '/docs');
    expect(history.state).toEqual({ a: 1 }); // the patched methods still work
    expect(location.pathname).toBe('/docs');
    await tick();
    document.title = 'Docs';
    history.replaceState(null, '', '/docs'); // same URL
    history.pushState(null, '', '/docs#install'); // an anchor on the same page
    history.replaceState(null, '', '/pricing');
    await tick();
    history.pushState(null, '', '/pricing');
    const events = await sent();
    expect(events.map((e) => [e.type, e.context.page.url])).toEqual([
      ['page', `${location.origin}/docs`],
      ['page', `${location.origin}/pricing`],
    ]);
    // after an in-app navigation the referrer is the previous page view's URL
    expect(events[1].context.page.referrer).toBe(`${location.origin}/docs`);
    // every page view carries the first touch, which never changes
    expect(events[1].context.firstTouch.landingUrl).toContain('/landing?utm_source=newsletter');
  });

  test('hash routes count as pages', async () => {
    history.pushState(null, '', '/app#/inbox');
    await tick();
    history.pushState(null, '', '/app#/settings');
    await tick();
    expect((await sent()).map((e) => e.context.page.url.replace(location.origin, ''))).toEqual([
      '/app#/inbox',
      '/app#/settings',
    ]);
  });

  test('popstate sends a page view', async () => {
    history.replaceState(null, '', '/back-here');
    await tick();
    await sent();
    history.replaceState(null, '', '/elsewhere'); // as if the browser went back
    window.dispatchEvent(new PopStateEvent('popstate'));
    await tick();
    history.replaceState(null, '', '/elsewhere');
    expect((await sent()).map((e) => e.context.page.url)).toEqual([`${location.origin}/elsewhere`]);
  });

  test('the patched history methods pass through their errors', () => {
    expect(() => history.pushState(null, '', 'https://other-origin.test/')).toThrow();
  });
});

describe('autocapture', () => {
  test('clicks on links and buttons; never on other things', async () => {
    document.body.innerHTML = `
      <a id="a" href="/signup" class="cta">Sign up</a>
      <button id="b"><b>Buy</b> now</button>
      <input id="i" value="typed secret">
      <p id="p">text</p>`;
    for (const id of ['a', 'b', 'i', 'p']) (document.getElementById(id) as HTMLElement).click();
    const events = await sent();
    expect(events.map((e) => [e.type, e.event, e.properties])).toEqual([
      [
        'track',
        'Element Clicked',
        { tag: 'a', text: 'Sign up', href: `${location.origin}/signup`, id: 'a', classes: 'cta' },
      ],
      ['track', 'Element Clicked', { tag: 'button', text: 'Buy now', id: 'b' }],
    ]);
    expect(JSON.stringify(events)).not.toContain('typed secret');
    expect(events[0].context.firstTouch).toBeUndefined(); // only page and identify carry it
  });

  test('a form submission: fields without secrets, and the email, which the collector identifies by', async () => {
    document.body.innerHTML = `
      <form id="lead" action="/thanks">
        <input name="name" value="Ada Lovelace">
        <input type="email" name="email" value="ada@example.com">
        <input type="password" name="password" value="hunter2">
        <input name="cc" value="4111 1111 1111 1111">
        <input type="hidden" name="csrf" value="tok">
        <button type="button">Not a submit</button>
      </form>`;
    const form = document.querySelector('form')!;
    form.addEventListener('submit', (e) => e.preventDefault());
    form.requestSubmit();
    const events = await sent();
    expect(events.map((e) => e.event)).toEqual(['Form Submitted']);
    expect(events[0].properties).toEqual({
      formId: 'lead',
      action: '/thanks',
      fields: { name: 'Ada Lovelace', email: 'ada@example.com' },
      email: 'ada@example.com',
    });
    expect(sentText(events)).not.toMatch(/hunter2|4111|tok/);
    tp.identify('user-1', { plan: 'pro' });
    const [identify] = await sent();
    expect(identify).toMatchObject({ type: 'identify', userId: 'user-1', traits: { plan: 'pro' } });
    expect(identify.context.firstTouch.landingUrl).toContain('utm_source=newsletter');
  });

  test('the page a GET form leads to is sent without the fields the form left out', async () => {
    // the previous test's form left out password, cc and csrf; a GET form puts them in the next URL
    history.pushState(
      null,
      '',
      '/thanks?name=Ada&password=hunter2&cc=4111+1111+1111+1111&csrf=tok&pin_token=9',
    );
    await tick();
    history.pushState(null, '', '/next');
    const [thanks, next] = await sent();
    expect(thanks.context.page.url).toBe(`${location.origin}/thanks?name=Ada`);
    expect(next.context.page.referrer).toBe(`${location.origin}/thanks?name=Ada`);
    expect(sentText([thanks, next])).not.toMatch(/hunter2|4111|tok|pin_token/);
  });
});

describe('public verbs', () => {
  test('track: as a method and as touchpoint("track", ...)', async () => {
    tp.track('Signed Up', { plan: 'pro' });
    (window.touchpoint as any)('track', 'Upgraded', { to: 'team' });
    expect((await sent()).map((e) => [e.type, e.event, e.properties, e.userId])).toEqual([
      ['track', 'Signed Up', { plan: 'pro' }, 'user-1'],
      ['track', 'Upgraded', { to: 'team' }, 'user-1'],
    ]);
  });

  test('page(name, props) and page(props)', async () => {
    tp.page('Pricing', { variant: 'b' });
    tp.page({ section: 'faq' });
    const [a, b] = await sent();
    expect(a).toMatchObject({ type: 'page', name: 'Pricing', properties: { variant: 'b' } });
    expect(a.context.page.url).toBe(location.href);
    expect(b.name).toBeUndefined();
    expect(b.properties).toEqual({ section: 'faq' });
  });

  test('identify(traits) keeps the user id; a different user id starts over', async () => {
    tp.identify({ name: 'Ada' });
    tp.identify({ role: 'admin' });
    tp.identify('user-2', { plan: 'free' });
    const [a, b, c2] = await sent();
    // each event carries the traits known when it was made
    expect(a).toMatchObject({ userId: 'user-1', traits: { plan: 'pro', name: 'Ada' } });
    expect(a.traits.role).toBeUndefined();
    expect(b.traits).toEqual({ plan: 'pro', name: 'Ada', role: 'admin' });
    expect(c2.userId).toBe('user-2');
    expect(c2.traits).toEqual({ plan: 'free' });
  });

  test('alias(userId) links from the current user id; alias(userId, previousId) as given', async () => {
    tp.alias('user-3');
    tp.alias('user-4', 'legacy-9');
    expect((await sent()).map((e) => [e.type, e.userId, e.previousId])).toEqual([
      ['alias', 'user-3', 'user-2'],
      ['alias', 'user-4', 'legacy-9'],
    ]);
  });

  test('reset: a new anonymous id, no user id, traits or first touch; the next page view starts a new first touch', async () => {
    const before = cookieValue('tp_aid');
    tp.reset();
    const after = cookieValue('tp_aid');
    expect(after).toMatch(/^\d+(-\d+){3}$/);
    expect(after).not.toBe(before);
    expect(localStorage.getItem('tp_aid')).toBe(after);
    expect(localStorage.getItem('tp_u')).toBeNull();
    expect(localStorage.getItem('tp_ft')).toBeNull();
    history.replaceState(null, '', '/after-reset?utm_source=second');
    tp.track('Anything');
    tp.page();
    const [t, p] = await sent();
    expect(t.anonymousId).toBe(after);
    expect(t.userId).toBeUndefined();
    expect(p.context.firstTouch.landingUrl).toBe(`${location.origin}/after-reset?utm_source=second`);
  });

  test('bad calls are ignored, never thrown', async () => {
    const t = window.touchpoint as any;
    const circular: any = {};
    circular.self = circular;
    expect(() => t('nope', 1)).not.toThrow();
    expect(() => t()).not.toThrow();
    expect(() => t.track()).not.toThrow();
    expect(() => t.alias()).not.toThrow();
    expect(() => t.track('Circular', circular)).not.toThrow();
    expect(await sent()).toEqual([]);
  });

  test('flush() resolves after the reply is handled: the queue is empty', async () => {
    tp.track('Last');
    await tp.flush();
    expect(stored('tp_q')).toEqual([]);
  });
});

describe('delivery from the page', () => {
  afterEach(() => {
    down = false;
    vi.restoreAllMocks();
  });

  test('the online event retries at once', async () => {
    down = true;
    tp.track('While Down');
    await tp.flush(); // fails: a retry is scheduled seconds away
    expect(stored('tp_q').map((e: any) => e.event)).toEqual(['While Down']);
    c.sent.length = 0;
    down = false;
    window.dispatchEvent(new Event('online'));
    await tick(20);
    expect(c.events().map((e) => e.event)).toEqual(['While Down']);
    expect(stored('tp_q')).toEqual([]);
    c.sent.length = 0;
  });

  test('hidden page: the queue goes out by sendBeacon and stays stored', async () => {
    const beacon = vi.spyOn(navigator, 'sendBeacon').mockReturnValue(true);
    vi.spyOn(document, 'hidden', 'get').mockReturnValue(true);
    tp.track('Before Hide');
    document.dispatchEvent(new Event('visibilitychange'));
    expect(beacon).toHaveBeenCalledOnce();
    window.dispatchEvent(new Event('pagehide')); // the same hide: no second beacon
    expect(beacon).toHaveBeenCalledOnce();
    const body = JSON.parse(beacon.mock.calls[0][1] as string); // a string goes as text/plain
    expect(body.batch.map((e: any) => e.event)).toEqual(['Before Hide']);
    expect(stored('tp_q').map((e: any) => e.event)).toEqual(['Before Hide']);
    // visible again: delivered the ordinary way, then removed
    vi.spyOn(document, 'hidden', 'get').mockReturnValue(false);
    document.dispatchEvent(new Event('visibilitychange'));
    expect(beacon).toHaveBeenCalledOnce();
    await tp.flush();
    expect(stored('tp_q')).toEqual([]);
    // pagehide alone (a navigation) beacons too
    tp.track('Before Navigation');
    window.dispatchEvent(new Event('pagehide'));
    expect(beacon).toHaveBeenCalledTimes(2);
  });
});
