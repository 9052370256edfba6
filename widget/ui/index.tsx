// Entry of tp-ui.js: mount(core) renders every [data-touchpoint-form] inline, and answers
// touchpoint('form', id) with a popup and touchpoint('chat') by opening the panel.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatSettings } from '../../wire.ts';
import type { UICore, UIHandle } from '../core/touchpoint.d.ts';
import { ChatPanel } from './chat.tsx';
import { type ChatClient, chatClient } from './chat-client.ts';
import { LeadForm } from './form.tsx';
import { inShadow } from './shadow.ts';
import { BASE, FORM, PANEL, POPUP } from './styles.ts';

function Popup({ core, id, close }: { core: UICore; id: string; close(): void }) {
  const [title, setTitle] = useState('');
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    box.current?.focus();
    return () => before?.focus?.();
  }, []);
  return (
    <div class="o" onClick={(e) => e.target === e.currentTarget && close()}>
      <div
        class="d"
        ref={box}
        tabIndex={-1}
        role="dialog"
        aria-modal="true"
        aria-label={title || 'Form'}
        onKeyDown={(e) => e.key === 'Escape' && close()}
      >
        <button class="x" type="button" aria-label="Close" onClick={close}>
          ×
        </button>
        {title && <h2>{title}</h2>}
        <LeadForm core={core} id={id} onTitle={setTitle} />
      </div>
    </div>
  );
}

export function mount(core: UICore): UIHandle {
  const inline = () => {
    for (const el of document.querySelectorAll<HTMLElement>('[data-touchpoint-form]')) {
      if (el.shadowRoot) continue;
      render(<LeadForm core={core} id={el.dataset.touchpointForm!} />, inShadow(el, BASE, FORM));
    }
  };
  inline();

  let chat: ChatClient | undefined;
  // The launcher may not exist yet: an inline form can load this chunk before the chat settings arrive. The
  // chat is wired when its launcher is on the page, whichever comes first.
  const wire = () => {
    const host = document.querySelector<HTMLElement & { tp?: ChatSettings }>('tp-chat');
    if (chat || !host?.tp) return;
    const settings = host.tp;
    const box = inShadow(host, BASE, PANEL);
    const button = host.shadowRoot!.querySelector<HTMLElement>('.l')!;
    const draw = () => {
      render(<ChatPanel c={chat!} settings={settings} />, box);
      if (chat!.unread) button.dataset.n = String(chat!.unread);
      else delete button.dataset.n;
      button.setAttribute('aria-expanded', String(chat!.open));
    };
    chat = chatClient(core, draw);
    // the launcher toggles; the core's click handler only loads the chunk once and then calls chat()
    if (localStorage.getItem('tp_c')) chat.connect();
    draw();
  };
  wire();
  if (!chat) {
    const watch = new MutationObserver(() => {
      wire();
      if (chat) watch.disconnect();
    });
    watch.observe(document.body, { childList: true });
  }

  return {
    form(id) {
      if (!id) return inline();
      const el = document.createElement('tp-form');
      document.body.append(el);
      const box = inShadow(el, BASE, FORM, POPUP);
      const close = () => {
        render(null, box);
        el.remove();
      };
      render(<Popup core={core} id={id} close={close} />, box);
    },
    chat() {
      wire();
      chat?.setOpen(!chat.open);
    },
  };
}
