// The UI chunk hook: loaded only when needed, mounted once, failures swallowed.
import { beforeEach, expect, test, vi } from 'vitest';
import type { UICore } from '../../widget/core/touchpoint.d.ts';
import { cleanPage, embed, fresh } from './helpers.ts';

beforeEach(cleanPage);

test('loads {api}/tp-ui.js once, mounts it with the core, forwards form and chat', async () => {
  const m = await fresh();
  const handle = { form: vi.fn(), chat: vi.fn() };
  const mount = vi.fn((_core: UICore) => handle);
  const load = vi.spyOn(m.ui.hooks, 'load').mockResolvedValue({ mount });
  await m.ui.loadUI();
  await m.ui.loadUI('form', 'lead-1');
  await m.ui.loadUI('chat');
  expect(load).toHaveBeenCalledOnce();
  expect(load).toHaveBeenCalledWith('https://collector.test/tp-ui.js');
  expect(mount).toHaveBeenCalledOnce();
  expect(handle.form).toHaveBeenCalledWith('lead-1');
  expect(handle.chat).toHaveBeenCalledOnce();

  const core = mount.mock.calls[0][0];
  expect(core.api).toBe('https://collector.test');
  expect(core.siteKey).toBe('site_key');
  expect(core.anonymousId()).toBe(m.ids.aid());
  core.track('Chat Opened', { from: 'ui' });
  core.identify({ email: 'ui@example.com' });
  expect(m.queue.q.map((e) => [e.type, e.event])).toEqual([
    ['track', 'Chat Opened'],
    ['identify', undefined],
  ]);
  expect(() => core.track(undefined as any)).not.toThrow();
});

test('a mount that returns nothing is fine', async () => {
  const m = await fresh();
  vi.spyOn(m.ui.hooks, 'load').mockResolvedValue({ mount: () => undefined });
  await expect(m.ui.loadUI('form', 'x')).resolves.toBeUndefined();
});

test.each([
  [
    'the chunk is missing (import fails)',
    () => Promise.reject(new TypeError('Failed to fetch dynamically imported module')),
  ],
  [
    'mount throws',
    () =>
      Promise.resolve({
        mount: () => {
          throw new Error('boom');
        },
      }),
  ],
])('%s: swallowed and logged', async (_name, impl) => {
  const m = await fresh();
  vi.spyOn(m.ui.hooks, 'load').mockImplementation(impl as any);
  await expect(m.ui.loadUI('chat')).resolves.toBeUndefined();
  expect(console.warn).toHaveBeenCalledWith('[touchpoint]', expect.any(Error));
});

test('the real import of a missing chunk is swallowed too', async () => {
  const m = await fresh();
  m.config.cfg.api = 'http://127.0.0.1:9';
  await expect(m.ui.loadUI()).resolves.toBeUndefined();
});

test.each([
  ['a [data-touchpoint-form] element on the page', '<div data-touchpoint-form="lead"></div>', false],
  ['touchpoint("form", id) in the stub', '', true],
  ['nothing that needs it', '', false],
])('on start, %s', async (name, html, stubbed) => {
  document.body.innerHTML = html;
  const w = window as any;
  if (stubbed) w.touchpoint = Object.assign(() => {}, { q: [['form', 'lead']] });
  embed();
  vi.resetModules();
  await import('../../widget/core/index.ts');
  const ui = await import('../../widget/core/ui.ts'); // the instance index.ts uses
  const load = vi.spyOn(ui.hooks, 'load').mockResolvedValue({ mount: () => undefined });
  await vi.waitFor(() => expect(w.touchpoint.version).toBeTruthy());
  await new Promise((r) => setTimeout(r));
  if (name.startsWith('nothing')) expect(load).not.toHaveBeenCalled();
  else expect(load).toHaveBeenCalledWith('https://collector.test/tp-ui.js');
});
