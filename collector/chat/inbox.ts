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
import type { Db } from '../db/client.ts';
import { readJson } from '../http/body.ts';
import { ApiError } from '../http/errors.ts';
import { describeIssues } from '../ingest/routes.ts';
import type { Hub } from './hub.ts';
import { INBOX_TOPIC, visitorWaitTopic } from './routes.ts';
import { resumeFrom, type StreamTiming, sseLoop } from './sse.ts';
import {
  addMessage,
  changesAfter,
  getConversation,
  lastChangeId,
  listConversations,
  messagesAfter,
  updateConversation,
  userExists,
} from './store.ts';

async function body<T extends v.GenericSchema>(c: { req: { text(): Promise<string> } }, schema: T) {
  const r = v.safeParse(schema, await readJson(c.req));
  if (r.success) return r.output as v.InferOutput<T>;
  const { field, message } = describeIssues(r.issues);
  throw new ApiError(400, 'invalid_body', message, field);
}

const missing = () => new ApiError(404, 'not_found', 'no such conversation');

export function inboxRoutes(db: Db, hub: Hub, timing: StreamTiming): Hono<AuthVars> {
  const app = new Hono<AuthVars>();
  app.use('*', requireAdmin(db));

  app.get('/', async function inbox(c) {
    const status = c.req.query('status');
    if (status && status !== 'open' && status !== 'closed')
      throw new ApiError(400, 'invalid_query', 'status must be one of open, closed', 'status');
    const conversations = await listConversations(db, {
      status: (status || undefined) as ConversationStatus | undefined,
      siteId: c.req.query('siteId') || undefined,
    });
    return c.json({ conversations } satisfies InboxReply);
  });

  /** Changes after Last-Event-ID (or, on a first connect, from now on): `event: conversation`, data InboxChange. */
  app.get('/stream', async function inboxStream(c) {
    const siteId = c.req.query('siteId') || undefined;
    const resumed = resumeFrom(c);
    const start = resumed || (await lastChangeId(db));
    return sseLoop(
      c,
      hub,
      INBOX_TOPIC,
      timing,
      async (last, send) => {
        for (const ch of await changesAfter(db, last, siteId)) {
          await send(ch.id, 'conversation', ch);
          last = ch.id;
        }
        return last;
      },
      start,
    );
  });

  app.get('/:id', async function conversation(c) {
    const conversation = await getConversation(db, c.req.param('id'));
    if (!conversation) throw missing();
    const messages = await messagesAfter(db, conversation.id, 0, 5_000);
    return c.json({ conversation, messages } satisfies ConversationReply);
  });

  app.post('/:id/messages', async function reply(c) {
    const { text } = await body(c, AgentReplySchema);
    const conv = await getConversation(db, c.req.param('id'));
    if (!conv) throw missing();
    const added = await addMessage(db, conv.siteId, conv.anonymousId, {
      author: 'agent',
      text,
      userId: c.get('user')?.id ?? null,
    });
    hub.notify(visitorWaitTopic(conv.siteId, conv.anonymousId));
    hub.notify(INBOX_TOPIC);
    return c.json({ message: added.message }, 201);
  });

  const update =
    (kind: 'status' | 'read', set: Parameters<typeof updateConversation>[3]) =>
    async (c: { req: { param(k: 'id'): string } }) => {
      if (!(await updateConversation(db, c.req.param('id'), kind, set))) throw missing();
      hub.notify(INBOX_TOPIC);
      return (await getConversation(db, c.req.param('id')))!;
    };
  const close = update('status', { status: 'closed' });
  const reopen = update('status', { status: 'open' });
  const read = update('read', { readAll: true });
  app.post('/:id/close', async (c) => c.json({ conversation: await close(c) }));
  app.post('/:id/reopen', async (c) => c.json({ conversation: await reopen(c) }));
  app.post('/:id/read', async (c) => c.json({ conversation: await read(c) }));

  app.post('/:id/assign', async function assign(c) {
    const { userId } = await body(c, AssignSchema);
    if (userId && !(await userExists(db, userId)))
      throw new ApiError(400, 'unknown_user', 'userId is not a user', 'userId');
    if (!(await updateConversation(db, c.req.param('id'), 'assign', { assigneeId: userId }))) throw missing();
    hub.notify(INBOX_TOPIC);
    return c.json({ conversation: await getConversation(db, c.req.param('id')) });
  });

  return app;
}
