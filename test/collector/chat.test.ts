// Chat and inbox routes: settings, visitor messages (idempotent, auto-reply, email capture, timeline), the
// visitor's SSE stream (history, live replies, replay after Last-Event-ID, heartbeat, cleanup) and the inbox API;
// two collectors sharing one database, streams that read only when woken, and a burst of first messages.
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { createApp } from '../../collector/app.ts';
import { createHub, type Hub } from '../../collector/chat/hub.ts';
import { openStore } from '../../collector/store/open.ts';
import { type Harness, harness, ORIGIN } from './harness.ts';

let h: Harness;
let hub: Hub;
let app: ReturnType<typeof createApp>;
beforeEach(async () => {
  h = await harness();
  hub = createHub();
  app = createApp({
    store: h.store,
    distDir: '/nonexistent',
    hub,
    streams: { heartbeatMs: 60 },
  });
  await h.api(`/api/sites/${h.site.id}/chat`, {
    method: 'PUT',
    body: JSON.stringify({
      enabled: true,
      color: '#0f766e',
      autoReply: 'Auto: hello!',
      askEmail: 'Your email?',
    }),
  });
});
afterEach(() => {
  tokens.clear();
  return h.close();
});

/** The conversation token each visitor's browser makes and keeps, as the widget does. */
const tokens = new Map<string, string>();
const tokenOf = (anon: string) => {
  if (!tokens.has(anon)) tokens.set(anon, `tok-${anon}-${Math.random().toString(36).slice(2)}-0000`);
  return tokens.get(anon)!;
};
const say = (text: string, clientId: string, anonymousId = 'anon-c', extra: object = {}) =>
  app.request('/v1/chat/messages', {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', Origin: ORIGIN },
    body: JSON.stringify({
      key: h.site.siteKey,
      anonymousId,
      clientId,
      text,
      token: tokenOf(anonymousId),
      ...extra,
    }),
  });
/** A visitor's stream path with the token their browser holds. */
const withToken = (path: string) => {
  const anon = new URL(path, 'http://x').searchParams.get('anonymousId');
  return anon && !path.includes('token=') ? `${path}&token=${tokenOf(anon)}` : path;
};
const admin = (path: string, init: RequestInit = {}) =>
  app.request(path, {
    ...init,
    headers: { Authorization: `Bearer ${h.token}`, 'Content-Type': 'application/json' },
  });

/** Opens an SSE stream and collects parsed events; close() cancels the body like a browser going away. */
function sse(path: string, headers: Record<string, string> = {}, on: { request: typeof app.request } = app) {
  const events: { id?: string; event?: string; data: string }[] = [];
  let comments = 0;
  const ctl = new AbortController();
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const done = (async () => {
    const res = await on.request(withToken(path), {
      headers: { Origin: ORIGIN, ...headers },
      signal: ctl.signal,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buf += dec.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (block.startsWith(':')) comments++;
        const e: any = { data: '' };
        for (const line of block.split('\n')) {
          const [k, ...rest] = line.split(': ');
          if (k === 'data') e.data += rest.join(': ');
          else if (k === 'id' || k === 'event') e[k] = rest.join(': ');
        }
        if (e.event) events.push(e);
      }
    }
  })();
  return {
    events,
    get comments() {
      return comments;
    },
    messages: () => events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data)),
    async close() {
      ctl.abort();
      await reader?.cancel().catch(() => {});
      await done.catch(() => {});
    },
  };
}

const until = async (f: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('widget settings: chat settings when enabled, null otherwise; CORS', async () => {
  const res = await app.request(`/v1/widget?key=${h.site.siteKey}`, { headers: { Origin: ORIGIN } });
  expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  expect((await res.json()).chat).toMatchObject({ enabled: true, color: '#0f766e', position: 'right' });
  const bad = await admin(`/api/sites/${h.site.id}/chat`, {
    method: 'PUT',
    body: JSON.stringify({ enabled: true, color: 'red' }),
  });
  expect(bad.status).toBe(400);
  expect((await bad.json()).error.field).toBe('color');
  await admin(`/api/sites/${h.site.id}/chat`, { method: 'PUT', body: JSON.stringify({ enabled: false }) });
  const off = await app.request(`/v1/widget?key=${h.site.siteKey}`);
  expect((await off.json()).chat).toBeNull();
});

test('a batch that asks for the widget settings gets them with its results; one that does not, does not', async () => {
  const send = (extra: object) =>
    app.request('/v1/batch', {
      method: 'POST',
      headers: { Origin: ORIGIN, 'Content-Type': 'text/plain' },
      body: JSON.stringify({
        writeKey: h.site.siteKey,
        batch: [{ type: 'page', messageId: `wp-${Math.random()}`, anonymousId: 'anon-widget-1' }],
        ...extra,
      }),
    });
  const asked = await (await send({ widget: true })).json();
  expect(asked.results[0].status).toBe('accepted');
  expect(asked.widget.chat).toMatchObject({ enabled: true, color: '#0f766e' });
  expect(asked.widget.chat.css).toContain('#0f766e');
  const plain = await (await send({})).json();
  expect(plain.widget).toBeUndefined();
  const wrong = await send({ widget: 'yes' });
  expect(wrong.status).toBe(400);
  expect((await wrong.json()).error.field).toBe('widget');
});

test('a visitor message: stored once per client id, auto-reply + email ask, on the timeline; an email typed identifies', async () => {
  const first = await say('Hi there', 'cm-1');
  expect(first.status).toBe(201);
  const body = await first.json();
  expect(body.message).toMatchObject({ seq: 1, author: 'visitor', text: 'Hi there' });
  const again = await say('Hi there', 'cm-1');
  expect(again.status).toBe(200);
  expect((await again.json()).duplicate).toBe(true);
  const conv = await (await admin(`/api/inbox/${body.conversationId}`)).json();
  expect(conv.messages.map((m: any) => [m.seq, m.author, m.text])).toEqual([
    [1, 'visitor', 'Hi there'],
    [2, 'auto', 'Auto: hello!'],
    [3, 'auto', 'Your email?'],
  ]);
  expect(conv.conversation).toMatchObject({ unread: 1, status: 'open', email: null });

  await say('sure, it is Chat.Person@Example.com', 'cm-2');
  const after = await (await admin(`/api/inbox/${body.conversationId}`)).json();
  expect(after.conversation.email).toBe('chat.person@example.com');
  expect(after.messages.at(-1).text).toContain('chat.person@example.com');
  expect(await h.count("SELECT COUNT(*) FROM events WHERE event = 'Chat Message'")).toBe(2);
  const profiles = (await h.api('/api/profiles?q=chat.person@example.com')).body.profiles;
  expect(profiles[0]?.email).toBe('chat.person@example.com');

  const bad = await say('', 'cm-3');
  expect(bad.status).toBe(400);
  expect((await bad.json()).error.field).toBe('text');
  const evil = await app.request('/v1/chat/messages', {
    method: 'POST',
    headers: { Origin: 'https://evil.example' },
    body: JSON.stringify({ key: h.site.siteKey, anonymousId: 'x', clientId: 'y', text: 'hi' }),
  });
  expect(evil.status).toBe(403);
});

test('the stream: history, live agent reply, replay after Last-Event-ID, heartbeat, nothing left on close', async () => {
  const s1 = sse(`/v1/chat/stream?key=${h.site.siteKey}&anonymousId=anon-s`);
  await until(() => s1.events.some((e) => e.event === 'ready'));
  // no conversation yet: the first message creates it and the stream picks it up
  const { conversationId } = await (await say('Hello?', 'sm-1', 'anon-s')).json();
  await until(() => s1.messages().length === 3);
  const t = Date.now();
  await admin(`/api/inbox/${conversationId}/messages`, {
    method: 'POST',
    body: JSON.stringify({ text: 'Agent here' }),
  });
  await until(() => s1.messages().length === 4);
  expect(Date.now() - t).toBeLessThan(500);
  expect(s1.events.filter((e) => e.event === 'message').map((e) => e.id)).toEqual(['1', '2', '3', '4']);
  await until(() => s1.comments > 0); // heartbeat
  expect(hub.size).toBe(1);
  await s1.close();
  await until(() => hub.size === 0);

  // while disconnected, two replies; a reconnect with Last-Event-ID gets exactly those, in order
  for (const text of ['Missed one', 'Missed two'])
    await admin(`/api/inbox/${conversationId}/messages`, { method: 'POST', body: JSON.stringify({ text }) });
  const s2 = sse(`/v1/chat/stream?key=${h.site.siteKey}&anonymousId=anon-s`, { 'Last-Event-ID': '4' });
  await until(() => s2.messages().length === 2);
  await new Promise((r) => setTimeout(r, 100));
  expect(s2.messages().map((m) => [m.seq, m.text])).toEqual([
    [5, 'Missed one'],
    [6, 'Missed two'],
  ]);
  await s2.close();
  await until(() => hub.size === 0);
});

test('inbox assign: any existing user or nobody; an unknown user or conversation is refused', async () => {
  const id = (await (await say('hi', 'as-1', 'anon-as')).json()).conversationId;
  const other = await h.api('/api/users', {
    method: 'POST',
    body: JSON.stringify({ email: 'sam@example.com', password: 'another long password' }),
  });
  expect(other.status).toBe(201);
  const assign = async (userId: unknown, to = id) => {
    const res = await admin(`/api/inbox/${to}/assign`, { method: 'POST', body: JSON.stringify({ userId }) });
    return { status: res.status, body: await res.json() };
  };
  // Another user than the caller (a token here) is fine, and so is nobody.
  const toSam = await assign(other.body.user.id);
  expect(toSam.status).toBe(200);
  expect(toSam.body.conversation.assigneeId).toBe(other.body.user.id);
  const listed = await (await admin('/api/inbox')).json();
  expect(listed.conversations[0].assigneeId).toBe(other.body.user.id);
  const nobody = await assign(null);
  expect(nobody.status).toBe(200);
  expect(nobody.body.conversation.assigneeId).toBeNull();
  // An unknown user: 400 naming userId, and the conversation keeps its assignee.
  const unknown = await assign('no-such-user');
  expect(unknown.status).toBe(400);
  expect(unknown.body.error).toMatchObject({ code: 'unknown_user', field: 'userId' });
  const bad = await assign(42);
  expect(bad.status).toBe(400);
  expect(bad.body.error.field).toBe('userId');
  expect((await (await admin(`/api/inbox/${id}`)).json()).conversation.assigneeId).toBeNull();
  // An unknown conversation: 404.
  expect((await assign(other.body.user.id, 'no-such-conversation')).status).toBe(404);
});

test('inbox: list with filter and unread, read, close, assign; stream of changes', async () => {
  const a = (await (await say('from A', 'a-1', 'anon-a')).json()).conversationId;
  const b = (await (await say('from B', 'b-1', 'anon-b')).json()).conversationId;
  const list = await (await admin('/api/inbox?status=open')).json();
  expect(list.conversations.map((c: any) => c.id).sort()).toEqual([a, b].sort());
  expect(list.conversations[0]).toMatchObject({ unread: 1, lastMessage: { author: 'auto' } });
  expect((await admin('/api/inbox?status=maybe')).status).toBe(400);

  const s = sse('/api/inbox/stream', { Authorization: `Bearer ${h.token}` });
  await until(() => s.events.some((e) => e.event === 'ready'));
  expect((await admin(`/api/inbox/${a}/read`, { method: 'POST' })).status).toBe(200);
  const closed = await (await admin(`/api/inbox/${a}/close`, { method: 'POST' })).json();
  expect(closed.conversation).toMatchObject({ status: 'closed', unread: 0 });
  const users = await h.db.execute('SELECT id FROM users LIMIT 1');
  const userId = String(users.rows[0].id);
  const assigned = await admin(`/api/inbox/${b}/assign`, {
    method: 'POST',
    body: JSON.stringify({ userId }),
  });
  expect((await assigned.json()).conversation.assigneeId).toBe(userId);
  expect(
    (await admin(`/api/inbox/${b}/assign`, { method: 'POST', body: JSON.stringify({ userId: 'nobody' }) }))
      .status,
  ).toBe(400);
  await until(() => s.events.filter((e) => e.event === 'conversation').length === 3);
  const kinds = s.events.filter((e) => e.event === 'conversation').map((e) => JSON.parse(e.data).kind);
  expect(kinds).toEqual(['read', 'status', 'assign']);
  expect(
    (await (await admin('/api/inbox?status=closed')).json()).conversations.map((c: any) => c.id),
  ).toEqual([a]);
  // a visitor writing again reopens it
  await say('still there?', 'a-2', 'anon-a');
  expect((await (await admin(`/api/inbox/${a}`)).json()).conversation.status).toBe('open');
  await s.close();
  await until(() => hub.size === 0);
  expect((await app.request('/api/inbox')).status).toBe(401);
  expect((await admin('/api/inbox/c_nope')).status).toBe(404);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('two collectors on one database: a message written through one reaches the streams of the other within a second', async () => {
  // Process B: its own store (connection, writer, change feed) and app (hub) on the same file as A.
  const storeB = await openStore({ url: h.url });
  const hubB = createHub();
  const appB = createApp({ store: storeB, distDir: '/nonexistent', hub: hubB, streams: { heartbeatMs: 60 } });
  try {
    const inboxB = sse('/api/inbox/stream', { Authorization: `Bearer ${h.token}` }, appB);
    const visitorB = sse(`/v1/chat/stream?key=${h.site.siteKey}&anonymousId=anon-x`, {}, appB);
    await until(() => [inboxB, visitorB].every((s) => s.events.some((e) => e.event === 'ready')));
    const changes = () =>
      inboxB.events.filter((e) => e.event === 'conversation').map((e) => JSON.parse(e.data));

    // a visitor writes through A: B's agent sees it in the inbox, B's visitor stream gets it and the auto-replies
    let t = Date.now();
    const { conversationId } = await (await say('Across processes', 'x-1', 'anon-x')).json();
    await until(() => changes().some((ch) => ch.kind === 'message'));
    const inboxMs = Date.now() - t;
    await until(() => visitorB.messages().length === 3);
    expect(changes()[0].conversation).toMatchObject({ id: conversationId, anonymousId: 'anon-x' });

    // an agent replies through A: the visitor streaming from B gets it
    t = Date.now();
    await admin(`/api/inbox/${conversationId}/messages`, {
      method: 'POST',
      body: JSON.stringify({ text: 'Agent on A' }),
    });
    await until(() => visitorB.messages().length === 4);
    const replyMs = Date.now() - t;
    expect(visitorB.messages().at(-1)).toMatchObject({ seq: 4, author: 'agent', text: 'Agent on A' });

    // and the other way round: an agent replying through B reaches the visitor streaming from A
    const visitorA = sse(`/v1/chat/stream?key=${h.site.siteKey}&anonymousId=anon-x`, {
      'Last-Event-ID': '4',
    });
    await until(() => visitorA.events.some((e) => e.event === 'ready'));
    t = Date.now();
    const viaB = await appB.request(`/api/inbox/${conversationId}/messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${h.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'Agent on B' }),
    });
    expect(viaB.status).toBe(201);
    await until(() => visitorA.messages().length === 1);
    const backMs = Date.now() - t;
    expect(visitorA.messages()[0]).toMatchObject({ seq: 5, text: 'Agent on B' });

    console.log(`across processes: inbox ${inboxMs} ms, visitor ${replyMs} ms, back ${backMs} ms`);
    for (const ms of [inboxMs, replyMs, backMs]) expect(ms).toBeLessThan(1000);
    await Promise.all([inboxB.close(), visitorB.close(), visitorA.close()]);
    await until(() => hubB.size === 0 && hub.size === 0);

    // chat settings are cached in each process: a change through A applies in B within a version poll
    const widgetB = async () =>
      (await (await appB.request(`/v1/widget?key=${h.site.siteKey}`, { headers: { Origin: ORIGIN } })).json())
        .chat;
    expect(await widgetB()).toMatchObject({ enabled: true });
    await admin(`/api/sites/${h.site.id}/chat`, { method: 'PUT', body: JSON.stringify({ enabled: false }) });
    let off: unknown = {};
    const end = Date.now() + 2_000;
    while (off !== null && Date.now() < end) {
      await sleep(50);
      off = await widgetB();
    }
    expect(off).toBeNull();
  } finally {
    await storeB.close();
  }
});

test('open streams sleep: database reads per second do not grow with the number of streams', async () => {
  const { conversationId } = await (await say('Anyone?', 'r-1', 'anon-r')).json();
  const reads = vi.spyOn(h.store.client, 'execute');
  const readsOver = async (ms: number) => {
    const before = reads.mock.calls.length;
    await sleep(ms);
    return reads.mock.calls.length - before;
  };
  // even: visitor streams, odd: inbox streams
  const isInbox = (i: number) => i % 2 === 1;
  const open = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) =>
      isInbox(from + i)
        ? sse('/api/inbox/stream', { Authorization: `Bearer ${h.token}` })
        : sse(`/v1/chat/stream?key=${h.site.siteKey}&anonymousId=anon-r`),
    );
  const ready = (streams: ReturnType<typeof sse>[]) =>
    until(() => streams.every((s) => s.events.some((e) => e.event === 'ready')));
  try {
    const streams = open(0, 1);
    await ready(streams);
    await sleep(200); // the replay
    const withOne = await readsOver(1_000);
    streams.push(...open(1, 20));
    await ready(streams);
    await sleep(200);
    const beatsBefore = streams.map((s) => s.comments);
    const withTwenty = await readsOver(1_000);
    console.log(`database reads in 1 s: ${withOne} with 1 stream, ${withTwenty} with 20`);
    expect(withTwenty).toBeLessThanOrEqual(withOne + 3);
    expect(withTwenty).toBeLessThan(15);
    // the streams were alive all along: each sent heartbeats
    streams.forEach((s, i) => expect(s.comments).toBeGreaterThan(beatsBefore[i]));

    // one reply wakes every stream once, and each reads what is new
    await admin(`/api/inbox/${conversationId}/messages`, {
      method: 'POST',
      body: JSON.stringify({ text: 'Here!' }),
    });
    await until(() =>
      streams.every((s, i) =>
        isInbox(i)
          ? s.events.some((e) => e.event === 'conversation')
          : s.messages().some((m) => m.text === 'Here!'),
      ),
    );
    expect(hub.size).toBe(20);
    await Promise.all(streams.map((s) => s.close()));
    await until(() => hub.size === 0);
  } finally {
    reads.mockRestore();
  }
}, 15_000);

test('many first messages at once: all stored through the one writer, none waits on another', async () => {
  const t = Date.now();
  const replies = await Promise.all(
    Array.from({ length: 30 }, (_, i) => say(`first ${i}`, `burst-${i}`, `anon-burst-${i}`)),
  );
  const ms = Date.now() - t;
  expect(replies.map((r) => r.status)).toEqual(Array(30).fill(201));
  expect(await h.count('SELECT COUNT(*) FROM conversations')).toBe(30);
  // each: the visitor's message and the two auto-replies, each with its inbox change
  expect(await h.count('SELECT COUNT(*) FROM chat_messages')).toBe(90);
  expect(await h.count('SELECT COUNT(*) FROM inbox_changes')).toBe(90);
  console.log(`30 first messages at once: ${ms} ms`);
  expect(ms).toBeLessThan(5_000);
});

test('another browser cannot read or post to a conversation with the anonymous id alone', async () => {
  expect((await say('My order number is 1234', 'own-1', 'anon-own')).status).toBe(201);
  const thief = (token?: string) =>
    app.request('/v1/chat/messages', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', Origin: ORIGIN },
      body: JSON.stringify({
        key: h.site.siteKey,
        anonymousId: 'anon-own',
        clientId: 'thief-1',
        text: 'what did I say?',
        ...(token ? { token } : {}),
      }),
    });
  for (const res of [await thief(), await thief('a-guessed-token-0000')]) {
    expect(res.status).toBe(403);
    expect((await res.json()).error).toMatchObject({ code: 'chat_token', field: 'token' });
  }
  const read = (token: string) =>
    app.request(`/v1/chat/stream?key=${h.site.siteKey}&anonymousId=anon-own&token=${token}`, {
      headers: { Origin: ORIGIN },
    });
  expect((await read('a-guessed-token-0000')).status).toBe(403);
  expect(
    (
      await app.request(`/v1/chat/stream?key=${h.site.siteKey}&anonymousId=anon-own`, {
        headers: { Origin: ORIGIN },
      })
    ).status,
  ).toBe(403);
  // A stream opened before the first message, with another token, never receives the conversation.
  const early = sse(
    `/v1/chat/stream?key=${h.site.siteKey}&anonymousId=anon-late&token=someone-elses-token-00`,
  );
  await until(() => early.events.some((e) => e.event === 'ready'));
  expect((await say('Hello from the real browser', 'late-1', 'anon-late')).status).toBe(201);
  await new Promise((r) => setTimeout(r, 400));
  expect(early.messages()).toEqual([]);
  early.close();
  // The owner goes on.
  expect((await say('And one more thing', 'own-2', 'anon-own')).status).toBe(201);
  expect(await h.count("SELECT COUNT(*) FROM chat_messages WHERE text = 'what did I say?'")).toBe(0);
});
