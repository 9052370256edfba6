// Runs `npm run -s touchpoint -- …` against a given database, as a site owner's script would.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');

export function touchpointCli(databaseUrl: string) {
  return async function touchpoint(...args: string[]) {
    try {
      const { stdout, stderr } = await run('npm', ['run', '-s', 'touchpoint', '--', ...args], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: databaseUrl },
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
}
