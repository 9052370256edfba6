// A database file already migrated (and seeded), copied for each test that wants a fresh one: running every
// migration takes about 65 ms and hashing the harness's admin password about 60 ms, once per test otherwise.
// Each test process makes each template once; a copy is the same file a fresh store would have made.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OpenedStore, openStore } from '../../collector/store/open.ts';

const templates = new Map<string, Promise<string>>();
const dirs: string[] = [];
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function template(name: string, seed?: (store: OpenedStore) => Promise<unknown>): Promise<string> {
  let made = templates.get(name);
  if (!made) {
    made = (async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tp-template-'));
      dirs.push(dir);
      const path = join(dir, `${name}.db`);
      const store = await openStore({ url: `file:${path}` });
      try {
        await seed?.(store);
      } finally {
        await store.close();
      }
      return path;
    })();
    templates.set(name, made);
  }
  return made;
}

/**
 * Makes `path` a copy of the migrated database named `name`, seeded once by `seed` (the same seed for the same
 * name). The copy is a closed file: open it with openStore as usual.
 */
export async function migratedCopy(
  path: string,
  name = 'empty',
  seed?: (store: OpenedStore) => Promise<unknown>,
): Promise<void> {
  const from = await template(name, seed);
  copyFileSync(from, path);
  for (const suffix of ['-wal', '-shm'])
    if (existsSync(from + suffix)) copyFileSync(from + suffix, path + suffix);
}
