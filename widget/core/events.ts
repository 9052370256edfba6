// The Segment verbs: build an event with its context and put it in the outbox.
import type { EventType } from '../../wire.ts';
import { cfg, ID_LENGTH, iso, log } from './config.ts';
import { aid, forgetUser, loadAid, rid, saveUser, setAid, user } from './ids.ts';
import { type Ev, push } from './queue.ts';
import { firstTouch, forgetTouch, keepTouch, pageContext } from './touch.ts';
import { soon } from './transport.ts';

type Props = Record<string, unknown>;
const idOf = (x: unknown): string => String(x).trim().slice(0, ID_LENGTH);
// a copy, so a circular or unserialisable object throws here (safe() logs it) before it reaches stored traits
const isObj = (x: unknown): x is object => !!x && typeof x === 'object';
const obj = (x: unknown): Props => (isObj(x) ? JSON.parse(JSON.stringify(x)) : {});

/** Stamps, contextualises and queues one event (push() copies it); `first` adds the first touch. */
function emit(type: EventType, fields: Partial<Ev>, first?: true) {
  // Without consent only page views go, marked so: the collector counts them and keeps nothing.
  if (cfg.off && type !== 'page') return log(type);
  push({
    type,
    messageId: rid(),
    anonymousId: aid(),
    userId: (!cfg.off && user().id) || undefined, // an identify before consent was not sent: nor is its id
    ...fields,
    context: {
      page: pageContext(),
      firstTouch: first && firstTouch(),
      consent: cfg.off ? false : cfg.yes, // true once the page said so
      counted: cfg.c, // see consent()
    },
    originalTimestamp: iso(),
  });
  soon();
}

/** page(name?, properties?) or page(properties). */
export function page(name?: unknown, props?: unknown) {
  if (isObj(name)) [name, props] = [0, name];
  emit('page', { name: name ? String(name) : undefined, properties: obj(props) }, true);
}

export function track(event: unknown, props?: unknown) {
  if (!event) return log(props);
  emit('track', { event: String(event), properties: obj(props) });
}

/** identify(userId?, traits?) or identify(traits). Traits accumulate until the user id changes. */
export function identify(id?: unknown, traits?: unknown) {
  if (isObj(id)) [id, traits] = [0, id];
  const t = obj(traits); // first: if it throws, nothing has changed
  const u = user();
  const uid = id ? idOf(id) : '';
  if (uid) {
    if (u.id && u.id !== uid) u.traits = {};
    u.id = uid;
  }
  Object.assign(u.traits, t);
  saveUser();
  emit('identify', { traits: u.traits }, true);
}

/** alias(userId, previousId?): previousId defaults to the current user id, else the anonymous id. */
export function alias(to: unknown, from?: unknown) {
  if (!to) return log(to);
  emit('alias', { userId: idOf(to), previousId: idOf(from || user().id || aid()) });
}

/**
 * consent(true): from now on the device keeps the visitor: the anonymous id (the one stored on an earlier visit,
 * else the one this page used), the first touch (likewise, so the campaign seen before consent becomes the
 * profile's first touch) and what waits to be sent; the page is counted as a visit. consent(false): what the
 * device holds is cleared, and nothing is stored or identifying sent again.
 */
export function consent(yes: unknown) {
  if (yes) {
    cfg.yes = true;
    if (cfg.off) {
      forgetUser(); // still off: only what this page held in memory; user() then reads what is stored
      cfg.off = false;
      keepTouch();
      // this page was counted without consent: its visit says so, and the collector counts it once
      return loadAid()
        .then(() => {
          cfg.c = 1;
          page();
          delete cfg.c;
        })
        .catch(log);
    }
  } else {
    const days = cfg.days;
    cfg.days = 0; // the cookie reset() writes expires at once
    reset();
    cfg.days = days;
    cfg.off = true; // first: blocked storage throws below
    // everything of ours (tp_aid, tp_u, tp_q, tp_ft, tp_x, tp_c…), and nothing of the host page's
    for (const k in localStorage) /^tp_/.test(k) && localStorage.removeItem(k);
  }
}

/** A new visitor: new anonymous id, no user id, traits or first touch. Queued events still go out. */
export function reset() {
  setAid(rid());
  forgetUser();
  forgetTouch();
}
