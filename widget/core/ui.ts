// The hook points for the chunks the core imports only when a page needs them: the Preact UI (chat panel,
// lead form; exports `mount(core)`) and the chat launcher (exports `launch`). The core never imports their code.
import type { WidgetSettings } from '../../wire.ts';
import { cfg, log, safe } from './config.ts';
import { identify, track } from './events.ts';
import { aid } from './ids.ts';
import { get } from './storage.ts';
import type { TouchpointUIModule, UIHandle } from './touchpoint.d.ts';

/** How a chunk is fetched; tests replace it. */
export const hooks = {
  load: (url: string): Promise<any> => import(/* @vite-ignore */ url),
};

/** The chat launcher, from its chunk, when the site has chat on (the widget settings say so). */
export function launcher({ chat }: WidgetSettings): void {
  if (chat)
    hooks
      .load(`${cfg.api}/tp-chat.js`)
      .then((m: typeof import('../chat/launcher.ts')) => m.launch(chat, loadUI, !!get('tp_c')))
      .catch(log);
}

let ui: Promise<UIHandle | undefined> | undefined;

/** Loads and mounts the UI once, then hands it `cmd` (`form` with an id, or `chat`) if given. */
export function loadUI(cmd?: 'form' | 'chat', arg?: string): Promise<void> {
  ui ||= hooks.load(`${cfg.api}/tp-ui.js`).then((m: TouchpointUIModule) =>
    m.mount({
      api: cfg.api,
      siteKey: cfg.key,
      anonymousId: aid,
      track: safe(track),
      identify: safe(identify),
    }),
  );
  // a UI without that command throws here, and the catch logs it
  return ui.then((h) => void (cmd && h![cmd]!(arg))).catch(log);
}
