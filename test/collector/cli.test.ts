// The scripted admin commands, run as a site owner runs them: `npm run touchpoint -- …`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { touchpointCli } from '../support/cli.ts';
import { openStore } from '../../collector/store/open.ts';

const dir = mkdtempSync(join(tmpdir(), 'tp-cli-'));
const DATABASE_URL = `file:${join(dir, 'cli.db')}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const touchpoint = touchpointCli(DATABASE_URL);

describe('npm run touchpoint', { timeout: 30_000 }, () => {
  it('site add prints one JSON line with id, siteKey and secretKey that work', async () => {
    const res = await touchpoint('site', 'add', '--name', 'Shop', '--origin', 'https://Shop.Example/path');
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]);
    expect(out).toMatchObject({
      id: expect.any(String),
      siteKey: expect.stringMatching(/^pk_/),
      secretKey: expect.stringMatching(/^sk_/),
    });
    const store = await openStore({ url: DATABASE_URL });
    expect((await store.sites.access(out.siteKey))?.site.origins).toEqual(['https://shop.example']);
    expect((await store.sites.access(out.secretKey))?.site.id).toBe(out.id);
    await store.close();
  });

  it('token add prints a token the API accepts', async () => {
    const res = await touchpoint('token', 'add', '--name', 'reports');
    expect(res.code).toBe(0);
    const { token } = JSON.parse(res.stdout.trim());
    const store = await openStore({ url: DATABASE_URL });
    expect(await store.accounts.tokenIsValid(token)).toBe(true);
    await store.close();
  });

  it('refuses a missing origin with a JSON error and exit code 2', async () => {
    const res = await touchpoint('site', 'add', '--name', 'No origin');
    expect(res.code).toBe(2);
    expect(JSON.parse(res.stderr.split('\n').find((l) => l.startsWith('{'))!).error.message).toContain(
      '--origin',
    );
    expect(res.stdout.trim()).toBe('');
  });
});
