import { beforeEach, describe, expect, test, vi } from 'vitest';
import { cleanPage, embed, fresh } from './helpers.ts';

beforeEach(cleanPage);

describe('readConfig', () => {
  test.each([
    [
      'the collector is the origin of tp.js',
      'src="https://c.test:8787/static/tp.js" data-site="k1"',
      { api: 'https://c.test:8787', key: 'k1', debug: false },
    ],
    [
      'a relative src is resolved against the page',
      'src="/tp.js" data-site="k2"',
      { api: location.origin, key: 'k2', debug: false },
    ],
    [
      'data-api overrides it (trailing slash dropped)',
      'src="https://cdn.test/tp.js" data-site="k3" data-api="https://api.test/t/"',
      { api: 'https://api.test/t', key: 'k3', debug: false },
    ],
    [
      'data-debug',
      'src="https://c.test/tp.js" data-site="k4" data-debug',
      { api: 'https://c.test', key: 'k4', debug: true },
    ],
  ])('%s', async (_name, attrs, want) => {
    embed(attrs);
    const { config } = await fresh();
    config.cfg.api = config.cfg.key = '';
    expect(config.readConfig()).toBe(true);
    expect(config.cfg).toEqual(want);
  });

  test('without data-site there is nothing to do', async () => {
    embed('src="https://c.test/tp.js"');
    const { config } = await fresh();
    expect(config.readConfig()).toBe(false);
  });

  test('document.currentScript is preferred when it is ours', async () => {
    embed('src="https://other.test/tp.js" data-site="other"');
    embed('src="https://mine.test/tp.js" data-site="mine"');
    vi.spyOn(document, 'currentScript', 'get').mockReturnValue(document.querySelectorAll('script')[1]);
    const { config } = await fresh();
    config.readConfig();
    expect(config.cfg).toMatchObject({ api: 'https://mine.test', key: 'mine' });
  });

  test('tp.js without data-site installs nothing', async () => {
    embed('src="https://c.test/tp.js"');
    vi.resetModules();
    await import('../../widget/core/index.ts');
    await new Promise((r) => setTimeout(r, 20));
    expect((window as any).touchpoint).toBeUndefined();
  });
});

describe('log', () => {
  test('logs through console.warn with a prefix (always under vitest, where __DEBUG__ is true)', async () => {
    const { config } = await fresh();
    config.log('ignored', 'x');
    expect(console.warn).toHaveBeenCalledWith('[touchpoint]', 'ignored', 'x');
  });

  test('safe() turns a throw into a log and undefined', async () => {
    const { config } = await fresh();
    const f = config.safe((n: number) => {
      if (n) throw new Error('boom');
      return 'ok';
    });
    expect(f(0)).toBe('ok');
    expect(f(1)).toBeUndefined();
    expect(console.warn).toHaveBeenCalledWith('[touchpoint]', expect.any(Error));
  });
});
