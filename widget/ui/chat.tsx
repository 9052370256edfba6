// The chat panel: greeting, history, queued messages and the composer.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatSettings } from '../../wire.ts';
import type { ChatClient } from './chat-client.ts';

export function ChatPanel({ c, settings }: { c: ChatClient; settings: ChatSettings }) {
  const [text, setText] = useState('');
  const list = useRef<HTMLOListElement>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (c.open) input.current?.focus();
  }, [c.open]);
  useEffect(() => {
    const l = list.current;
    if (l) l.scrollTop = l.scrollHeight;
  });
  if (!c.open) return null;
  return (
    <div
      class={`p${settings.position === 'left' ? ' L' : ''}`}
      role="dialog"
      aria-label="Chat"
      onKeyDown={(e) => e.key === 'Escape' && c.setOpen(false)}
    >
      <div class="h">
        <h2>Chat with us</h2>
        <button type="button" aria-label="Close chat" onClick={() => c.setOpen(false)}>
          ×
        </button>
      </div>
      <ol ref={list} {...({ role: 'log' } as object)} aria-live="polite">
        {settings.greeting && <li>{settings.greeting}</li>}
        {c.messages.map((m) => (
          <li key={m.seq} class={m.author === 'visitor' ? 'v' : ''} data-seq={m.seq}>
            {m.text}
          </li>
        ))}
        {c.pending.map((p) => (
          <li key={p.clientId} class="v q" title="Sending…">
            {p.text}
          </li>
        ))}
      </ol>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          c.send(text);
          setText('');
        }}
      >
        <label class="s" for="tp-msg">
          Message
        </label>
        <input
          id="tp-msg"
          ref={input}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          placeholder="Write a message…"
          autocomplete="off"
          maxLength={4000}
        />
        <button type="submit">Send</button>
      </form>
    </div>
  );
}
