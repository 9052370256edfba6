// The inbox API for the dashboard under /api/inbox: list conversations, read one, reply, close or reopen,
// assign, an SSE stream of inbox changes, the leads no one has answered yet, and a conversation's context.
import { Hono } from 'hono';
import * as v from 'valibot';
import {
  AgentReplySchema,
  AssignSchema,
  type ConversationContextReply,
  type ConversationReply,
  type ConversationStatus,
  type InboxLeadsReply,
  type InboxReply,
} from '../../wire.ts';
import { type AuthVars, requireAdmin } from '../admin/auth.ts';
import type { ConversationUpdate, Store } from '../store/types.ts';
import { readJson } from '../http/body.ts';
import { ApiError } from '../http/errors.ts';
import { describeIssues } from '../ingest/routes.ts';
import { type Hub, INBOX_TOPIC } from './hub.ts';
import { PAGE, resumeFrom, type StreamTiming, sseLoop } from './sse.ts';

async function body<T extends v.GenericSchema>(c: { req: { text(): Promise<string> } }, schema: T) {
  const r = v.safeParse(schema, await readJson(c.req));
  if (r.success) return r.output as v.InferOutput<T>;
  const { field, message } = describeIssues(r.issues);
  throw new ApiError(400, 'invalid_body', message, field);
}

const missing = () => new ApiError(404, 'not_found', 'no such conversation');

/** A whole number query parameter within bounds (the default when absent), else 400 naming it. */
function wholeQuery(value: string | undefined, field: string, min: number, max: number, fallback: number) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new ApiError(400, 'invalid_query', `${field} must be a whole number from ${min} to ${max}`, field);
  return n;
}

export function inboxRoutes(store: Store, hub: Hub, timing: StreamTiming): Hono<AuthVars> {
  const app = new Hono<AuthVars>();
  const { chat } = store;
  app.use('*', requireAdmin(store));

  app.get('/', async function inbox(c) {
    const status = c.req.query('status');
    if (status && status !== 'open' && status !== 'closed')
      throw new ApiError(400, 'invalid_query', 'status must be one of open, closed', 'status');
    const conversations = await chat.listConversations({
      status: (status || undefined) as ConversationStatus | undefined,
      siteId: c.req.query('siteId') || undefined,
    });
    return c.json({ conversations } satisfies InboxReply);
  });

  /** Changes after Last-Event-ID (or, on a first connect, from now on): `event: conversation`, data InboxChange. */
  app.get('/stream', async function inboxStream(c) {
    const siteId = c.req.query('siteId') || undefined;
    const resumed = resumeFrom(c);
    const start = resumed || (await chat.lastChangeId());
    return sseLoop(
      c,
      hub,
      INBOX_TOPIC,
      timing,
      async (last, send) => {
        for (;;) {
          const page = await chat.changesAfter(last, siteId, PAGE);
          for (const ch of page) {
            await send(ch.id, 'conversation', ch);
            last = ch.id;
          }
          if (page.length < PAGE) return last;
        }
      },
      start,
    );
  });

  /** Leads no person has answered yet, oldest first: `?site=` one site's, `?limit=` 1 to 100 (50). */
  app.get('/leads', async function unansweredLeads(c) {
    const limit = wholeQuery(c.req.query('limit'), 'limit', 1, 100, 50);
    const site = c.req.query('site');
    if (site !== undefined && !(site && (await store.sites.byId(site))))
      throw new ApiError(400, 'invalid_query', 'site is not a site', 'site');
    const reply = await chat.unansweredLeads({ siteId: site, limit });
    return c.json(reply satisfies InboxLeadsReply);
  });

  /** The visitor beside a conversation: profile, lead clock, this session's pages, the page they are on now. */
  app.get('/:id/context', async function conversationContext(c) {
    const context = await chat.conversationContext(c.req.param('id'));
    if (!context) throw missing();
    return c.json(context satisfies ConversationContextReply);
  });

  app.get('/:id', async function conversation(c) {
    const conversation = await chat.getConversation(c.req.param('id'));
    if (!conversation) throw missing();
    const messages = await chat.messagesAfter(conversation.id, 0, 5_000);
    return c.json({ conversation, messages } satisfies ConversationReply);
  });

  app.post('/:id/messages', async function reply(c) {
    const { text } = await body(c, AgentReplySchema);
    const conv = await chat.getConversation(c.req.param('id'));
    if (!conv) throw missing();
    const added = await chat.addMessage(conv.siteId, conv.anonymousId, {
      author: 'agent',
      text,
      userId: c.get('user')?.id ?? null,
    });
    return c.json({ message: added.message }, 201);
  });

  const update =
    (kind: 'status' | 'read', set: ConversationUpdate) => async (c: { req: { param(k: 'id'): string } }) => {
      const conversation = await chat.updateConversation(c.req.param('id'), kind, set);
      if (!conversation) throw missing();
      return conversation;
    };
  const close = update('status', { status: 'closed' });
  const reopen = update('status', { status: 'open' });
  const read = update('read', { readAll: true });
  app.post('/:id/close', async (c) => c.json({ conversation: await close(c) }));
  app.post('/:id/reopen', async (c) => c.json({ conversation: await reopen(c) }));
  app.post('/:id/read', async (c) => c.json({ conversation: await read(c) }));

  app.post('/:id/assign', async function assign(c) {
    const { userId } = await body(c, AssignSchema);
    if (userId && !(await store.accounts.userExists(userId)))
      throw new ApiError(400, 'unknown_user', 'userId is not a user', 'userId');
    const conversation = await chat.updateConversation(c.req.param('id'), 'assign', { assigneeId: userId });
    if (!conversation) throw missing();
    return c.json({ conversation });
  });

  return app;
}
