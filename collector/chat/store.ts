// All SQL for chat: per-site settings, conversations, their numbered messages and the inbox change feed.
import * as v from 'valibot';
import {
  type ChatAuthor,
  type ChatMessage,
  type ChatSettings,
  ChatSettingsSchema,
  type ConversationStatus,
  type ConversationSummary,
  type InboxChange,
} from '../../wire.ts';
import { newId } from '../admin/secrets.ts';
import type { Client as Db } from '@libsql/client';

type Row = Record<string, unknown>;
type Tx = Pick<Db, 'execute'>;

export async function getChatSettings(db: Db, siteId: string): Promise<ChatSettings | null> {
  const rs = await db.execute({
    sql: 'SELECT settings FROM chat_settings WHERE site_id = ?',
    args: [siteId],
  });
  if (!rs.rows[0]) return null;
  // stored settings were valid when written; parsing again fills defaults added since
  return v.parse(ChatSettingsSchema, JSON.parse(String(rs.rows[0].settings)));
}

export async function setChatSettings(db: Db, siteId: string, settings: ChatSettings): Promise<void> {
  await db.execute({
    sql: `INSERT INTO chat_settings (site_id, settings, updated_at) VALUES (?, ?, ?)
          ON CONFLICT(site_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
    args: [siteId, JSON.stringify(settings), Date.now()],
  });
}

const iso = (ms: unknown) => new Date(Number(ms)).toISOString();

function messageFromRow(r: Row): ChatMessage {
  return {
    seq: Number(r.seq),
    id: String(r.id),
    author: String(r.author) as ChatAuthor,
    text: String(r.text),
    at: iso(r.at),
  };
}

const SUMMARY = `SELECT c.*,
  (SELECT COUNT(*) FROM chat_messages m WHERE m.conversation_id = c.id AND m.author = 'visitor' AND m.seq > c.agent_read_seq) AS unread,
  (SELECT json_object('seq', m.seq, 'id', m.id, 'author', m.author, 'text', m.text, 'at', m.at)
     FROM chat_messages m WHERE m.conversation_id = c.id ORDER BY m.seq DESC LIMIT 1) AS last
  FROM conversations c`;

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

export interface ConversationRow {
  id: string;
  siteId: string;
  anonymousId: string;
  email: string | null;
  lastSeq: number;
}

export async function findConversation(
  db: Tx,
  siteId: string,
  anonymousId: string,
): Promise<ConversationRow | null> {
  const rs = await db.execute({
    sql: 'SELECT id, site_id, anonymous_id, email, last_seq FROM conversations WHERE site_id = ? AND anonymous_id = ?',
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
      }
    : null;
}

async function change(tx: Tx, siteId: string, conversationId: string, kind: InboxChange['kind']) {
  await tx.execute({
    sql: 'INSERT INTO inbox_changes (site_id, conversation_id, kind, at) VALUES (?, ?, ?, ?)',
    args: [siteId, conversationId, kind, Date.now()],
  });
}

export interface NewMessage {
  author: ChatAuthor;
  text: string;
  clientId?: string;
  userId?: string | null;
  /** An email learned with this message; kept on the conversation. */
  email?: string | null;
}

export interface Added {
  conversation: ConversationRow;
  message: ChatMessage;
  duplicate: boolean;
  /** The conversation had no message before this one. */
  first: boolean;
}

/**
 * Appends a message to the visitor's conversation (made on the first message), numbered by the conversation's
 * next sequence id, in one write transaction. A visitor message reopens a closed conversation; a client id
 * seen before returns the stored message.
 */
export async function addMessage(db: Db, siteId: string, anonymousId: string, m: NewMessage): Promise<Added> {
  const tx = await db.transaction('write');
  try {
    const now = Date.now();
    let conv = await findConversation(tx, siteId, anonymousId);
    if (!conv) {
      const id = `c_${newId(14)}`;
      await tx.execute({
        sql: 'INSERT INTO conversations (id, site_id, anonymous_id, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
        args: [id, siteId, anonymousId, m.email ?? null, now, now],
      });
      conv = { id, siteId, anonymousId, email: m.email ?? null, lastSeq: 0 };
    }
    if (m.clientId) {
      const dup = await tx.execute({
        sql: 'SELECT * FROM chat_messages WHERE conversation_id = ? AND client_id = ?',
        args: [conv.id, m.clientId],
      });
      if (dup.rows[0]) {
        await tx.commit();
        return { conversation: conv, message: messageFromRow(dup.rows[0]), duplicate: true, first: false };
      }
    }
    const seq = conv.lastSeq + 1;
    const message: ChatMessage = { seq, id: `m_${newId(14)}`, author: m.author, text: m.text, at: iso(now) };
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
    await change(tx, siteId, conv.id, 'message');
    await tx.commit();
    return { conversation: { ...conv, email, lastSeq: seq }, message, duplicate: false, first: seq === 1 };
  } finally {
    tx.close();
  }
}

export async function messagesAfter(
  db: Db,
  conversationId: string,
  after: number,
  limit = 500,
): Promise<ChatMessage[]> {
  const rs = await db.execute({
    sql: 'SELECT * FROM chat_messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    args: [conversationId, after, limit],
  });
  return rs.rows.map(messageFromRow);
}

export async function listConversations(
  db: Db,
  filter: { status?: ConversationStatus; siteId?: string; limit?: number },
): Promise<ConversationSummary[]> {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (filter.status) where.push('c.status = ?') && args.push(filter.status);
  if (filter.siteId) where.push('c.site_id = ?') && args.push(filter.siteId);
  const rs = await db.execute({
    sql: `${SUMMARY} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.updated_at DESC LIMIT ?`,
    args: [...args, filter.limit ?? 100],
  });
  return rs.rows.map(summaryFromRow);
}

export async function getConversation(db: Tx, id: string): Promise<ConversationSummary | null> {
  const rs = await db.execute({ sql: `${SUMMARY} WHERE c.id = ?`, args: [id] });
  return rs.rows[0] ? summaryFromRow(rs.rows[0]) : null;
}

/** Changes a conversation (status, assignee, read mark) and records it in the inbox feed; false if missing. */
export async function updateConversation(
  db: Db,
  id: string,
  kind: Exclude<InboxChange['kind'], 'message'>,
  set: { status?: ConversationStatus; assigneeId?: string | null; readAll?: boolean },
): Promise<boolean> {
  const tx = await db.transaction('write');
  try {
    const rs = await tx.execute({ sql: 'SELECT site_id FROM conversations WHERE id = ?', args: [id] });
    if (!rs.rows[0]) return false;
    const cols: string[] = ['updated_at = ?'];
    const args: (string | number | null)[] = [Date.now()];
    if (set.status) cols.push('status = ?') && args.push(set.status);
    if (set.assigneeId !== undefined) cols.push('assignee_id = ?') && args.push(set.assigneeId);
    if (set.readAll) cols.push('agent_read_seq = last_seq');
    await tx.execute({
      sql: `UPDATE conversations SET ${cols.join(', ')} WHERE id = ?`,
      args: [...args, id],
    });
    await change(tx, String(rs.rows[0].site_id), id, kind);
    await tx.commit();
    return true;
  } finally {
    tx.close();
  }
}

export async function changesAfter(db: Db, after: number, siteId?: string): Promise<InboxChange[]> {
  const rs = await db.execute({
    sql: `SELECT id, conversation_id, kind FROM inbox_changes WHERE id > ? ${siteId ? 'AND site_id = ?' : ''} ORDER BY id LIMIT 200`,
    args: siteId ? [after, siteId] : [after],
  });
  const out: InboxChange[] = [];
  for (const r of rs.rows) {
    const conversation = await getConversation(db, String(r.conversation_id));
    if (conversation)
      out.push({ id: Number(r.id), kind: String(r.kind) as InboxChange['kind'], conversation });
  }
  return out;
}

export async function lastChangeId(db: Db): Promise<number> {
  const rs = await db.execute('SELECT COALESCE(MAX(id), 0) AS n FROM inbox_changes');
  return Number(rs.rows[0].n);
}

export async function userExists(db: Db, userId: string): Promise<boolean> {
  const rs = await db.execute({ sql: 'SELECT 1 FROM users WHERE id = ?', args: [userId] });
  return rs.rows.length > 0;
}
