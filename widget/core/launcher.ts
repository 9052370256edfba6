// The chat launcher: the widget settings (which come with the reply to the page's first batch, so a page makes
// one request, not two) decide whether it shows; a button in its own shadow root (styled by a constructable
// sheet, so a strict CSP allows it). The panel, its styles and the unread badge are the UI chunk's, loaded on
// the first click, or at once when this visitor already has a conversation.
import type { WidgetSettings } from '../../wire.ts';
import { get } from './storage.ts';
import { loadUI } from './ui.ts';

export function launcher({ chat: c }: WidgetSettings): void {
  if (!c) return;
  // a custom element name: host selectors such as `div` or `button` never match it
  const host: any = document.createElement('tp-chat');
  const root = host.attachShadow({ mode: 'open' });
  const css = new CSSStyleSheet();
  css.replaceSync(c.css); // made by the collector from the site's colour and position
  root.adoptedStyleSheets = [css];
  root.innerHTML = '<button class=l aria-label="Open chat">✉</button>';
  root.firstChild.onclick = () => loadUI('chat');
  host.tp = c; // the chat settings, for the UI chunk
  document.body.append(host);
  if (get('tp_c')) loadUI();
}
