// Where to send and how to behave, read once from the embedding <script> tag; plus the never-throw helpers.
export const VERSION = '0.1.0';

export const cfg = { api: '', key: '', debug: false };

/** Reads data-site / data-api / data-debug from our own <script>; false when there is no site key. */
export function readConfig(): boolean {
  let s = document.currentScript as HTMLScriptElement | null;
  // currentScript is null in modules and after a bundler rewrote the tag; the snippet always carries data-site
  if (!s?.dataset.site) s = document.querySelector('script[data-site]');
  if (!s) return false;
  cfg.key = s.dataset.site || '';
  cfg.debug = s.hasAttribute('data-debug');
  cfg.api = (s.dataset.api || new URL(s.src).origin).replace(/\/+$/, '');
  return !!cfg.key;
}

/** Every ignored or failed thing passes through here; silent unless debugging. */
export const log = (...a: unknown[]): void => {
  if (__DEBUG__ || cfg.debug) console.warn('[touchpoint]', ...a);
};

/** Wraps an entry point (public verb, listener, timer) so nothing is ever thrown into the host page. */
export const safe =
  <F extends (...a: any[]) => any>(f: F) =>
  (...a: Parameters<F>): ReturnType<F> | undefined => {
    try {
      return f(...a);
    } catch (e) {
      log(e);
    }
  };

/** Runs work when the page is idle (at most 2 s later), never on the host page's critical path. */
export const defer = (f: () => void): void => {
  // setTimeout reads the options object as a NaN delay, i.e. 0: one call shape for both
  ((self as any).requestIdleCallback || setTimeout)(safe(f), { timeout: 2e3 });
};

/** UTF-8 size of a string, as the collector measures bodies and events. */
export const bytes = (s: string): number => new Blob([s]).size;

export const iso = (): string => new Date().toISOString();

export const parse = (s: string | null): any => {
  try {
    return JSON.parse(s!);
  } catch {}
};
