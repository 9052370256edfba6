// Chat routes: the widget's public API under /v1 (widget settings, visitor messages, the visitor's SSE stream)
// and the per-site chat settings under /api/sites/:siteId/chat.
import { timingSafeEqual } from 'node:crypto';
import { type Context, Hono } from 'hono';
import * as v from 'valibot';
import {
  CHAT_EVENT,
  type ChatPostReply,
  ChatPostSchema,
  type ChatSettings,
  ChatSettingsSchema,
  EventSchema,
  isStorable,
  type WidgetSettings,
  type WireEvent,
} from '../../wire.ts';
import { adminOnly, type AuthVars, requireAdmin } from '../admin/auth.ts';
import { identityKeys } from '../identity/identifiers.ts';
import { minimiseUrl } from '../ingest/minimise.ts';
import { newSecret, sha256 } from '../admin/secrets.ts';
import { readJson } from '../http/body.ts';
import { ApiError } from '../http/errors.ts';
import { siteForKey, widgetCors } from '../http/site-key.ts';
import { prepareEvent } from '../ingest/prepare.ts';
import { describeIssues } from '../ingest/routes.ts';
import type { ConversationRef, Store } from '../store/types.ts';
import { type Hub, visitorWaitTopic } from './hub.ts';
import { PAGE, resumeFrom, type StreamTiming, sseLoop } from './sse.ts';

export interface ChatDeps {
  store: Store;
  hub: Hub;
  timing: StreamTiming;
  /** The chat rate limit: throws a 429 when this request's address may not post another message now. */
  admitMessage?: (c: Context) => void;
}

/**
 * The launcher button's stylesheet, sent with the settings so tp.js (3 KB budget) carries no CSS. The core adopts
 * it as a constructable sheet in the button's shadow root: a strict CSP allows it. Colour and position were
 * validated by ChatSettingsSchema (#rrggbb, right|left), so nothing here can break out of a declaration.
 */
/** What the widget needs to know of a site: its chat settings with the launcher's stylesheet, if chat is on. */
export async function widgetSettings(
  chats: Pick<Store['chat'], 'cachedSettings'>,
  siteId: string,
): Promise<WidgetSettings> {
  const chat = await chats.cachedSettings(siteId);
  return { chat: chat?.enabled ? { ...chat, css: launcherCss(chat) } : null };
}

export const launcherCss = (c: Pick<ChatSettings, 'color' | 'position'>): string =>
  `:host{all:initial!important;--c:${c.color}}` +
  `.l{position:fixed;bottom:20px;${c.position}:20px;z-index:2147483000;width:56px;height:56px;border:0;` +
  'border-radius:50%;background:var(--c);color:#fff;font:24px/1 serif;cursor:pointer}';

const EMAIL_IN_TEXT = /[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[a-z]{2,}/i;

function parse<T extends v.GenericSchema>(schema: T, body: unknown, code: string): v.InferOutput<T> {
  const r = v.safeParse(schema, body);
  if (r.success) return r.output;
  const { field, message } = describeIssues(r.issues);
  throw new ApiError(400, code, message, field);
}

/** Mounted at /v1. */
export function chatPublicRoutes(deps: ChatDeps): Hono {
  const { store, hub } = deps;
  const { sites, chat: chats } = store;
  const app = new Hono();
  app.use('/widget', widgetCors(sites));
  app.use('/chat/*', widgetCors(sites));

  app.get('/widget', async function widget(c) {
    const site = await siteForKey(sites, c.req.query('key'), c.req.header('origin'));
    c.header('Cache-Control', 'public, max-age=60');
    return c.json(await widgetSettings(chats, site.id));
  });

  /** A visitor message: stored, answered by the auto-reply, and put on the timeline as a `Chat Message`. */
  app.post('/chat/messages', async function visitorMessage(c) {
    deps.admitMessage?.(c);
    const post = parse(ChatPostSchema, await readJson(c.req), 'invalid_message');
    const site = await siteForKey(sites, post.key, c.req.header('origin'));
    const found = post.text.match(EMAIL_IN_TEXT)?.[0]?.toLowerCase();
    const typed = found && isStorable(found) ? found : undefined; // it becomes an identity key
    const known = post.email && EMAIL_IN_TEXT.test(post.email) ? post.email.toLowerCase() : undefined;
    // An erased person's browser (or user id, or address) starts nothing again: like their events, their messages
    // are not kept, and a message queued before the erasure cannot bring its conversation back. The widget
    // starts afresh as a new visitor on this answer.
    const keys = identityKeys({
      type: 'track',
      event: CHAT_EVENT,
      messageId: 'claimed',
      anonymousId: post.anonymousId,
      userId: post.userId,
      context: { traits: { email: typed ?? known } },
    } as WireEvent);
    if (await store.privacy.erased(site.id, keys)) {
      throw new ApiError(410, 'erased', 'this visitor was erased: its messages are not kept', 'anonymousId');
    }
    // The conversation belongs to the browser holding its token; the first message makes one.
    const held = await chats.findConversation(site.id, post.anonymousId);
    // The widget makes the token before its first message (so a stream it opened earlier can already read the
    // conversation once it exists); a client without one is given one here.
    let token: string | undefined;
    if (held?.tokenHash) {
      if (!post.token || !sameHash(held.tokenHash, sha256(post.token)))
        throw new ApiError(403, 'chat_token', 'this conversation belongs to another browser', 'token');
    } else token = post.token ?? newSecret('ct_', 32);
    const added = await chats.addMessage(site.id, post.anonymousId, {
      ...(token ? { tokenHash: sha256(token) } : {}),
      author: 'visitor',
      text: post.text,
      clientId: post.clientId,
      userId: post.userId,
      email: typed ?? known,
    });
    const { conversation, message } = added;
    const email = typed ?? conversation.email ?? undefined;
    const event = v.parse(EventSchema, {
      type: 'track',
      event: CHAT_EVENT,
      messageId: `chat-${message.id}`,
      anonymousId: post.anonymousId,
      userId: post.userId ?? undefined,
      properties: {
        conversationId: conversation.id,
        seq: message.seq,
        text: post.text.slice(0, 2048),
        ...(email && { email }),
      },
      // a claimed email: the identity rules read context.traits
      context: {
        ...(email && { traits: { email } }),
        ...(post.url && { page: { url: minimiseUrl(post.url) } }),
      },
      timestamp: message.at,
    });
    await store.events.submit(site.id, [prepareEvent(event, JSON.stringify(event), Date.now())]);
    if (!added.duplicate) {
      const settings = await chats.cachedSettings(site.id);
      const replies: string[] = [];
      if (added.first && settings?.autoReply) replies.push(settings.autoReply);
      if (added.first && !conversation.email && settings?.askEmail) replies.push(settings.askEmail);
      if (typed && !added.previousEmail && !added.first)
        replies.push(`Thanks! We'll get back to you at ${typed}.`);
      for (const text of replies) await chats.addMessage(site.id, post.anonymousId, { author: 'auto', text });
    }
    return c.json(
      {
        conversationId: conversation.id,
        message,
        duplicate: added.duplicate,
        ...(token && !post.token && added.conversation.tokenHash === sha256(token) ? { token } : {}),
      } satisfies ChatPostReply,
      added.duplicate ? 200 : 201,
    );
  });

  /** The visitor's live stream: every message of their conversation after Last-Event-ID (the history on a first connect). */
  app.get('/chat/stream', async function visitorStream(c) {
    const site = await siteForKey(sites, c.req.query('key'), c.req.header('origin'));
    const anonymousId = c.req.query('anonymousId');
    if (!anonymousId || anonymousId.length > 200)
      throw new ApiError(400, 'invalid_query', 'anonymousId is required', 'anonymousId');
    const token = c.req.query('token') ?? '';
    /** Only the browser holding the conversation's token reads it (the anonymous id alone is not enough). */
    const holds = (conv: ConversationRef) =>
      !!conv.tokenHash && !!token && sameHash(conv.tokenHash, sha256(token));
    const found = await chats.findConversation(site.id, anonymousId);
    if (found?.tokenHash && !holds(found))
      throw new ApiError(403, 'chat_token', 'this conversation belongs to another browser', 'token');
    let conversationId: string | null = null;
    // before the first message there is no conversation: wait on the visitor, then on the conversation
    return sseLoop(
      c,
      hub,
      visitorWaitTopic(site.id, anonymousId),
      deps.timing,
      async (last, send) => {
        if (!conversationId) {
          // It appeared while this stream waited: it is read only with its token.
          const conv = await chats.findConversation(site.id, anonymousId);
          if (!conv || !holds(conv)) return last;
          conversationId = conv.id;
        }
        for (;;) {
          const page = await chats.messagesAfter(conversationId, last, PAGE);
          for (const m of page) {
            await send(m.seq, 'message', m);
            last = m.seq;
          }
          if (page.length < PAGE) return last;
        }
      },
      resumeFrom(c),
    );
  });

  return app;
}

/** Compares two hex hashes in constant time. */
function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Mounted at /api/sites/:siteId/chat. */
export function chatSettingsRoutes(store: Store): Hono<AuthVars> {
  const app = new Hono<AuthVars>();
  app.use('*', requireAdmin(store));
  app.use('*', async function knownSite(c, next) {
    if (!(await store.sites.byId(c.req.param('siteId')!)))
      throw new ApiError(404, 'not_found', 'no such site', 'siteId');
    return next();
  });
  app.get('/', async (c) => c.json({ chat: await store.chat.settings(c.req.param('siteId')!) }));
  app.put('/', adminOnly, async (c) => {
    const chat = parse(ChatSettingsSchema, await readJson(c.req), 'invalid_settings');
    await store.chat.setSettings(c.req.param('siteId')!, chat);
    return c.json({ chat });
  });
  return app;
}
