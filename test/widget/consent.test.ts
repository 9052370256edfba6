// Consent mode: data-consent="required", Global Privacy Control, Do-Not-Track (with data-dnt), the consent verb,
// and data-cookie-days. Off means nothing on the device and only page views, marked consent: false.
import { afterEach, beforeEach, describe, expect, type MockInstance, test, vi } from 'vitest';
import type { Touchpoint } from '../../widget/core/touchpoint.d.ts';
import { blockStorage, boot, cleanPage, cookieValue, embed, mockCollector, stored } from './helpers.ts';

const TAG = 'src="https://collector.test/tp.js" data-site="site_key"';

let c: ReturnType<typeof mockCollector>;
let tp: Touchpoint;
let cookieSet: MockInstance<(v: string) => void>;
const writes = () => cookieSet.mock.calls.map(([v]) => v); // every document.cookie assignment
const setNavigator = (k: string, value: unknown) =>
  Object.defineProperty(navigator, k, { value, configurable: true });

/** Boots tp.js from a tag with these extra attributes; returns its automatic page view. */
async function start(attrs = '') {
  embed(`${TAG} ${attrs}`);
  tp = await boot();
  await tp.flush();
  const [view] = c.events();
  expect(view.type).toBe('page');
  return view;
}

/** What this copy of tp.js sent (copies booted by earlier tests may still send through the same fetch). */
async function sentBy(anonymousId: string) {
  await tp.flush();
  return c.events().filter((e) => e.anonymousId === anonymousId);
}

const ours = () => Object.keys(localStorage).filter((k) => k.startsWith('tp_'));

beforeEach(() => {
  cleanPage();
  c = mockCollector();
  cookieSet = vi.spyOn(document, 'cookie', 'set');
});
afterEach(() => {
  delete (navigator as any).globalPrivacyControl;
  delete (navigator as any).doNotTrack;
});

describe('data-consent="required"', () => {
  // first in the file: the copies of tp.js booted by later tests do not see its navigation (each copy keeps
  // watching history), and it ends where they all start, on /
  test("touchpoint('consent', true): the id is stored, the page counted, the first touch is the landing page", async () => {
    history.replaceState(null, '', '/landing?utm_source=newsletter');
    const landing = `${location.origin}/landing?utm_source=newsletter`;
    const view = await start('data-consent="required"');
    const id = view.anonymousId;
    history.pushState(null, '', '/pricing'); // an in-app navigation before the visitor answers
    await new Promise((r) => setTimeout(r, 5)); // the page view comes on a timer
    const [, second] = await sentBy(id);
    expect(second.context).toMatchObject({ consent: false, page: { url: `${location.origin}/pricing` } });

    await window.touchpoint('consent', true);
    expect(localStorage.getItem('tp_aid')).toBe(id);
    expect(cookieValue('tp_aid')).toBe(id);
    const after = (await sentBy(id)).slice(2);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ type: 'page', anonymousId: id });
    expect(after[0].context.consent).toBe(true);
    // this page was counted without consent: the visit says so, and the collector counts the page once
    expect(after[0].context.counted).toBe(1);
    expect(after[0].context.page.url).toBe(`${location.origin}/pricing`);
    expect(after[0].context.firstTouch.landingUrl).toBe(landing);

    // from now on everything goes, marked, and is stored like any visit
    tp.track('Signed Up');
    const [track] = (await sentBy(id)).slice(3);
    expect(track).toMatchObject({ type: 'track', event: 'Signed Up', context: { consent: true } });
    expect(track.context).not.toHaveProperty('counted');
    tp.identify('user-1');
    expect(stored('tp_u')).toEqual({ id: 'user-1', traits: {} });
    history.replaceState(null, '', '/');
    await new Promise((r) => setTimeout(r, 5)); // its page view, then nothing left to send
    await tp.flush();
  });

  test('before consent: nothing stored, the page view is marked consent: false, nothing else is sent', async () => {
    const view = await start('data-consent="required"');
    expect(view.context.consent).toBe(false);
    expect(localStorage.length).toBe(0);
    expect(document.cookie).toBe('');
    expect(writes()).toEqual([]);

    tp.track('Signed Up', { plan: 'pro' });
    tp.identify('user-1', { email: 'ada@example.com' });
    tp.alias('user-2');
    expect((await sentBy(view.anonymousId)).map((e) => e.type)).toEqual(['page']);
    expect(localStorage.length).toBe(0);
    expect(document.cookie).toBe('');
  });

  test('consent(true) again does not count the page twice', async () => {
    const view = await start('data-consent="required"');
    await tp.consent(true);
    await tp.consent(true);
    expect(
      (await sentBy(view.anonymousId)).map((e) => [e.type, e.context.consent, e.context.counted]),
    ).toEqual([
      ['page', false, undefined],
      ['page', true, 1],
    ]);
  });
});

describe('a returning visitor where consent is required', () => {
  test('before consent nothing stored is read or sent; on consent the stored visitor is kept', async () => {
    const first = { at: '2026-01-01T00:00:00.000Z', landingUrl: 'https://shop.test/?utm_source=spring' };
    localStorage.setItem('tp_aid', 'returning-visitor-1');
    localStorage.setItem('tp_ft', JSON.stringify(first));
    localStorage.setItem('tp_u', JSON.stringify({ id: 'user-9', traits: { plan: 'pro' } }));
    const cookieStore = { get: vi.fn(async () => ({ value: 'returning-visitor-1' })) };
    Object.defineProperty(self, 'cookieStore', { value: cookieStore, configurable: true });
    try {
      const view = await start('data-consent="required"');
      expect(view.anonymousId).not.toBe('returning-visitor-1');
      expect(view.userId).toBeUndefined();
      expect(view.context.firstTouch.landingUrl).not.toBe(first.landingUrl);
      expect(cookieStore.get).not.toHaveBeenCalled();
      // an identify before consent is not sent, and its user id rides on nothing after
      tp.identify('someone-else');
      tp.page();
      const before = await sentBy(view.anonymousId);
      expect(before.map((e) => [e.type, e.userId])).toEqual([
        ['page', undefined],
        ['page', undefined],
      ]);

      await tp.consent(true);
      expect(localStorage.getItem('tp_aid')).toBe('returning-visitor-1');
      expect(stored('tp_ft')).toEqual(first);
      const [after] = await sentBy('returning-visitor-1');
      expect(after).toMatchObject({
        type: 'page',
        userId: 'user-9',
        context: { consent: true, firstTouch: first },
      });
    } finally {
      delete (self as any).cookieStore;
    }
  });

  test('consent withdrawn and given again: the cookie lives its full lifetime again', async () => {
    await start('data-cookie-days="30"');
    tp.consent(false);
    await tp.consent(true);
    const id = localStorage.getItem('tp_aid');
    expect(writes().at(-1)).toBe(`tp_aid=${id};path=/;max-age=2592000;SameSite=Lax`);
    expect(cookieValue('tp_aid')).toBe(id);
  });
});

describe('the consent verb', () => {
  test('consent(true) without consent mode marks events and sends no extra page view', async () => {
    const view = await start();
    expect(view.context.consent).toBeUndefined();
    await tp.consent(true);
    tp.track('Clicked');
    expect((await sentBy(view.anonymousId)).map((e) => [e.type, e.context.consent])).toEqual([
      ['page', undefined],
      ['track', true],
    ]);
  });

  test("touchpoint('consent', false): every tp_ key removed, the cookie expired, nothing sent but marked page views", async () => {
    const view = await start();
    tp.identify('user-1', { email: 'ada@example.com' });
    await tp.flush();
    localStorage.setItem('tp_c', '1'); // the chat's
    localStorage.setItem('site_pref', 'dark'); // the host page's own
    expect(ours().sort()).toEqual(['tp_aid', 'tp_c', 'tp_ft', 'tp_q', 'tp_u']);
    expect(cookieValue('tp_aid')).toBe(view.anonymousId);
    cookieSet.mockClear();

    window.touchpoint('consent', false);
    expect(ours()).toEqual([]);
    expect(localStorage.getItem('site_pref')).toBe('dark');
    await new Promise((r) => setTimeout(r, 2)); // happy-dom expires max-age=0 a millisecond later, browsers at once
    expect(cookieValue('tp_aid')).toBeUndefined();
    expect(writes()).toHaveLength(1);
    expect(writes()[0]).toMatch(/^tp_aid=[^;]+;path=\/;max-age=0;/);
    const id = writes()[0].split(/[=;]/)[1]; // reset(): a new anonymous id, kept in memory only

    tp.track('After');
    tp.identify('user-2');
    tp.alias('user-3');
    tp.page();
    const events = await sentBy(id);
    expect(events.map((e) => [e.type, e.context.consent])).toEqual([['page', false]]);
    expect(ours()).toEqual([]);
    expect(document.cookie).not.toContain('tp_aid');
  });

  test('consent(false) with storage blocked still stops tracking', async () => {
    const view = await start();
    const restore = blockStorage();
    try {
      tp.consent(false);
      tp.track('After');
      await tp.flush();
      expect(c.events().filter((e) => e.type === 'track')).toEqual([]);
      expect(c.events().filter((e) => e.anonymousId === view.anonymousId)).toHaveLength(1);
    } finally {
      restore();
    }
  });
});

describe('browser signals', () => {
  test('Global Privacy Control: nothing stored, page views only', async () => {
    setNavigator('globalPrivacyControl', true);
    const view = await start();
    expect(view.context.consent).toBe(false);
    tp.track('Signed Up');
    expect((await sentBy(view.anonymousId)).map((e) => e.type)).toEqual(['page']);
    expect(localStorage.length).toBe(0);
    expect(document.cookie).toBe('');
  });

  test('Do-Not-Track is respected where the tag says data-dnt', async () => {
    setNavigator('doNotTrack', '1');
    const view = await start('data-dnt="on"');
    expect(view.context.consent).toBe(false);
    expect(localStorage.length).toBe(0);
    expect(document.cookie).toBe('');
  });

  test('without data-dnt, Do-Not-Track is ignored', async () => {
    setNavigator('doNotTrack', '1');
    const view = await start();
    expect(view.context.consent).toBeUndefined();
    expect(localStorage.getItem('tp_aid')).toBe(view.anonymousId);
    expect(cookieValue('tp_aid')).toBe(view.anonymousId);
  });
});

describe('data-cookie-days', () => {
  test('sets the cookie lifetime in days', async () => {
    const view = await start('data-cookie-days="30"');
    expect(writes()).toContain(`tp_aid=${view.anonymousId};path=/;max-age=2592000;SameSite=Lax`);
  });

  test('13 months by default', async () => {
    const view = await start();
    expect(writes()).toContain(`tp_aid=${view.anonymousId};path=/;max-age=34128000;SameSite=Lax`);
  });
});
