// `npm run touchpoint -- site set SITE_ID --stripe-secret whsec_…`: stores the webhook secret, prints it masked.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { touchpointCli } from '../support/cli.ts';
import { openStore } from '../../collector/store/open.ts';

const dir = mkdtempSync(join(tmpdir(), 'tp-cli-billing-'));
const DATABASE_URL = `file:${join(dir, 'cli.db')}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const touchpoint = touchpointCli(DATABASE_URL);

describe('touchpoint site set --stripe-secret', { timeout: 30_000 }, () => {
  it('stores the secret, prints only a hint, refuses what is not a webhook secret', async () => {
    const site = JSON.parse(
      (await touchpoint('site', 'add', '--name', 'Shop', '--origin', 'https://shop.example')).stdout.trim(),
    );
    const secret = 'whsec_cli0123456789abcdef';
    const res = await touchpoint('site', 'set', site.id, '--stripe-secret', secret);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout.trim())).toEqual({
      id: site.id,
      stripe: { configured: true, secretHint: 'whsec_…cdef' },
    });
    expect(res.stdout).not.toContain(secret);
    const store = await openStore({ url: DATABASE_URL });
    try {
      expect(await store.billing.stripeSecret(site.id)).toBe(secret);
    } finally {
      await store.close();
    }
    const bad = await touchpoint('site', 'set', site.id, '--stripe-secret', 'sk_live_nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--stripe-secret: secret must be a Stripe webhook secret');
    const missing = await touchpoint('site', 'set', 'nope', '--stripe-secret', secret);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no site with id');
  });
});
