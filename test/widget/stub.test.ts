// The queue stub a site puts before tp.js, and a second copy of tp.js on the same page.
import { beforeAll, expect, test, vi } from 'vitest';
import { cleanPage, embed, mockCollector } from './helpers.ts';

const w = window as any;
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));
let c: ReturnType<typeof mockCollector>;

beforeAll(async () => {
  cleanPage();
  c = mockCollector();
  // the documented snippet, verbatim in spirit
  w.touchpoint =
    w.touchpoint ||
    function () {
      // biome-ignore lint/complexity/noArguments: the snippet sites paste uses arguments
      (w.touchpoint.q = w.touchpoint.q || []).push(arguments);
    };
  w.touchpoint('identify', 'user-7', { plan: 'pro' });
  w.touchpoint('track', 'Clicked Early', { n: 1 });
  w.touchpoint('page', 'Named Page');
  w.touchpoint('track', 'Clicked Early', { n: 2 });
  embed();
  // two copies of tp.js run before either has started
  vi.resetModules();
  await import('../../widget/core/index.ts');
  vi.resetModules();
  await import('../../widget/core/index.ts');
  await vi.waitFor(() => expect(w.touchpoint.version).toBeTruthy());
  await tick();
});

test('calls made before tp.js loaded are replayed in order, after the automatic page view', async () => {
  await w.touchpoint.flush();
  expect(
    c.events().map((e) => [e.type, e.event ?? e.name ?? null, e.properties?.n ?? null, e.userId ?? null]),
  ).toEqual([
    ['page', null, null, null],
    ['identify', null, null, 'user-7'],
    ['track', 'Clicked Early', 1, 'user-7'],
    ['page', 'Named Page', null, 'user-7'],
    ['track', 'Clicked Early', 2, 'user-7'],
  ]);
  c.sent.length = 0;
});

test('the second copy was refused with a debug warning', () => {
  expect(console.warn).toHaveBeenCalledWith('[touchpoint]', 'already loaded');
});

test('a copy loaded later is refused too, and nothing is tracked twice', async () => {
  const api = w.touchpoint;
  vi.resetModules();
  await import('../../widget/core/index.ts');
  await tick(20);
  expect(w.touchpoint).toBe(api);
  document.body.innerHTML = '<button id="b">Once</button>';
  (document.getElementById('b') as HTMLElement).click();
  history.pushState(null, '', '/next');
  await tick();
  await w.touchpoint.flush();
  expect(c.events().map((e) => [e.type, e.event ?? new URL(e.context.page.url).pathname])).toEqual([
    ['track', 'Element Clicked'],
    ['page', '/next'],
  ]);
});
