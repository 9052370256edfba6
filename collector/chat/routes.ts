// Chat routes: the widget's public API under /v1 (widget settings, visitor messages, the visitor's SSE stream)
// and the per-site chat settings under /api/sites/:siteId/chat.
import { Hono } from 'hono';
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
} from '../../wire.ts';
import { type AuthVars, requireAdmin } from '../admin/auth.ts';
import type { Db } from '../db/client.ts';
import { readJson } from '../http/body.ts';
import { ApiError } from '../http/errors.ts';
import { siteForKey, widgetCors } from '../http/site-key.ts';
import { prepareEvent } from '../ingest/prepare.ts';
import { describeIssues } from '../ingest/routes.ts';
import type { SiteCache } from '../ingest/sites.ts';
import type { Writer } from '../ingest/writer.ts';
import { siteExists } from '../forms/store.ts';
import type { Hub } from './hub.ts';
import { resumeFrom, type StreamTiming, sseLoop } from './sse.ts';
import { addMessage, findConversation, getChatSettings, messagesAfter, setChatSettings } from './store.ts';

export interface ChatDeps {
  db: Db;
  sites: SiteCache;
  writer: Writer;
  hub: Hub;
  timing: StreamTiming;
}

/**
 * The launcher button's stylesheet, sent with the settings so tp.js (3 KB budget) carries no CSS. The core adopts
 * it as a constructable sheet in the button's shadow root: a strict CSP allows it. Colour and position were
 * validated by ChatSettingsSchema (#rrggbb, right|left), so nothing here can break out of a declaration.
 */
export const launcherCss = (c: Pick<ChatSettings, 'color' | 'position'>): string =>
  `:host{all:initial!important;--c:${c.color}}` +
  `.l{position:fixed;bottom:20px;${c.position}:20px;z-index:2147483000;width:56px;height:56px;border:0;` +
  'border-radius:50%;background:var(--c);color:#fff;font:24px/1 serif;cursor:pointer}';

const EMAIL_IN_TEXT = /[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[a-z]{2,}/i;

export const visitorWaitTopic = (siteId: string, anonymousId: string) => `v:${siteId}:${anonymousId}`;
export const INBOX_TOPIC = 'inbox';

function parse<T extends v.GenericSchema>(schema: T, body: unknown, code: string): v.InferOutput<T> {
  const r = v.safeParse(schema, body);
  if (r.success) return r.output;
  const { field, message } = describeIssues(r.issues);
  throw new ApiError(400, code, message, field);
}

/** Mounted at /v1. */
export function chatPublicRoutes(deps: ChatDeps): Hono {
  const { db, sites, writer, hub } = deps;
  const app = new Hono();
  app.use('/widget', widgetCors(sites));
  app.use('/chat/*', widgetCors(sites));

  app.get('/widget', async function widget(c) {
    const site = await siteForKey(sites, c.req.query('key'), c.req.header('origin'));
    const chat = await getChatSettings(db, site.id);
    c.header('Cache-Control', 'public, max-age=60');
    return c.json({
      chat: chat?.enabled ? { ...chat, css: launcherCss(chat) } : null,
    } satisfies WidgetSettings);
  });

  /** A visitor message: stored, answered by the auto-reply, and put on the timeline as a `Chat Message`. */
  app.post('/chat/messages', async function visitorMessage(c) {
    const post = parse(ChatPostSchema, await readJson(c.req), 'invalid_message');
    const site = await siteForKey(sites, post.key, c.req.header('origin'));
    const found = post.text.match(EMAIL_IN_TEXT)?.[0]?.toLowerCase();
    const typed = found && isStorable(found) ? found : undefined; // it becomes an identity key
    const known = post.email && EMAIL_IN_TEXT.test(post.email) ? post.email.toLowerCase() : undefined;
    const before = await findConversation(db, site.id, post.anonymousId);
    const added = await addMessage(db, site.id, post.anonymousId, {
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
      context: { ...(email && { traits: { email } }), ...(post.url && { page: { url: post.url } }) },
      timestamp: message.at,
    });
    await writer.submit(site.id, [prepareEvent(event, JSON.stringify(event), Date.now())]);
    if (!added.duplicate) {
      const settings = await getChatSettings(db, site.id);
      const replies: string[] = [];
      if (added.first && settings?.autoReply) replies.push(settings.autoReply);
      if (added.first && !conversation.email && settings?.askEmail) replies.push(settings.askEmail);
      if (typed && !before?.email && !added.first) replies.push(`Thanks! We'll get back to you at ${typed}.`);
      for (const text of replies) await addMessage(db, site.id, post.anonymousId, { author: 'auto', text });
      hub.notify(visitorWaitTopic(site.id, post.anonymousId));
      hub.notify(INBOX_TOPIC);
    }
    return c.json(
      { conversationId: conversation.id, message, duplicate: added.duplicate } satisfies ChatPostReply,
      added.duplicate ? 200 : 201,
    );
  });

  /** The visitor's live stream: every message of their conversation after Last-Event-ID (the history on a first connect). */
  app.get('/chat/stream', async function visitorStream(c) {
    const site = await siteForKey(sites, c.req.query('key'), c.req.header('origin'));
    const anonymousId = c.req.query('anonymousId');
    if (!anonymousId || anonymousId.length > 200)
      throw new ApiError(400, 'invalid_query', 'anonymousId is required', 'anonymousId');
    let conversationId: string | null = null;
    // before the first message there is no conversation: wait on the visitor, then on the conversation
    return sseLoop(
      c,
      hub,
      visitorWaitTopic(site.id, anonymousId),
      deps.timing,
      async (last, send) => {
        conversationId ??= (await findConversation(db, site.id, anonymousId))?.id ?? null;
        if (!conversationId) return last;
        for (const m of await messagesAfter(db, conversationId, last)) {
          await send(m.seq, 'message', m);
          last = m.seq;
        }
        return last;
      },
      resumeFrom(c),
    );
  });

  return app;
}

/** Mounted at /api/sites/:siteId/chat. */
export function chatSettingsRoutes(db: Db, sites: SiteCache): Hono<AuthVars> {
  const app = new Hono<AuthVars>();
  app.use('*', requireAdmin(db));
  app.use('*', async function knownSite(c, next) {
    if (!(await siteExists(db, c.req.param('siteId')!)))
      throw new ApiError(404, 'not_found', 'no such site', 'siteId');
    return next();
  });
  app.get('/', async (c) => c.json({ chat: await getChatSettings(db, c.req.param('siteId')!) }));
  app.put('/', async (c) => {
    const chat = parse(ChatSettingsSchema, await readJson(c.req), 'invalid_settings');
    await setChatSettings(db, c.req.param('siteId')!, chat);
    sites.clear();
    return c.json({ chat });
  });
  return app;
}
