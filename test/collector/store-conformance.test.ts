// The store's conformance suite, written once and run against every backend: an embedded file and a real libSQL
// server (sqld). Each case drives the Store interface the collector uses; a second store on the same database
// stands in for a second collector process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareEvent } from '../../collector/ingest/prepare.ts';
import { openStore, openStoreThread, type StoreOptions } from '../../collector/store/open.ts';
import type { Store } from '../../collector/store/types.ts';
import type { WireEvent } from '../../wire.ts';
import { type Sqld, startSqld } from '../support/sqld.ts';

interface Backend {
  name: string;
  url(): string;
  /** Open the store on its own thread, as a running collector does. */
  open(options: StoreOptions): Promise<Store>;
  setup(): Promise<void>;
  teardown(): Promise<void>;
}

let dir = '';
let sqld: Sqld | null = null;
const backends: Backend[] = [
  {
    name: 'embedded file',
    url: () => `file:${join(dir, 'conformance.db')}`,
    open: openStore,
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'tp-conformance-'));
    },
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
  },
  {
    name: 'embedded file, store thread',
    url: () => `file:${join(dir, 'conformance.db')}`,
    open: openStoreThread,
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'tp-conformance-'));
    },
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
  },
  {
    name: 'libSQL server (sqld), store thread',
    url: () => sqld!.url,
    open: openStoreThread,
    async setup() {
      sqld = await startSqld();
    },
    async teardown() {
      await sqld?.stop();
    },
  },
];

const page = (messageId: string, anonymousId: string, over: Partial<WireEvent> = {}): WireEvent =>
  ({
    type: 'page',
    messageId,
    anonymousId,
    timestamp: new Date(Date.now() - 60_000).toISOString(),
    context: {
      page: { url: 'https://shop.example/?utm_source=news&utm_campaign=spring', referrer: '' },
      campaign: { source: 'news', name: 'spring' },
    },
    ...over,
  }) as WireEvent;
const prepared = (e: WireEvent) => prepareEvent(e, JSON.stringify(e), Date.now());

describe.each(backends)('store on $name', { timeout: 60_000 }, (backend) => {
  let a: Store;
  let b: Store;
  beforeAll(async () => {
    await backend.setup();
    a = await backend.open({ url: backend.url(), versionPollMs: 100 });
    // A second collector process on the same database: its migrations find the schema done.
    b = await backend.open({ url: backend.url(), versionPollMs: 100 });
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await backend.teardown();
  });

  it('creates sites, finds them by public and secret key, and refuses an unknown key', async () => {
    const { site, secretKey } = await a.sites.create('Shop', ['https://shop.example']);
    expect((await a.sites.access(site.siteKey))?.site.id).toBe(site.id);
    expect(await a.sites.access(secretKey)).toMatchObject({ secret: true, site: { id: site.id } });
    expect(await a.sites.access('pk_nobody')).toBeNull();
    expect((await b.sites.byId(site.id))?.origins).toEqual(['https://shop.example']);
    expect(await a.sites.anyAllows('https://shop.example')).toBe(true);
    expect((await a.sites.list()).map((s) => s.id)).toContain(site.id);
  });

  it('applies a site change made through another store within a second', async () => {
    const { site } = await a.sites.create('Before', ['https://before.example']);
    expect((await b.sites.access(site.siteKey))?.site.name).toBe('Before'); // cached in b now
    expect(await a.sites.update(site.id, { name: 'After', origins: ['https://after.example'] })).toBe(true);
    expect(await a.sites.setSettings(site.id, { shared: { limit: 5 } })).toBe(true);
    const deadline = Date.now() + 1000;
    let seen = '';
    while (Date.now() < deadline && seen !== 'After') {
      seen = (await b.sites.access(site.siteKey))?.site.name ?? '';
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toBe('After');
    expect((await b.sites.access(site.siteKey))?.site.settings).toEqual({ shared: { limit: 5 } });
    expect(await b.sites.anyAllows('https://after.example')).toBe(true);
    expect(await a.sites.update('missing', { name: 'x' })).toBe(false);
  });

  it('keeps users, sessions, API tokens and one-time setup links', async () => {
    const user = await a.accounts.createUser(' Ada@Example.com ', 'correct horse battery');
    expect(user.email).toBe('ada@example.com');
    expect(await b.accounts.checkLogin('ada@example.com', 'correct horse battery')).toEqual(user);
    expect(await b.accounts.checkLogin('ada@example.com', 'wrong password')).toBeNull();
    const session = await a.accounts.createSession(user.id);
    expect(await b.accounts.userForSession(session)).toEqual(user);
    await b.accounts.deleteSession(session);
    expect(await a.accounts.userForSession(session)).toBeNull();
    const { id, token } = await a.accounts.createToken('reports');
    expect(await b.accounts.tokenIsValid(token)).toBe(true);
    expect((await a.accounts.listTokens()).find((t) => t.id === id)?.lastUsedAt).not.toBeNull();
    expect(await a.accounts.deleteToken(id)).toBe(true);
    expect(await b.accounts.tokenIsValid(token)).toBe(false);
    const link = await a.accounts.createSetupToken();
    expect(await b.accounts.consumeSetupToken(link)).toBe(true);
    expect(await a.accounts.consumeSetupToken(link)).toBe(false);
    expect(await a.accounts.userExists(user.id)).toBe(true);
  });

  it('stores events once whichever store they reach, and stitches them into one profile', async () => {
    const { site } = await a.sites.create('Events', ['https://shop.example']);
    const first = [page('c-1', 'anon-c'), page('c-2', 'anon-c')];
    expect(await a.events.submit(site.id, first.map(prepared))).toEqual(['accepted', 'accepted']);
    // a retry through the other process, plus a new event: the retry is a duplicate
    expect(await b.events.submit(site.id, [prepared(first[1]), prepared(page('c-3', 'anon-c'))])).toEqual([
      'duplicate',
      'accepted',
    ]);
    const { profiles } = await b.profiles.list({ siteId: site.id, limit: 10 });
    expect(profiles).toHaveLength(1);
    const detail = await a.profiles.get(profiles[0].id);
    expect(detail?.timeline.map((t) => t.id).sort()).toEqual(['c-1', 'c-2', 'c-3']);
    expect(detail?.profile.firstTouch?.campaign).toBe('spring');
    expect(detail?.timeline).toHaveLength(3);
  });

  it('commits concurrent writes from two stores without losing or failing any', async () => {
    const { site } = await a.sites.create('Busy', ['https://shop.example']);
    const sends = Array.from({ length: 40 }, (_, i) =>
      (i % 2 ? a : b).events.submit(site.id, [prepared(page(`busy-${i}`, `anon-busy-${i % 7}`))]),
    );
    const forms = Array.from({ length: 10 }, (_, i) =>
      (i % 2 ? b : a).forms.create(site.id, {
        name: `Form ${i}`,
        fields: [{ key: 'email', label: 'Email', type: 'email', required: true }],
      } as never),
    );
    const outcomes = await Promise.all(sends);
    expect(outcomes.flat()).toEqual(Array(40).fill('accepted'));
    expect(await Promise.all(forms)).toHaveLength(10);
    expect(await a.forms.list(site.id)).toHaveLength(10);
    const { profiles } = await a.profiles.list({ siteId: site.id, limit: 50 });
    expect(profiles).toHaveLength(7);
  });

  it('merges, unmerges and sets a stage by hand', async () => {
    const { site } = await a.sites.create('Identity', ['https://shop.example']);
    await a.events.submit(site.id, [prepared(page('m-1', 'anon-m1')), prepared(page('m-2', 'anon-m2'))]);
    const { profiles } = await a.profiles.list({ siteId: site.id, limit: 10 });
    expect(profiles).toHaveLength(2);
    const live = await b.profiles.merge(profiles[0].id, profiles[1].id, 'same person');
    expect((await a.profiles.list({ siteId: site.id, limit: 10 })).profiles).toHaveLength(1);
    const detail = await a.profiles.get(live);
    const manual = detail!.profile.links!.find((l) => l.decision === 'manual')!;
    await a.profiles.revokeLink(manual.id, 'not the same');
    expect((await b.profiles.list({ siteId: site.id, limit: 10 })).profiles).toHaveLength(2);
    expect(await b.profiles.setStage(profiles[0].id, 'qualified', 'called us')).toBe('qualified');
    expect((await a.profiles.get(profiles[0].id))?.profile.stage).toBe('qualified');
    await expect(a.profiles.merge('nobody', profiles[0].id, 'x')).rejects.toMatchObject({
      kind: 'not_found',
    });
  });

  it('keeps lead forms, and drops another store’s cached copy when one changes', async () => {
    const { site } = await a.sites.create('Forms', ['https://shop.example']);
    const input = {
      name: 'Contact',
      fields: [{ key: 'email', label: 'Email', type: 'email', required: true }],
    } as never;
    const form = await a.forms.create(site.id, input);
    expect((await b.forms.cached(site.id, form.id))?.name).toBe('Contact');
    await a.forms.update(site.id, form.id, { ...(input as object), name: 'Talk to us' } as never);
    const deadline = Date.now() + 1000;
    let name = '';
    while (Date.now() < deadline && name !== 'Talk to us') {
      name = (await b.forms.cached(site.id, form.id))?.name ?? '';
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(name).toBe('Talk to us');
    expect(await b.forms.delete(site.id, form.id)).toBe(true);
    expect(await a.forms.get(site.id, form.id)).toBeNull();
  });

  it('reports the overview and attribution from what was stored', async () => {
    const { site } = await a.sites.create('Reports', ['https://shop.example']);
    await a.events.submit(site.id, [prepared(page('r-1', 'anon-r'))]);
    const overview = await b.reports.overview({ siteId: site.id });
    expect(overview.funnel[0]).toMatchObject({ stage: 'reach', count: 1 });
    const now = Date.now();
    const models = await b.reports.attribution({ from: now - 86_400_000, to: now + 1000, siteId: site.id });
    expect(models.firstTouch.map((r) => r.campaign)).toEqual(['spring']);
  });

  it('answers ping and reports the writer’s state', async () => {
    await a.ping();
    expect(await a.writerState()).toMatchObject({ pending: 0, limit: expect.any(Number) });
    expect((await a.writerState()).commits).toBeGreaterThan(0);
  });
});
