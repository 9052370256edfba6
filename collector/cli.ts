// `npm run touchpoint -- …`: scripted administration. Each command prints one JSON line on stdout.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as v from 'valibot';
import { embedSnippet, StripeSecretSchema } from '../wire.ts';
import { normaliseOrigin } from './admin/origins.ts';
import { maskSecret } from './billing/secret.ts';
import { loadConfig, loadEnvFile } from './config.ts';
import { openStore } from './store/open.ts';

const USAGE = `usage:
  touchpoint site add --name NAME --origin URL [--origin URL…]
  touchpoint site list
  touchpoint site set SITE_ID --stripe-secret whsec_…   (--stripe-secret '' clears it)
  touchpoint token add --name NAME
  touchpoint user add --email EMAIL --password PASSWORD
  touchpoint backup PATH   (an online, consistent copy of the database file)`;

class UsageError extends Error {}

async function run(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      origin: { type: 'string', multiple: true },
      email: { type: 'string' },
      password: { type: 'string' },
      'stripe-secret': { type: 'string' },
    },
  });
  const [noun, verb] = positionals;
  // The same configuration as the server: the environment, then the .env file it reads.
  loadEnvFile();
  const config = loadConfig();
  const store = await openStore({ url: config.databaseUrl, authToken: config.databaseAuthToken });
  try {
    if (noun === 'site' && verb === 'add') {
      if (!values.name?.trim()) throw new UsageError('--name is required');
      const origins = (values.origin ?? []).map((o) => {
        const origin = normaliseOrigin(o);
        if (!origin) throw new UsageError(`--origin ${JSON.stringify(o)} is not an http(s) URL`);
        return origin;
      });
      if (origins.length === 0)
        throw new UsageError('--origin is required: the website the script tag goes on');
      const { site, secretKey } = await store.sites.create(values.name.trim(), origins);
      return {
        id: site.id,
        siteKey: site.siteKey,
        secretKey,
        identitySecret: site.identitySecret,
        // What goes on every page of the site (TOUCHPOINT_PUBLIC_URL is where the collector is reached).
        snippet: embedSnippet(config.publicUrl, site.siteKey),
      };
    }
    if (noun === 'site' && verb === 'set') {
      const siteId = positionals[2];
      if (!siteId)
        throw new UsageError('SITE_ID is required: touchpoint site set SITE_ID --stripe-secret whsec_…');
      const given = values['stripe-secret'];
      if (given === undefined) throw new UsageError('nothing to set: pass --stripe-secret whsec_…');
      const parsed = v.safeParse(StripeSecretSchema, { secret: given.trim() === '' ? null : given });
      if (!parsed.success) throw new UsageError(`--stripe-secret: ${parsed.issues[0].message}`);
      if (!(await store.billing.setStripeSecret(siteId, parsed.output.secret)))
        throw new UsageError(`no site with id ${JSON.stringify(siteId)}`);
      // The secret is never printed back in full.
      return {
        id: siteId,
        stripe: { configured: !!parsed.output.secret, secretHint: maskSecret(parsed.output.secret) },
      };
    }
    if (noun === 'site' && verb === 'list') {
      return { sites: await store.sites.list() };
    }
    if (noun === 'token' && verb === 'add') {
      if (!values.name?.trim()) throw new UsageError('--name is required');
      const { token } = await store.accounts.createToken(values.name.trim());
      return { token };
    }
    if (noun === 'user' && verb === 'add') {
      if (!values.email?.includes('@')) throw new UsageError('--email must be an email address');
      if (!values.password || values.password.length < 10)
        throw new UsageError('--password needs at least 10 characters');
      const user = await store.accounts.createUser(values.email, values.password);
      return { id: user.id, email: user.email };
    }
    if (noun === 'backup') {
      const target = positionals[1];
      if (!target) throw new UsageError('PATH is required: touchpoint backup PATH');
      await store.backup(resolve(target));
      return { backup: resolve(target) };
    }
    throw new UsageError(`unknown command: ${positionals.join(' ') || '(none)'}`);
  } finally {
    await store.close();
  }
}

try {
  const out = await run(process.argv.slice(2));
  process.stdout.write(`${JSON.stringify(out)}\n`);
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(
    `${JSON.stringify({ error: { code: err instanceof UsageError ? 'usage' : 'failed', message } })}\n`,
  );
  if (err instanceof UsageError) process.stderr.write(`${USAGE}\n`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
}
