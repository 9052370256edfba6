import { beforeEach, describe, expect, test, vi } from 'vitest';
import { cleanPage, embed, fresh } from './helpers.ts';

beforeEach(cleanPage);

describe('readConfig', () => {
  test.each([
    [
      'the collector is the origin of tp.js',
      'src="https://c.test:8787/static/tp.js" data-site="k1"',
      { api: 'https://c.test:8787', key: 'k1', debug: false, off: false, days: 395 },
    ],
    [
      'a relative src is resolved against the page',
      'src="/tp.js" data-site="k2"',
      { api: location.origin, key: 'k2', debug: false, off: false, days: 395 },
    ],
    [
      'data-api overrides it (trailing slash dropped)',
      'src="https://cdn.test/tp.js" data-site="k3" data-api="https://api.test/t/"',
      { api: 'https://api.test/t', key: 'k3', debug: false, off: false, days: 395 },
    ],
    [
      'data-debug',
      'src="https://c.test/tp.js" data-site="k4" data-debug',
      { api: 'https://c.test', key: 'k4', debug: true, off: false, days: 395 },
    ],
    [
      'data-consent="required": off until consent',
      'src="https://c.test/tp.js" data-site="k5" data-consent="required"',
      { api: 'https://c.test', key: 'k5', debug: false, off: true, days: 395 },
    ],
    [
      'data-dnt without Do-Not-Track in the browser',
      'src="https://c.test/tp.js" data-site="k6" data-dnt="on"',
      { api: 'https://c.test', key: 'k6', debug: false, off: false, days: 395 },
    ],
    [
      'data-cookie-days',
      'src="https://c.test/tp.js" data-site="k7" data-cookie-days="30"',
      { api: 'https://c.test', key: 'k7', debug: false, off: false, days: 30 },
    ],
  ])('%s', async (_name, attrs, want) => {
    embed(attrs);
    const { config } = await fresh();
    config.cfg.api = config.cfg.key = '';
    expect(config.readConfig()).toBe(true);
    // `off` may be any truthy value; `yes` is set only by the consent verb
    expect({ ...config.cfg, off: !!config.cfg.off }).toEqual(want);
    expect(config.cfg.yes).toBeUndefined();
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
