// Several machines: two collector processes share one libSQL server (sqld). Events sent to both end on one
// consistent set of profiles, a chat message posted through one reaches an agent streaming from the other, and
// a setting changed through one applies in the other within a second.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../collector/store/open.ts';
import { VISITOR_UA } from '../support/browser.ts';
import { startCollectorProcess } from '../support/collector-process.ts';
import { type Sqld, startSqld } from '../support/sqld.ts';

const children: ChildProcess[] = [];
let sqld: Sqld;
let site: { id: string; siteKey: string };
let token = '';
let a = '';
let b = '';

async function collector(databaseUrl: string): Promise<string> {
  const started = await startCollectorProcess({
    DATABASE_URL: databaseUrl,
    TOUCHPOINT_ADMIN_EMAIL: '',
    TOUCHPOINT_ADMIN_PASSWORD: '',
  });
  children.push(started.child);
  return started.url;
}

const api = async (base: string, path: string, init: RequestInit = {}) => {
  const res = await fetch(base + path, {
    ...init,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...init.headers },
  });
  return { status: res.status, body: await res.json() };
};

const batch = (base: string, events: object[], origin?: string) =>
  fetch(`${base}/v1/batch`, {
    method: 'POST',
    // as a page sends them: its Origin and a browser's user agent (a library's would read as a bot)
    headers: {
      'Content-Type': 'text/plain',
      ...(origin ? { Origin: origin, 'User-Agent': VISITOR_UA } : {}),
    },
    body: JSON.stringify({ writeKey: site.siteKey, batch: events }),
  });

beforeAll(async () => {
  sqld = await startSqld();
  const store = await openStore({ url: sqld.url });
  site = (await store.sites.create('Shop', ['https://shop.example'])).site;
  token = (await store.accounts.createToken('tests')).token;
  await store.close();
  [a, b] = await Promise.all([collector(sqld.url), collector(sqld.url)]);
}, 120_000);
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await sqld?.stop();
});

describe('two collectors on one sqld', { timeout: 60_000 }, () => {
  it('puts events sent to both on one consistent set of profiles', async () => {
    const visitors = 12;
    const sends: Promise<Response>[] = [];
    for (let v = 0; v < visitors; v++)
      for (let i = 0; i < 4; i++)
        sends.push(
          batch(i % 2 ? a : b, [
            { type: 'page', messageId: `so-${v}-${i}`, anonymousId: `anon-so-${v}`, name: `Page ${i}` },
            // every visitor identifies once, alternately through either collector
            ...(i === 3
              ? [
                  {
                    type: 'identify',
                    messageId: `so-id-${v}`,
                    anonymousId: `anon-so-${v}`,
                    traits: { email: `visitor${v}@example.com` },
                  },
                ]
              : []),
          ]),
        );
    const replies = await Promise.all(sends);
    expect(replies.map((r) => r.status)).toEqual(Array(sends.length).fill(200));
    // a retry through the other collector is a duplicate, not a second event
    const retry = await (
      await batch(a, [{ type: 'page', messageId: 'so-0-0', anonymousId: 'anon-so-0' }])
    ).json();
    expect(retry.results[0].status).toBe('duplicate');
    for (const base of [a, b]) {
      const list = await api(base, `/api/profiles?site=${site.id}&limit=100`);
      expect(list.status).toBe(200);
      expect(list.body.profiles).toHaveLength(visitors);
      expect(list.body.profiles.map((p: { eventCount: number }) => p.eventCount)).toEqual(
        Array(visitors).fill(5),
      );
      expect(new Set(list.body.profiles.map((p: { email: string }) => p.email)).size).toBe(visitors);
    }
  });

  it('streams a chat message posted through one collector to an agent on the other', async () => {
    const enabled = await api(a, `/api/sites/${site.id}/chat`, {
      method: 'PUT',
      body: JSON.stringify({ enabled: true, autoReply: '' }),
    });
    expect(enabled.status).toBe(200);
    // the agent's inbox stream, served by b
    const abort = new AbortController();
    const stream = await fetch(`${b}/api/inbox/stream`, {
      headers: { Authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    expect(stream.status).toBe(200);
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const until = async (pattern: RegExp, ms: number) => {
      const deadline = Date.now() + ms;
      while (!pattern.test(text) && Date.now() < deadline) {
        const next = await Promise.race([
          reader.read(),
          new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now())),
        ]);
        if (!next || next.done) break;
        text += next.value;
      }
      return pattern.test(text);
    };
    expect(await until(/event: ready/, 5000)).toBe(true);
    // the visitor's first message, posted through a (the widget's origin is allowed there within a second)
    const posted = Date.now();
    let status = 0;
    while (status !== 201 && status !== 200 && Date.now() - posted < 2000) {
      const res = await fetch(`${a}/v1/chat/messages`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', Origin: 'https://shop.example' },
        body: JSON.stringify({
          key: site.siteKey,
          anonymousId: 'anon-chat-across',
          clientId: 'c-across-1',
          text: 'Hello from collector A',
        }),
      });
      status = res.status;
      if (status >= 300) await new Promise((r) => setTimeout(r, 50));
    }
    expect([200, 201]).toContain(status);
    expect(await until(/event: conversation[\s\S]*anon-chat-across/, 2000)).toBe(true);
    expect(Date.now() - posted).toBeLessThan(2000);
    abort.abort();
    // and the agent reads the message itself from b
    const inbox = await api(b, `/api/inbox?siteId=${site.id}`);
    const conversation = inbox.body.conversations.find(
      (x: { anonymousId: string }) => x.anonymousId === 'anon-chat-across',
    );
    const thread = await api(b, `/api/inbox/${conversation.id}`);
    expect(thread.body.messages[0]).toMatchObject({ author: 'visitor', text: 'Hello from collector A' });
  });

  it('applies a setting changed through one collector in the other within a second', async () => {
    const origin = 'https://new-shop.example';
    const event = (n: number) => ({ type: 'page', messageId: `so-origin-${n}`, anonymousId: 'anon-origin' });
    expect((await batch(b, [event(0)], origin)).status).toBe(403); // b has read (and cached) the site now
    const changed = await api(a, `/api/sites/${site.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ origins: ['https://shop.example', origin] }),
    });
    expect(changed.status).toBe(200);
    const started = Date.now();
    let status = 0;
    for (let n = 1; Date.now() - started < 1000 && status !== 200; n++) {
      status = (await batch(b, [event(n)], origin)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 25));
    }
    expect(status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
