// The public browser API of tp.js (window.touchpoint) and every field of what it sends.
// Embed: <script async src="https://COLLECTOR/tp.js" data-site="SITE_KEY"></script>
//   data-site   the site key (required); sent as the batch's writeKey
//   data-api    collector base URL (default: the origin tp.js was loaded from)
//   data-debug  log ignored and failed things to the console
// Calls made before tp.js runs are kept by this stub and replayed in order (after the automatic page view):
//   window.touchpoint=window.touchpoint||function(){(touchpoint.q=touchpoint.q||[]).push(arguments)}
// A second copy of tp.js on the page does nothing (it logs 'already loaded' with data-debug).
//
// What the browser keeps (first party, on the site's own origin):
//   cookie + localStorage `tp_aid`  the anonymous id (cookie: path=/, ~400 days, SameSite=Lax, Secure on https);
//                                   either one restores the other
//   localStorage `tp_ft`            the first touch         `tp_u`  user id and traits
//   localStorage `tp_q`             events not yet confirmed by the collector (≤ 500 events, ~400 KB)
//   localStorage `tp_x`             names of form fields left out, also cut from later URLs
// When storage or cookies throw, the same state lives in memory for the page's lifetime.
//
// Delivery: POST {api}/v1/batch, body BatchBody as text/plain (no CORS preflight), after ~1 s of quiet or at
// once when 20 events wait. An event leaves the queue only when a reply lists it (accepted, duplicate or
// rejected) or the batch got a 4xx without results (401, 403, 413...); network errors, 408, 429 and 5xx are
// retried with exponential back-off (0.5-1 s doubling up to 60 s, or Retry-After), and at once on `online`.
// On page hide the queue (up to 64 KB) is sent with sendBeacon but stays queued: it is re-sent later and the
// collector dedupes by messageId.
import type { Touch } from '../../wire.ts';

export type Properties = Record<string, unknown>;

/**
 * window.touchpoint. Nothing it does throws into the page: a bad call (unknown verb, missing name, an object that
 * cannot be serialised) is ignored and, with data-debug, logged.
 */
export interface Touchpoint {
  /** `touchpoint('track', 'Signed Up', { plan: 'pro' })` is `touchpoint.track('Signed Up', { plan: 'pro' })`. */
  (
    verb: 'page' | 'track' | 'identify' | 'alias' | 'reset' | 'flush' | 'form' | 'chat',
    ...args: unknown[]
  ): unknown;

  /**
   * A page view. Sent automatically on load and on every in-app navigation (history.pushState/replaceState,
   * back/forward, `#/route` hash changes) when the URL differs from the last one; call it yourself for
   * anything else. Also `page(properties)`.
   */
  page(name?: string, properties?: Properties): void;
  page(properties: Properties): void;

  /** A named action, e.g. `track('Signed Up', { plan: 'pro' })`. */
  track(event: string, properties?: Properties): void;

  /**
   * Who the visitor is: your user id and/or traits (email, name, phone...). Traits accumulate across calls
   * (and with an email typed into a form) until a different user id is identified. Also `identify(traits)`.
   */
  identify(userId?: string | null, traits?: Properties): void;
  identify(traits: Properties): void;

  /** Links `userId` to `previousId` (default: the current user id, else the anonymous id). */
  alias(userId: string, previousId?: string): void;

  /**
   * Forget this visitor (e.g. on log out): new anonymous id; user id, traits and first touch cleared (the next
   * page or identify event records a new first touch). Events already queued are still delivered.
   */
  reset(): void;

  /**
   * Sends everything queued now (ignoring a pending back-off) and resolves when the collector's reply has been
   * handled: delivered events leave the queue (localStorage `tp_q`), failed ones stay for a retry. Waits for a
   * request already in flight, then sends what it did not carry. Never rejects. Useful in tests.
   */
  flush(): Promise<void>;

  /** Loads the UI chunk and opens the embedded lead form `id`. Resolves when handed over (or failed). */
  form(id: string): Promise<void>;

  /** Loads the UI chunk and opens the chat. */
  chat(): Promise<void>;

  /** The core's version; present once tp.js has started (the stub does not have it). */
  readonly version: string;
}

/**
 * Fields every event carries (Segment spec shape). Every string is cut to 2048 characters (the collector's
 * limit), and an event over 32 KB is not sent. URLs (page url, search, referrer, first touch) never carry query
 * parameters named like secrets (password, token, card, cc, cvv, ssn, otp...), card-number-like values, or the
 * fields a submitted form left out (a GET form puts them in the next page's URL).
 */
export interface TouchpointEvent {
  type: 'page' | 'track' | 'identify' | 'alias';
  /** 21-char random id; the collector dedupes retries by it. */
  messageId: string;
  /** The browser's id: cookie `tp_aid`, mirrored in localStorage `tp_aid`. */
  anonymousId: string;
  /** The id given to identify()/alias(), when there is one. */
  userId?: string;
  /** When the call was made (ISO 8601, browser clock; the collector corrects it with the batch's sentAt). */
  originalTimestamp: string;
  /** track: the event name. Autocapture sends 'Element Clicked' and 'Form Submitted'. */
  event?: string;
  /** page: the name given to page(). */
  name?: string;
  /**
   * page: `context.page` fields merged with the given properties.
   * track: the given properties; for autocaptured events see ClickProperties and FormProperties.
   */
  properties?: Properties;
  /** identify: all traits known for this visitor. */
  traits?: Properties;
  /** alias: the id being linked to userId. */
  previousId?: string;
  context: {
    /** The page the event happened on. `referrer` is the previous URL after an in-app navigation. */
    page: { url: string; path: string; referrer: string; title: string; search: string };
    /** Attribution parameters of the current URL (empty when there are none): `name` is utm_campaign. */
    campaign: {
      name?: string;
      source?: string;
      medium?: string;
      term?: string;
      content?: string;
      gclid?: string;
      gbraid?: string;
      wbraid?: string;
      fbclid?: string;
      msclkid?: string;
      ttclid?: string;
      li_fat_id?: string;
      /** A referral code (`?ref=`). */
      ref?: string;
    };
    userAgent: string;
    /** navigator.language */
    locale: string;
    library: { name: 'touchpoint.js'; version: string };
    /**
     * page and identify only: how this visitor first arrived, recorded once (localStorage `tp_ft`) and cleared by
     * reset(). `landingUrl` is the first page; `referrer` is left out when it was the site itself;
     * source/medium/campaign/term/content come from utm_*; click ids and `ref` from the landing URL.
     */
    firstTouch?: Touch;
  };
}

/** properties of 'Element Clicked': a click on a, button, input[type=submit|button] or [role=button]. */
export interface ClickProperties {
  /** Lower-case tag name of the link or button. */
  tag: string;
  /** Its text, whitespace collapsed, at most 100 characters; for an <input> only its aria-label (never its value). */
  text: string;
  /** Absolute URL of a link. */
  href?: string;
  /** The id attribute. */
  id?: string;
  /** The class attribute. */
  classes?: string;
}

/**
 * properties of 'Form Submitted': a submit on the host page (its submit button's click comes just before, as an
 * 'Element Clicked'). Left out: password, hidden, file and button fields, empty or unchecked ones, anything
 * inside [data-tp-ignore], fields whose name/id/autocomplete mentions a card, cc, cvv/cvc/csc, iban, ssn,
 * otp/one-time code, password, secret or token, and values that look like a card number (13-19 digits, spaces
 * or dashes, passing Luhn). Forms inside [data-tp-ignore] or [data-touchpoint-form] (the UI chunk's own) are not
 * captured. An email found here is remembered as the `email` trait; no identify event is sent for it.
 */
export interface FormProperties {
  formId?: string;
  formName?: string;
  /** The action attribute as written. */
  action?: string;
  /** name (or id) → trimmed value; repeated names (checkbox groups) are comma-joined. */
  fields: Record<string, string>;
  /** The first email entered (type=email, or a name/autocomplete with "email"); also kept as a trait. */
  email?: string;
}

/** The body of POST {api}/v1/batch (sent as text/plain, so no CORS preflight; also by sendBeacon on page hide). */
export interface BatchBody {
  writeKey: string;
  sentAt: string;
  batch: TouchpointEvent[];
}

/** What the UI chunk (tp-ui.js) receives from the core. */
export interface UICore {
  /** Collector base URL. */
  api: string;
  siteKey: string;
  anonymousId(): string;
  track(event: string, properties?: Properties): void;
  identify(userId?: string | null | Properties, traits?: Properties): void;
}

/**
 * What mount() may return: the core forwards touchpoint('form', id) and touchpoint('chat') to it (a missing
 * method is logged with data-debug). The chunk is loaded once, from {api}/tp-ui.js, when the page has a
 * [data-touchpoint-form] element or calls form()/chat(); a failed load is logged, never thrown.
 */
export interface UIHandle {
  form?(id?: string): void;
  chat?(): void;
}

/** The UI chunk's exports. */
export interface TouchpointUIModule {
  mount(core: UICore): UIHandle | undefined;
}

declare global {
  interface Window {
    touchpoint: Touchpoint;
  }
}
