import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { rid } from '../../widget/core/ids.ts';
import { blockStorage, cleanPage, cookieValue, fresh, setCookie } from './helpers.ts';

beforeEach(cleanPage);
afterEach(() => vi.restoreAllMocks());

describe('rid', () => {
  const ID = /^\d{1,10}(-\d{1,10}){3}$/;

  test('url-safe, at most 43 characters, different every time', () => {
    const ids = new Set(Array.from({ length: 2000 }, rid));
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(id).toMatch(ID);
  });

  test('is 128 bits from crypto.getRandomValues: four 32-bit numbers', () => {
    const spy = vi.spyOn(crypto, 'getRandomValues');
    const id = rid();
    expect(spy).toHaveBeenCalledOnce();
    const values = spy.mock.results[0].value as Uint32Array;
    expect(values).toBeInstanceOf(Uint32Array);
    expect(values.length).toBe(4);
    expect(id).toBe([...values].join('-'));
  });

  test('the numbers are spread over the whole 32-bit range (no bias towards small ones)', () => {
    const parts = Array.from({ length: 500 }, rid).flatMap((id) => id.split('-').map(Number));
    const high = parts.filter((n) => n >= 2 ** 31).length / parts.length;
    expect(high).toBeGreaterThan(0.4);
    expect(high).toBeLessThan(0.6);
    expect(Math.max(...parts)).toBeLessThan(2 ** 32);
  });
});

describe('anonymous id', () => {
  const OLD = 'Old_anonymous-id_1234';

  test.each([
    ['neither: a new one in both places', null, null, 'new'],
    ['cookie only: localStorage restored', OLD, null, OLD],
    ['localStorage only: cookie restored', null, OLD, OLD],
    // localStorage is read first: reading document.cookie costs the page a round trip to the browser
    ['both: localStorage wins', OLD, 'Other_id_in_storage_1', 'Other_id_in_storage_1'],
    ['a malformed stored value gives way to the cookie', OLD, '<script>', OLD],
    ['a malformed cookie is replaced', 'bad id;', null, 'new'],
    ['a malformed stored value is replaced', null, '<script>', 'new'],
  ])('%s', async (_name, inCookie, inStorage, want) => {
    if (inCookie) setCookie(`tp_aid=${inCookie};path=/`);
    if (inStorage) localStorage.setItem('tp_aid', inStorage);
    const { ids } = await fresh();
    await ids.loadAid(); // the core settles the id before the page's first event
    const id = ids.aid();
    if (want === 'new') {
      expect(id).toMatch(/^\d+(-\d+){3}$/);
      expect(id).not.toBe(inCookie);
      expect(id).not.toBe(inStorage);
    } else expect(id).toBe(want);
    expect(cookieValue('tp_aid')).toBe(id);
    expect(localStorage.getItem('tp_aid')).toBe(id);
    expect(ids.aid()).toBe(id);
  });

  test('the cookie is first-party, site-wide, 13 months, SameSite=Lax, not Secure on http', async () => {
    const set = vi.spyOn(document, 'cookie', 'set');
    const { ids } = await fresh();
    const id = ids.aid();
    const written = set.mock.calls.map((c) => c[0]).find((c) => c.startsWith('tp_aid='))!;
    expect(written.split(';')).toEqual([`tp_aid=${id}`, 'path=/', 'max-age=34128000', 'SameSite=Lax']);
  });

  test('Secure is added on https', async () => {
    const set = vi.spyOn(document, 'cookie', 'set');
    vi.spyOn(location, 'protocol', 'get').mockReturnValue('https:');
    const { ids } = await fresh();
    ids.aid();
    expect(set.mock.calls.map((c) => c[0]).find((c) => c.startsWith('tp_aid='))).toMatch(/;Secure$/);
  });

  test('a new page load keeps the id', async () => {
    const first = (await fresh()).ids.aid();
    const { ids } = await fresh();
    await ids.loadAid();
    expect(ids.aid()).toBe(first);
  });

  test('the cookie is read through the asynchronous Cookie Store where the browser has one', async () => {
    setCookie(`tp_aid=${OLD};path=/`);
    const read = vi.spyOn(document, 'cookie', 'get');
    const jar = { get: vi.fn(async (name: string) => ({ name, value: OLD })) };
    (self as any).cookieStore = jar;
    try {
      const { ids } = await fresh();
      read.mockClear();
      await ids.loadAid();
      expect(ids.aid()).toBe(OLD);
      expect(jar.get).toHaveBeenCalledWith('tp_aid');
      expect(read).not.toHaveBeenCalled();
      expect(localStorage.getItem('tp_aid')).toBe(OLD);
    } finally {
      delete (self as any).cookieStore;
    }
  });

  test('with the id in localStorage, the cookie is not read at all', async () => {
    localStorage.setItem('tp_aid', OLD);
    const read = vi.spyOn(document, 'cookie', 'get');
    const { ids } = await fresh();
    read.mockClear();
    await ids.loadAid();
    expect(ids.aid()).toBe(OLD);
    expect(read).not.toHaveBeenCalled();
  });

  test('setAid (reset) replaces it in both places', async () => {
    const { ids } = await fresh();
    const before = ids.aid();
    ids.setAid(ids.rid());
    expect(ids.aid()).not.toBe(before);
    expect(cookieValue('tp_aid')).toBe(ids.aid());
    expect(localStorage.getItem('tp_aid')).toBe(ids.aid());
  });

  test('works with neither cookies nor storage (both throw): one id for the page', async () => {
    const restore = blockStorage();
    try {
      const { ids } = await fresh();
      const id = ids.aid();
      expect(id).toMatch(/^\d+(-\d+){3}$/);
      expect(ids.aid()).toBe(id);
    } finally {
      restore();
    }
  });
});

describe('user', () => {
  test('user id and traits persist across page loads; forgetUser clears them', async () => {
    const a = await fresh();
    a.ids.user().id = 'u1';
    a.ids.user().traits.plan = 'pro';
    a.ids.saveUser();
    const b = await fresh();
    expect(b.ids.user()).toEqual({ id: 'u1', traits: { plan: 'pro' } });
    b.ids.forgetUser();
    expect(b.ids.user()).toEqual({ traits: {} });
    expect((await fresh()).ids.user()).toEqual({ traits: {} });
  });

  test('a corrupt stored user is ignored', async () => {
    localStorage.setItem('tp_u', '"oops"');
    expect((await fresh()).ids.user()).toEqual({ traits: {} });
  });
});
