// The chat launcher, a chunk of its own (/tp-chat.js, a few hundred bytes) that the core imports only when the
// site has chat on: the widget settings come with the reply to the page's first batch. A button in its own
// shadow root, styled by a constructable sheet (so a strict CSP allows it). The panel, its styles and the
// unread badge are the UI chunk's, loaded on the first click, or at once when this visitor already has a
// conversation.
import type { WidgetSettings } from '../../wire.ts';

type Chat = NonNullable<WidgetSettings['chat']>;

/** Shows the launcher; `open(cmd?)` loads the UI chunk (and opens the chat), `resume` loads it at once. */
export function launch(c: Chat, open: (cmd?: 'chat') => unknown, resume: boolean): void {
  // a custom element name: host selectors such as `div` or `button` never match it
  const host: any = document.createElement('tp-chat');
  const root = host.attachShadow({ mode: 'open' });
  const css = new CSSStyleSheet();
  css.replaceSync(c.css); // made by the collector from the site's colour and position
  root.adoptedStyleSheets = [css];
  root.innerHTML = '<button class=l aria-label="Open chat">✉</button>';
  root.firstChild.onclick = () => open('chat');
  host.tp = c; // the chat settings, for the UI chunk
  document.body.append(host);
  if (resume) open();
}
