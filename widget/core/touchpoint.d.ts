// The public browser API of tp.js (window.touchpoint) and every field of what it sends.
// Embed: <script async src="https://COLLECTOR/tp.js" data-site="SITE_KEY"></script>
//   data-site   the site key (required); sent as the batch's writeKey
//   data-api    collector base URL (default: the origin tp.js was loaded from)
//   data-debug  log ignored and failed things to the console
//   data-consent="required"  store nothing and send only page views marked `context.consent: false` until the
//               page calls touchpoint('consent', true); so too with Global Privacy Control, and with Do-Not-Track
//               where the tag has data-dnt
//   data-dnt    respect the browser's Do-Not-Track (data-dnt="on")
//   data-cookie-days  the anonymous-id cookie's lifetime in days (default 395, about 13 months)
// Calls made before tp.js runs are kept by this stub and replayed in order (after the automatic page view):
//   window.touchpoint=window.touchpoint||function(){(touchpoint.q=touchpoint.q||[]).push(arguments)}
// A second copy of tp.js on the page does nothing (it logs 'already loaded' with data-debug).
//
// What the browser keeps (first party, on the site's own origin):
//   cookie + localStorage `tp_aid`  the anonymous id (cookie: path=/, data-cookie-days, SameSite=Lax, Secure on https);
//                                   either one restores the other
//   localStorage `tp_ft`            the first touch         `tp_u`  user id and traits
//   localStorage `tp_q`             events not yet confirmed by the collector (≤ 500 events, ~400 KB), shared
//                                   by the site's tabs: each change writes the union, so no tab drops another's
//   localStorage `tp_x`             names of form fields left out, also cut from later URLs
// When storage or cookies throw, the id, user, first touch and queue live in memory for the page's lifetime.
//
// Delivery: POST {api}/v1/batch, body BatchBody as text/plain (no CORS preflight), after ~1 s of quiet or at
// once when 20 events wait. An event leaves the queue only when a reply lists it (accepted, duplicate or
// rejected) or the batch got a 4xx without results (401, 403, 413...); network errors, 408, 429 and 5xx are
// retried with exponential back-off (0.5-1 s doubling up to 60 s, or Retry-After in seconds if later), and at
// once on `online`. On page hide the queue (up to 64 KB) is sent with sendBeacon (a text/plain string) but stays
// queued: it is re-sent later and the collector dedupes by messageId.
//
// tp.js sends URLs, not what can be parsed from them: the collector fills in context.page.path/search,
// context.campaign, the first touch's utm_*/click ids/ref, a page view's properties, and context.userAgent and
// context.locale from the request's headers (collector/ingest/enrich.ts). Stored events have Segment's full shape.
import type { Touch } from '../../wire.ts';

export type Properties = Record<string, unknown>;

/**
 * window.touchpoint. Nothing it does throws into the page: a bad call (unknown verb, missing name, an object that
 * cannot be serialised) is ignored and, with data-debug, logged.
 */
export interface Touchpoint {
  /** `touchpoint('track', 'Signed Up', { plan: 'pro' })` is `touchpoint.track('Signed Up', { plan: 'pro' })`. */
  (
    verb: 'page' | 'track' | 'identify' | 'alias' | 'reset' | 'consent' | 'flush' | 'form' | 'chat',
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
   * The visitor's answer. `consent(true)`: events say `context.consent: true`; if nothing was stored until now
   * (data-consent="required", Global Privacy Control, Do-Not-Track with data-dnt), the visitor is kept from now
   * on: the anonymous id and first touch stored on an earlier visit, else the ones this page used (so the
   * campaign seen before consent is the first touch), and the page is counted; the promise settles when it is
   * queued. Call it on every page, as consent banners do: the answer itself is not stored. `consent(false)`:
   * every localStorage key starting with `tp_` is removed, the cookie expired, the visitor reset, and from then
   * on nothing is stored and only page views marked `context.consent: false` are sent.
   */
  consent(yes: boolean): Promise<void> | void;

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
 * Fields of every event tp.js sends (Segment spec shape; see the header for what the collector adds). Every
 * string is cut to 2048 characters (the collector's limit), and an event over 32 KB is not sent. URLs (page url,
 * referrer, first touch) never carry query parameters named like secrets (password, token, card, cc, cvv, ssn,
 * otp...), card-number-like values, or the fields a submitted form left out (a GET form puts them in the next
 * page's URL).
 */
export interface TouchpointEvent {
  type: 'page' | 'track' | 'identify' | 'alias';
  /** A random id (128 bits from crypto.getRandomValues, as four numbers joined by `-`); retries are deduped by it. */
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
   * page: the given properties (the collector adds url, path, referrer, title and search from context.page).
   * track: the given properties; for autocaptured events see ClickProperties and FormProperties.
   */
  properties?: Properties;
  /** identify: all traits given since the user id last changed. */
  traits?: Properties;
  /** alias: the id being linked to userId. */
  previousId?: string;
  context: {
    /** The page the event happened on. `referrer` is the previous URL after an in-app navigation. */
    page: { url: string; referrer: string; title: string };
    /**
     * page and identify only: how this visitor first arrived, recorded once (localStorage `tp_ft`) and cleared by
     * reset(). `landingUrl` is the first page; `referrer` is left out when there was none (the collector drops one
     * on the landing page's own host). The collector reads utm_* (source/medium/campaign/term/content), click ids
     * and `ref` from the landing URL.
     */
    firstTouch?: Pick<Touch, 'at' | 'landingUrl' | 'referrer'>;
    /**
     * false: sent without consent (a page view, nothing stored on the device); true: after consent(true); left
     * out otherwise.
     */
    consent?: boolean;
    /** 1 on the page view consent(true) sends: this page was counted without consent already (once, not twice). */
    counted?: 1;
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
 * captured. An email found here identifies the visitor on the collector (a claimed email); no identify event is sent.
 */
export interface FormProperties {
  formId?: string;
  formName?: string;
  /** The action attribute as written. */
  action?: string;
  /** name (or id) → trimmed value; repeated names (checkbox groups) are comma-joined. */
  fields: Record<string, string>;
  /** The first email entered (type=email, or a name/autocomplete with "email"). */
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
