// tp.js never throws into the host page: storage blocked, cookies blocked, fetch failing, odd arguments.
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import type { Touchpoint } from '../../widget/core/touchpoint.d.ts';
import { blockStorage, boot, cleanPage, embed, mockCollector } from './helpers.ts';

let tp: Touchpoint;
let c: ReturnType<typeof mockCollector>;
let restore: () => void;

beforeAll(async () => {
  cleanPage();
  c = mockCollector();
  embed();
  restore = blockStorage(); // as in a sandboxed iframe: document.cookie and localStorage throw
  tp = await boot();
});
afterAll(() => restore());

test('with cookies and localStorage throwing, every verb works from memory', async () => {
  const calls: [string, ...unknown[]][] = [
    ['page'],
    ['page', 'Named', { a: 1 }],
    ['page', { b: 2 }],
    ['track', 'Signed Up', { plan: 'pro' }],
    ['identify', 'user-1', { email: 'a@b.co' }],
    ['identify', { name: 'Ada' }],
    ['alias', 'user-2'],
    ['reset'],
    ['track', 'After Reset'],
    ['form', 'f1'],
    ['chat'],
  ];
  for (const [verb, ...args] of calls) expect(() => (tp as any)[verb](...args)).not.toThrow();
  await tp.flush();
  const events = c.events();
  // the automatic page view first
  expect(events.map((e) => e.type)).toEqual([
    'page',
    'page',
    'page',
    'page',
    'track',
    'identify',
    'identify',
    'alias',
    'track',
  ]);
  expect(events[6].traits).toEqual({ email: 'a@b.co', name: 'Ada' });
  // one anonymous id for the page until reset(), a new one after
  const ids = new Set(events.slice(0, 8).map((e) => e.anonymousId));
  expect(ids.size).toBe(1);
  expect(events[8].anonymousId).not.toBe(events[0].anonymousId);
  expect(events[8].userId).toBeUndefined();
});

test.each<[string, unknown[]]>([
  ['no arguments', []],
  ['an unknown verb', ['explode']],
  ['a non-string verb', [{}]],
  ['track without a name', ['track']],
  ['track with null properties', ['track', 'X', null]],
  ['track with a string as properties', ['track', 'X', 'oops']],
  ['properties that cannot be serialised', ['track', 'X', { n: 10n }]],
  ['identify(null)', ['identify', null]],
  ['alias without a user id', ['alias']],
  ['a huge event', ['track', 'Big', { s: 'x'.repeat(100_000) }]],
])('touchpoint(...%s) does not throw', (_name, args) => {
  expect(() => (window.touchpoint as any)(...args)).not.toThrow();
});

test('a fetch that throws, or that is missing, does not reach the page', async () => {
  globalThis.fetch = (() => {
    throw new Error('blocked by CSP');
  }) as any;
  tp.track('A');
  await expect(tp.flush()).resolves.toBeUndefined();
  (globalThis as any).fetch = undefined;
  await expect(tp.flush()).resolves.toBeUndefined();
  globalThis.fetch = c.fetch as any;
  await tp.flush();
  expect(c.events().at(-1)!.event).toBe('A'); // kept, and delivered once fetch works again
});

test('listeners do not throw on odd events', () => {
  vi.spyOn(navigator, 'sendBeacon').mockReturnValue(true);
  expect(() => document.dispatchEvent(new Event('submit'))).not.toThrow();
  expect(() => document.dispatchEvent(new MouseEvent('click'))).not.toThrow();
  expect(() => window.dispatchEvent(new Event('pagehide'))).not.toThrow();
  expect(() => window.dispatchEvent(new Event('online'))).not.toThrow();
});

test('a circular traits object is refused without spoiling later identify calls', async () => {
  const circular: any = { name: 'loop' };
  circular.self = circular;
  tp.identify('user-8', { plan: 'free' });
  tp.identify('user-9', circular);
  tp.identify({ seats: 3 });
  await tp.flush();
  const identifies = c.events().filter((e) => e.type === 'identify');
  // the refused call changed nothing: still user-8 with its traits
  expect(identifies.slice(-2).map((e) => [e.userId, e.traits])).toEqual([
    ['user-8', { plan: 'free' }],
    ['user-8', { plan: 'free', seats: 3 }],
  ]);
});
