// The visitor's side of the chat: the live stream (history first, then replies; EventSource resumes with
// Last-Event-ID), the outbox of messages not yet accepted (localStorage `tp_cq`, survives reloads and offline),
// and the unread count for replies that came while the panel was closed (read mark in `tp_cr`).
import type { ChatMessage } from '../../wire.ts';
import type { UICore } from '../core/touchpoint.d.ts';
import { knownEmail, postJson } from './net.ts';

export interface Pending {
  clientId: string;
  text: string;
}

const EMAIL = /[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[a-z]{2,}/i;
const load = (k: string) => {
  try {
    return JSON.parse(localStorage.getItem(k) || 'null');
  } catch {}
};
const save = (k: string, x: unknown) => {
  try {
    localStorage.setItem(k, JSON.stringify(x));
  } catch {}
};
const cid = () => `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;

/**
 * The conversation's token (localStorage `tp_ck`): made here before the first message, sent with every message
 * and on the stream. The collector binds it to the conversation, so the anonymous id alone reads nothing.
 */
function token(): string {
  let t = load('tp_ck');
  if (!t) save('tp_ck', (t = crypto.getRandomValues(new Uint32Array(4)).join('-')));
  return t;
}

export function chatClient(core: UICore, changed: () => void) {
  const c = {
    messages: [] as ChatMessage[],
    pending: (load('tp_cq') || []) as Pending[],
    open: false,
    unread: 0,
    read: +(load('tp_cr') || 0),
    send,
    setOpen,
    connect,
  };
  let es: EventSource | undefined;
  let sending = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const last = () => c.messages[c.messages.length - 1]?.seq || 0;

  function add(m: ChatMessage) {
    if (m.seq <= last()) return; // a replay we already have
    c.messages = [...c.messages, m];
    if (m.author !== 'visitor' && m.seq > c.read) {
      if (c.open) markRead();
      else c.unread++;
    }
    changed();
  }

  function markRead() {
    c.read = last();
    c.unread = 0;
    save('tp_cr', c.read);
  }

  function connect() {
    if (es) return;
    const url = `${core.api}/v1/chat/stream?key=${core.siteKey}&anonymousId=${encodeURIComponent(core.anonymousId())}&token=${token()}`;
    es = new EventSource(`${url}&after=${last()}`);
    es.onmessage = (e) => add(JSON.parse(e.data));
    es.onerror = () => {
      // EventSource retries by itself (with Last-Event-ID) unless the reply was an error: then start again
      if (es?.readyState === 2) {
        es = undefined;
        setTimeout(connect, 3e3);
      }
    };
  }

  function setOpen(o: boolean) {
    c.open = o;
    if (o) {
      connect();
      markRead();
      flush();
    }
    changed();
  }

  function send(text: string) {
    text = text.trim();
    if (!text) return;
    c.pending = [...c.pending, { clientId: cid(), text }];
    save('tp_cq', c.pending);
    const email = text.match(EMAIL)?.[0];
    if (email) core.identify({ email });
    changed();
    flush();
  }

  /** Sends the outbox in order; a failure keeps the rest for later (online event, or a few seconds). */
  async function flush() {
    if (sending) return;
    sending = true;
    clearTimeout(retry);
    try {
      while (c.pending.length) {
        const p = c.pending[0];
        try {
          const r = await postJson<{ message: ChatMessage }>(`${core.api}/v1/chat/messages`, {
            key: core.siteKey,
            anonymousId: core.anonymousId(),
            clientId: p.clientId,
            text: p.text,
            token: token(),
            email: knownEmail(),
            url: location.href,
          });
          save('tp_c', 1);
          connect();
          add(r.message);
        } catch (e: any) {
          if (e.status === 410) {
            // This browser's visitor was erased: what waited was theirs and goes with them, and the chat starts
            // afresh as a new visitor (a new anonymous id and conversation token).
            forget();
            break;
          }
          // 4xx other than 429: this message would fail again, drop it
          if (!(e.status >= 400 && e.status < 500 && e.status !== 429)) {
            retry = setTimeout(flush, 5e3);
            break;
          }
        }
        c.pending = c.pending.slice(1);
        save('tp_cq', c.pending);
        changed();
      }
    } finally {
      sending = false;
    }
  }

  function forget() {
    es?.close();
    es = undefined;
    for (const k of ['tp_ck', 'tp_c', 'tp_cr', 'tp_cq']) {
      try {
        localStorage.removeItem(k);
      } catch {}
    }
    (window as any).touchpoint?.('reset');
    Object.assign(c, { messages: [], pending: [], unread: 0, read: 0 });
    changed();
  }

  addEventListener('online', flush);
  if (c.pending.length) flush();
  return c;
}

export type ChatClient = ReturnType<typeof chatClient>;
