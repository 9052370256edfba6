// All SQL for chat: per-site settings, conversations, their numbered messages and the inbox change log, and
// the row ↔ wire mapping. Chat settings are read on every widget load, so they are cached per process and
// dropped when any process changes them (store_versions). Every message and conversation change writes one
// inbox_changes row in the same write; the change feed (chat-feed.ts) tells the streams about it.
import type { Db as Client } from './client.ts';
import * as v from 'valibot';
import {
  type ChatAuthor,
  type ChatMessage,
  type ChatSettings,
  ChatSettingsSchema,
  type ConversationStatus,
  type ConversationSummary,
  type InboxChange,
} from '../../../wire.ts';
import { newId } from '../../admin/secrets.ts';
import type { AddedChatMessage, ChatChange, ChatStore, ConversationRef, NewChatMessage } from '../types.ts';
import { type ChatFeed, lastChangeId } from './chat-feed.ts';
import { leadAnswered, profileOfKey } from './leads.ts';
import { conversationContext, unansweredLeads } from './inbox-context.ts';
import { type VersionWatch, writeChanging } from './versions.ts';
import type { Exec, WriteFn } from './writer.ts';

type Row = Record<string, unknown>;

/** A cached setting is re-read after this long even if no change was seen (a safety net, not the mechanism). */
const TTL_MS = 60_000;

const iso = (ms: unknown) => new Date(Number(ms)).toISOString();

function settingsFromRow(row: Row | undefined): ChatSettings | null {
  // stored settings were valid when written; parsing again fills defaults added since
  return row ? v.parse(ChatSettingsSchema, JSON.parse(String(row.settings))) : null;
}

function messageFromRow(r: Row): ChatMessage {
  return {
    seq: Number(r.seq),
    id: String(r.id),
    author: String(r.author) as ChatAuthor,
    text: String(r.text),
    at: iso(r.at),
  };
}

/** A conversation `c` with its unread count and last message. */
const SUMMARY_COLUMNS = `c.*,
  (SELECT COUNT(*) FROM chat_messages m WHERE m.conversation_id = c.id AND m.author = 'visitor' AND m.seq > c.agent_read_seq) AS unread,
  (SELECT json_object('seq', m.seq, 'id', m.id, 'author', m.author, 'text', m.text, 'at', m.at)
     FROM chat_messages m WHERE m.conversation_id = c.id ORDER BY m.seq DESC LIMIT 1) AS last`;
const SUMMARY = `SELECT ${SUMMARY_COLUMNS} FROM conversations c`;

function summaryFromRow(r: Row): ConversationSummary {
  const last = r.last ? (JSON.parse(String(r.last)) as Row) : null;
  return {
    id: String(r.id),
    siteId: String(r.site_id),
    anonymousId: String(r.anonymous_id),
    email: r.email == null ? null : String(r.email),
    status: String(r.status) as ConversationStatus,
    assigneeId: r.assignee_id == null ? null : String(r.assignee_id),
    unread: Number(r.unread),
    lastMessage: last ? messageFromRow(last) : null,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

async function findConversation(
  db: Exec,
  siteId: string,
  anonymousId: string,
): Promise<ConversationRef | null> {
  const rs = await db.execute({
    sql: 'SELECT id, site_id, anonymous_id, email, last_seq, token_hash FROM conversations WHERE site_id = ? AND anonymous_id = ?',
    args: [siteId, anonymousId],
  });
  const r = rs.rows[0];
  return r
    ? {
        id: String(r.id),
        siteId: String(r.site_id),
        anonymousId: String(r.anonymous_id),
        email: r.email == null ? null : String(r.email),
        lastSeq: Number(r.last_seq),
        tokenHash: r.token_hash == null ? null : String(r.token_hash),
      }
    : null;
}

async function getConversation(db: Exec, id: string): Promise<ConversationSummary | null> {
  const rs = await db.execute({ sql: `${SUMMARY} WHERE c.id = ?`, args: [id] });
  return rs.rows[0] ? summaryFromRow(rs.rows[0]) : null;
}

/** Records a change in the inbox change log; returns it as the feed tells it. */
async function logChange(
  tx: Exec,
  conv: { id: string; siteId: string; anonymousId: string },
  kind: InboxChange['kind'],
): Promise<ChatChange> {
  const rs = await tx.execute({
    sql: 'INSERT INTO inbox_changes (site_id, conversation_id, kind, at) VALUES (?, ?, ?, ?) RETURNING id',
    args: [conv.siteId, conv.id, kind, Date.now()],
  });
  return {
    id: Number(rs.rows[0].id),
    kind,
    siteId: conv.siteId,
    conversationId: conv.id,
    anonymousId: conv.anonymousId,
  };
}

/**
 * Appends a message to the visitor's conversation (made on the first message) inside the caller's transaction:
 * the chat store's write, and an automation's chat reply.
 */
export async function appendMessage(
  tx: Exec,
  siteId: string,
  anonymousId: string,
  m: NewChatMessage,
): Promise<AddedChatMessage & { change: ChatChange | null }> {
  const now = Date.now();
  let conv = await findConversation(tx, siteId, anonymousId);
  if (!conv) {
    const id = `c_${newId(14)}`;
    await tx.execute({
      sql: 'INSERT INTO conversations (id, site_id, anonymous_id, email, created_at, updated_at, token_hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
      args: [id, siteId, anonymousId, m.email ?? null, now, now, m.tokenHash ?? null],
    });
    conv = { id, siteId, anonymousId, email: null, lastSeq: 0, tokenHash: m.tokenHash ?? null };
  } else if (m.tokenHash && !conv.tokenHash) {
    // A conversation from before tokens: the browser that writes next holds it from now on.
    await tx.execute({
      sql: 'UPDATE conversations SET token_hash = ? WHERE id = ? AND token_hash IS NULL',
      args: [m.tokenHash, conv.id],
    });
    conv.tokenHash = m.tokenHash;
  }
  const previousEmail = conv.email;
  if (m.clientId) {
    const dup = await tx.execute({
      sql: 'SELECT * FROM chat_messages WHERE conversation_id = ? AND client_id = ?',
      args: [conv.id, m.clientId],
    });
    if (dup.rows[0]) {
      const message = messageFromRow(dup.rows[0]);
      return {
        conversation: conv,
        message,
        duplicate: true,
        first: false,
        previousEmail,
        change: null,
      };
    }
  }
  const seq = conv.lastSeq + 1;
  const message: ChatMessage = {
    seq,
    id: `m_${newId(14)}`,
    author: m.author,
    text: m.text,
    at: iso(now),
  };
  await tx.execute({
    sql: 'INSERT INTO chat_messages (conversation_id, seq, id, client_id, author, user_id, text, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    args: [conv.id, seq, message.id, m.clientId ?? null, m.author, m.userId ?? null, m.text, now],
  });
  const email = conv.email ?? m.email ?? null;
  await tx.execute({
    sql: `UPDATE conversations SET last_seq = ?, updated_at = ?, email = ?,
            status = CASE WHEN ? = 'visitor' THEN 'open' ELSE status END,
            agent_read_seq = CASE WHEN ? = 'agent' THEN ? ELSE agent_read_seq END
          WHERE id = ?`,
    args: [seq, now, email, m.author, m.author, seq, conv.id],
  });
  if (m.author === 'agent') {
    // An agent's reply answers the lead (speed to lead).
    const profileId = await profileOfKey(tx, siteId, `a:${anonymousId}`);
    if (profileId) await leadAnswered(tx, profileId, now);
  }
  const change = await logChange(tx, conv, 'message');
  const conversation = { ...conv, email, lastSeq: seq };
  return { conversation, message, duplicate: false, first: seq === 1, previousEmail, change };
}

export function createChatStore(
  client: Client,
  write: <T>(fn: WriteFn<T>) => Promise<T>,
  versions: VersionWatch,
  feed: ChatFeed,
): ChatStore {
  const cache = new Map<string, { settings: ChatSettings | null; until: number }>();
  // A read that began before a change must not put what it read in the cache after the change cleared it.
  let generation = 0;
  versions.on('chat', () => {
    cache.clear();
    generation++;
  });

  async function settings(siteId: string): Promise<ChatSettings | null> {
    const rs = await client.execute({
      sql: 'SELECT settings FROM chat_settings WHERE site_id = ?',
      args: [siteId],
    });
    return settingsFromRow(rs.rows[0]);
  }

  return {
    settings,
    async cachedSettings(siteId) {
      const hit = cache.get(siteId);
      if (hit && hit.until > Date.now()) return hit.settings;
      const before = generation;
      const found = await settings(siteId);
      if (before === generation) {
        if (cache.size > 5_000) cache.clear();
        cache.set(siteId, { settings: found, until: Date.now() + TTL_MS });
      }
      return found;
    },
    async setSettings(siteId, chat) {
      await writeChanging(write, versions, 'chat', (tx) =>
        tx.execute({
          sql: `INSERT INTO chat_settings (site_id, settings, updated_at) VALUES (?, ?, ?)
                ON CONFLICT(site_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
          args: [siteId, JSON.stringify(chat), Date.now()],
        }),
      );
    },

    findConversation: (siteId, anonymousId) => findConversation(client, siteId, anonymousId),

    async addMessage(siteId, anonymousId, m) {
      const out = await write((tx) => appendMessage(tx, siteId, anonymousId, m));
      const { change, ...added } = out;
      if (change) feed.committed(change);
      return added;
    },

    async messagesAfter(conversationId, after, limit = 500) {
      const rs = await client.execute({
        sql: 'SELECT * FROM chat_messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?',
        args: [conversationId, after, limit],
      });
      return rs.rows.map(messageFromRow);
    },

    async listConversations(filter) {
      const where: string[] = [];
      const args: (string | number)[] = [];
      if (filter.status) where.push('c.status = ?') && args.push(filter.status);
      if (filter.siteId) where.push('c.site_id = ?') && args.push(filter.siteId);
      const rs = await client.execute({
        sql: `${SUMMARY} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.updated_at DESC LIMIT ?`,
        args: [...args, filter.limit ?? 100],
      });
      return rs.rows.map(summaryFromRow);
    },

    getConversation: (id) => getConversation(client, id),

    async updateConversation(id, kind, set) {
      const out = await write(async (tx) => {
        const rs = await tx.execute({
          sql: 'SELECT site_id, anonymous_id FROM conversations WHERE id = ?',
          args: [id],
        });
        if (!rs.rows[0]) return null;
        const conv = { id, siteId: String(rs.rows[0].site_id), anonymousId: String(rs.rows[0].anonymous_id) };
        const cols: string[] = ['updated_at = ?'];
        const args: (string | number | null)[] = [Date.now()];
        if (set.status) cols.push('status = ?') && args.push(set.status);
        if (set.assigneeId !== undefined) cols.push('assignee_id = ?') && args.push(set.assigneeId);
        if (set.readAll) cols.push('agent_read_seq = last_seq');
        await tx.execute({
          sql: `UPDATE conversations SET ${cols.join(', ')} WHERE id = ?`,
          args: [...args, id],
        });
        const change = await logChange(tx, conv, kind);
        return { change, conversation: (await getConversation(tx, id))! };
      });
      if (!out) return null;
      feed.committed(out.change);
      return out.conversation;
    },

    async changesAfter(after, siteId, limit = 200) {
      // one query: each change with its conversation as it is now
      const rs = await client.execute({
        sql: `SELECT ch.id AS change_id, ch.kind AS change_kind, ${SUMMARY_COLUMNS}
              FROM inbox_changes ch JOIN conversations c ON c.id = ch.conversation_id
              WHERE ch.id > ? ${siteId ? 'AND ch.site_id = ?' : ''} ORDER BY ch.id LIMIT ?`,
        args: siteId ? [after, siteId, limit] : [after, limit],
      });
      return rs.rows.map((r) => ({
        id: Number(r.change_id),
        kind: String(r.change_kind) as InboxChange['kind'],
        conversation: summaryFromRow(r),
      }));
    },

    lastChangeId: () => lastChangeId(client),

    watch: (listener) => feed.watch(listener),

    unansweredLeads: (filter) => unansweredLeads(client, filter),
    conversationContext: (id) => conversationContext(client, id),
  };
}
