// The CLI and the server read the same configuration: a .env file (TOUCHPOINT_ENV_FILE, else .env in the
// working directory) that both load, so `site add` writes to the database the running server serves, and
// prints the embed snippet.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'tp-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it(
  'site add through the CLI shows up on the server started with the same .env',
  { timeout: 90_000 },
  async () => {
    const envFile = join(dir, 'touchpoint.env');
    writeFileSync(
      envFile,
      [
        `DATABASE_URL=file:${join(dir, 'shared.db')}`,
        'TOUCHPOINT_ADMIN_EMAIL=owner@example.com',
        'TOUCHPOINT_ADMIN_PASSWORD=a long enough password',
        'TOUCHPOINT_PUBLIC_URL=https://collect.example.com',
        'PORT=0',
        'HOST=127.0.0.1',
      ].join('\n'),
    );
    // Nothing about the database in the environment: only the file says where it is.
    const env: NodeJS.ProcessEnv = { ...process.env, TOUCHPOINT_ENV_FILE: envFile };
    delete env.DATABASE_URL;
    delete env.PORT;
    delete env.TOUCHPOINT_PUBLIC_URL;

    const added = await run(
      'npm',
      ['run', '-s', 'touchpoint', '--', 'site', 'add', '--name', 'Shop', '--origin', 'https://shop.example'],
      {
        cwd: root,
        env,
      },
    );
    const site = JSON.parse(added.stdout.trim());
    expect(site.snippet).toBe(
      `<script async src="https://collect.example.com/tp.js" data-site="${site.siteKey}"></script>`,
    );

    const server = spawn(process.execPath, ['--import', 'tsx', 'collector/main.ts'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout!.on('data', (d) => {
          out += d;
          const m = /collector on (http:\/\/\S+?) /.exec(out);
          if (m) resolve(m[1]);
        });
        server.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
      });
      const login = await fetch(`${url}/api/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: 'owner@example.com', password: 'a long enough password' }),
      });
      expect(login.status).toBe(200);
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      const sites = await (await fetch(`${url}/api/sites`, { headers: { Cookie: cookie } })).json();
      expect(sites.sites.map((s: { id: string }) => s.id)).toContain(site.id);

      // And the CLI lists what the server serves.
      const listed = await run('npm', ['run', '-s', 'touchpoint', '--', 'site', 'list'], { cwd: root, env });
      expect(listed.stdout).toContain(site.id);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  },
);
