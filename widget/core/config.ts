// Where to send and how to behave, read once from the embedding <script> tag; plus the never-throw helpers.
import type { COOKIE_DAYS, EVENTS, LIMITS } from '../../wire.ts';

export const VERSION = '0.1.0';

// wire.ts's constants, typed by it so tsc catches a mismatch: a value import would ship wire.ts's whole
// LIMITS object (and a stray template of its schemas) in tp.js.
type Limits = typeof LIMITS;
export const ID_LENGTH: Limits['idLength'] = 200;
export const TEXT_LENGTH: Limits['textLength'] = 2048;
export const EVENT_BYTES: Limits['eventBytes'] = 32768;
export const BATCH_EVENTS: Limits['batchEvents'] = 500;
export const CLICKED: (typeof EVENTS)['click'] = 'Element Clicked';
export const SUBMITTED: (typeof EVENTS)['form'] = 'Form Submitted';
const DAYS: (typeof COOKIE_DAYS)['default'] = 395;

/**
 * `off`: nothing is stored on the device and nothing identifying is sent (consent required and not given yet,
 * Global Privacy Control, or Do-Not-Track where the tag respects it); `yes`: the page said the visitor
 * consented (events say so, for a site whose collector requires it); `days`: the cookie's lifetime. readConfig()
 * sets the rest (the tests set api and key themselves).
 */
export const cfg = { days: DAYS } as {
  api: string;
  key: string;
  debug?: boolean;
  off?: unknown;
  yes?: true;
  /** The last page view went without consent (and was counted so). */
  c?: unknown;
  days: number;
};

/** Reads data-site / data-api / data-debug from our own <script>; false when there is no site key. */
export function readConfig(): boolean {
  const c = document.currentScript as HTMLScriptElement | null;
  // currentScript is null in modules and after a bundler rewrote the tag; the snippet always carries data-site
  const s = c?.dataset.site ? c : document.querySelector<HTMLScriptElement>('script[data-site]');
  if (!s) return false;
  const d = s.dataset;
  cfg.debug = d.debug != null; // data-debug present, with or without a value
  // data-consent="required"; Global Privacy Control always; Do-Not-Track where the tag has data-dnt
  cfg.off =
    d.consent === 'required' ||
    (navigator as any).globalPrivacyControl ||
    (d.dnt && navigator.doNotTrack === '1');
  cfg.days = +d.cookieDays! || DAYS;
  // the origin of our own absolute src, by hand: the page's first `new URL` costs it milliseconds
  cfg.api = (d.api || s.src.split('/', 3).join('/')).replace(/\/+$/, '');
  return !!(cfg.key = d.site!); // a matched tag has data-site, maybe empty
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

/**
 * UTF-8 size of JSON text, as the collector measures bodies and events (a Blob would cost the page
 * milliseconds). JSON.stringify escapes lone surrogates, so encodeURIComponent never throws on its output.
 */
export const bytes = (json: string): number => unescape(encodeURIComponent(json)).length;

export const iso = (): string => new Date().toISOString();

export const parse = (s: string | null | undefined): any => {
  try {
    return JSON.parse(s!);
  } catch {}
};
