// The one hook point for the Preact UI chunk (chat, lead form): fetched from the collector only when a page
// needs it. The core never imports widget/ui; the chunk exports `mount(core)`.
import { cfg, log, safe } from './config.ts';
import { identify, track } from './events.ts';
import { aid } from './ids.ts';
import type { TouchpointUIModule, UIHandle } from './touchpoint.d.ts';

/** How the chunk is fetched; tests replace it. */
export const hooks = {
  load: (url: string): Promise<TouchpointUIModule> => import(/* @vite-ignore */ url),
};

let ui: Promise<UIHandle | undefined> | undefined;

/** Loads and mounts the UI once, then hands it `cmd` (`form` with an id, or `chat`) if given. */
export function loadUI(cmd?: 'form' | 'chat', arg?: string): Promise<void> {
  ui ||= hooks.load(`${cfg.api}/tp-ui.js`).then((m) =>
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
