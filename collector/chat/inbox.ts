// The inbox API for the dashboard under /api/inbox: list conversations, read one, reply, close or reopen,
// assign, and an SSE stream of inbox changes.
import { Hono } from 'hono';
import * as v from 'valibot';
import {
  AgentReplySchema,
  AssignSchema,
  type ConversationReply,
  type ConversationStatus,
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
