// The Segment verbs: build an event with its context and put it in the outbox.
import type { EventType } from '../../wire.ts';
import { ID_LENGTH, iso, log } from './config.ts';
import { aid, forgetUser, rid, saveUser, setAid, user } from './ids.ts';
import { type Ev, push } from './queue.ts';
import { firstTouch, forgetTouch, pageContext } from './touch.ts';
import { soon } from './transport.ts';

type Props = Record<string, unknown>;
const idOf = (x: unknown): string => String(x).trim().slice(0, ID_LENGTH);
// a copy, so a circular or unserialisable object throws here (safe() logs it) before it reaches stored traits
const obj = (x: unknown): Props => (x && typeof x === 'object' ? JSON.parse(JSON.stringify(x)) : {});

/** Stamps, contextualises and queues one event (push() copies it); `first` adds the first touch. */
function emit(type: EventType, fields: Partial<Ev>, first?: boolean) {
  push({
    type,
    messageId: rid(),
    anonymousId: aid(),
    userId: user().id || undefined,
    ...fields,
    context: {
      page: pageContext(),
      firstTouch: first ? firstTouch() : undefined,
    },
    originalTimestamp: iso(),
  });
  soon();
}

/** page(name?, properties?) or page(properties). */
export function page(name?: unknown, props?: unknown) {
  if (name && typeof name === 'object') [name, props] = [0, name];
  emit('page', { name: name ? String(name) : undefined, properties: obj(props) }, true);
}

export function track(event: unknown, props?: unknown) {
  if (!event) return log('ignored', props);
  emit('track', { event: String(event), properties: obj(props) });
}

/** identify(userId?, traits?) or identify(traits). Traits accumulate until the user id changes. */
export function identify(id?: unknown, traits?: unknown) {
  if (id && typeof id === 'object') [id, traits] = [0, id];
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
  if (!to) return log('ignored', to);
  emit('alias', { userId: idOf(to), previousId: idOf(from || user().id || aid()) });
}

/** A new visitor: new anonymous id, no user id, traits or first touch. Queued events still go out. */
export function reset() {
  setAid(rid());
  forgetUser();
  forgetTouch();
}
