// Data minimisation on the write path: what a stored URL never keeps. Query parameters that are secret by name
// (tokens, passwords, card fields…), hold a card number, an email address or a long token as their value, or
// name an email; and an email address anywhere in the path. tp.js already leaves most of these out; this also
// covers server senders, old widgets and referrers from other sites.
import { isCardNumber, SECRET } from '../../secrets.ts';

const EMAIL = /[^\s@/?#&=:;,]+@[^\s@/?#&=:;,]+\.[a-z]{2,}/i;
const EMAIL_ALL = new RegExp(EMAIL.source, 'gi');
/** A JSON web token, or a long unbroken run of letters and digits with both in it (an API key, a session id). */
const TOKEN = /^(eyJ[\w-]+\.[\w-]+\.[\w-]*|(?=[\w-]*\d)(?=[\w-]*[a-z])[\w-]{32,})$/i;
const EMAIL_NAME = /^(e-?mail|email_?address|mail)$/i;
/** Keys and sessions by name, besides the secrets tp.js also leaves out. */
const KEY_NAME =
  /(^|[_-])(api_?key|access_?key|private_?key|auth|authorization|session(_?id)?|sid|signature|sig)$/i;

function secretParam(name: string, value: string): boolean {
  // the leading space keeps the input-type prefixes of SECRET (hid, sub…) from matching a parameter name
  return (
    SECRET.test(` ${name}`) ||
    EMAIL_NAME.test(name) ||
    KEY_NAME.test(name) ||
    EMAIL.test(value) ||
    isCardNumber(value) ||
    TOKEN.test(value)
  );
}

/** The URL (absolute, or a path with its query) without what must not be kept; unchanged when nothing is cut. */
export function minimiseUrl(url: string): string {
  // Most URLs have neither a query nor an @: no parse.
  if (!url.includes('?') && !url.includes('@') && !url.includes('%40')) return url;
  const relative = !/^[a-z][a-z\d+.-]*:/i.test(url);
  let u: URL;
  try {
    u = new URL(url, 'http://relative.invalid');
  } catch {
    return EMAIL.test(url) ? url.replace(EMAIL_ALL, 'redacted') : url;
  }
  let cut = false;
  for (const [k, v] of [...u.searchParams]) {
    if (secretParam(k, v)) {
      u.searchParams.delete(k);
      cut = true;
    }
  }
  const path = decodeURIComponent(u.pathname.replace(/%(?![0-9a-f]{2})/gi, '%25'));
  if (EMAIL.test(path)) {
    u.pathname = path.replace(EMAIL_ALL, 'redacted');
    cut = true;
  }
  if (u.username || u.password) {
    u.username = '';
    u.password = '';
    cut = true;
  }
  if (!cut) return url;
  return relative ? `${u.pathname}${u.search}${u.hash}` : u.href;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

function cleanFields(o: unknown, keys: string[]): unknown {
  if (!isObj(o)) return o;
  let out: Obj | null = null;
  for (const k of keys) {
    const v = o[k];
    if (typeof v !== 'string') continue;
    const c = minimiseUrl(v);
    if (c !== v) (out ??= { ...o })[k] = c;
  }
  return out ?? o;
}

const URL_FIELDS = ['url', 'referrer', 'path', 'search', 'landingUrl'];

/** The event with every URL it carries minimised: the page, the first touch, a page view's properties. */
export function minimiseEvent(e: Obj): Obj {
  let out = e;
  if (isObj(e.context)) {
    const context = e.context;
    const page = cleanFields(context.page, URL_FIELDS);
    const firstTouch = cleanFields(context.firstTouch, URL_FIELDS);
    if (page !== context.page || firstTouch !== context.firstTouch)
      out = { ...out, context: { ...context, page, firstTouch } };
    if (firstTouch === undefined && out !== e) delete (out.context as Obj).firstTouch;
    if (page === undefined && out !== e) delete (out.context as Obj).page;
  }
  if (e.type === 'page' || e.type === 'screen') {
    const properties = cleanFields(e.properties, URL_FIELDS);
    if (properties !== e.properties) out = { ...out, properties };
  }
  return out;
}
