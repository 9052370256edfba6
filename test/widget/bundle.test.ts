// The shipped tp.js (minified, __DEBUG__ false) run as a page would: `npm test` builds it first.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { cleanPage, embed, mockCollector } from './helpers.ts';

const file = join(import.meta.dirname, '../../dist/widget/tp.js');
const built = existsSync(file);
const code = built ? readFileSync(file, 'utf8') : '';
const w = window as any;
// runs the IIFE as the browser would run the <script>
const run = () => new Function(code)();

describe.skipIf(!built)('dist/widget/tp.js', () => {
  let c: ReturnType<typeof mockCollector>;

  beforeAll(async () => {
    cleanPage();
    history.replaceState(null, '', '/?utm_source=bundle');
    c = mockCollector();
    w.touchpoint = function () {
      // biome-ignore lint/complexity/noArguments: the snippet sites paste uses arguments
      (w.touchpoint.q = w.touchpoint.q || []).push(arguments);
    };
    w.touchpoint('track', 'Queued Early');
    embed();
    run();
    run(); // a second copy on the page
    await vi.waitFor(() => expect(w.touchpoint.version).toBeTruthy());
  });

  test('contains neither valibot nor Preact nor debug-only code paths', () => {
    expect(code).not.toMatch(/valibot|preact|__DEBUG__/i);
    expect(code.startsWith('(function(')).toBe(true);
  });

  test('starts, replays the stub, delivers, and the second copy did nothing', async () => {
    document.body.innerHTML = '<button id="b">Go</button>';
    (document.getElementById('b') as HTMLElement).click();
    await w.touchpoint.flush();
    expect(c.events().map((e) => [e.type, e.event ?? null])).toEqual([
      ['page', null],
      ['track', 'Queued Early'],
      ['track', 'Element Clicked'],
    ]);
    expect(c.events()[0].context.firstTouch.landingUrl).toBe(`${location.origin}/?utm_source=bundle`);
    expect(c.sent[0].url).toBe('https://collector.test/v1/batch');
  });

  test('silent without data-debug (the shipped build has no __DEBUG__ logging)', () => {
    w.touchpoint('no-such-verb');
    w.touchpoint.track();
    expect(console.warn).not.toHaveBeenCalled();
  });
});
