// Autocaptured clicks (links and buttons) and host-page form submissions, with sensitive fields left out.
import { CLICKED, SUBMITTED } from './config.ts';
import { track } from './events.ts';
import { isCardNumber, SECRET, withhold } from './privacy.ts';

const IGNORE = '[data-tp-ignore]';

const attr = (el: Element, n: string) => el.getAttribute(n) || undefined;

/** Properties of a click on (or inside) a link or button; undefined when it is not one, or is ignored. */
// [type=submit]/[type=button] without `input`: only inputs and buttons have a type, and buttons match anyway
export function clickProperties(target: EventTarget | null) {
  const el = (target instanceof Element &&
    target.closest('a,button,[type=submit],[type=button],[role=button]')) as HTMLAnchorElement;
  if (!el || el.closest(IGNORE)) return;
  return {
    tag: el.localName,
    // an <input> shows its value: never read it, only what labels it
    text: ((el.localName === 'input' ? attr(el, 'aria-label') : el.textContent) || '')
      .trim()
      .replace(/\s+/g, ' ')
      .slice(0, 100),
    href: el.href || undefined, // <a>: already absolute
    id: attr(el, 'id'),
    classes: attr(el, 'class'),
  };
}

/** What a submitted form says, without secrets; `email` is the first field that holds one. */
export function formProperties(form: HTMLFormElement) {
  const fields: Record<string, string> = {};
  const left: string[] = [];
  let email: string | undefined;
  // getAttribute/querySelectorAll, not form.id/.name/.elements: a field named "id" or "name" would shadow them
  for (const el of form.querySelectorAll<HTMLInputElement>('input,select,textarea')) {
    const { id, type, autocomplete } = el;
    const name = el.name || id;
    const v = el.value.trim();
    const about = `${type} ${name} ${id} ${autocomplete}`;
    if (!name || !v || (/^(che|rad)/.test(type) && !el.checked)) continue;
    if (SECRET.test(about) || el.closest(IGNORE) || isCardNumber(v)) {
      left.push(name);
      continue;
    }
    // an email field: its type, name, id or autocomplete says so, and the value looks like one
    if (!email && /email/i.test(about) && /^\S+@\S+\.\S+$/.test(v)) email = v;
    fields[name] = (fields[name] ? `${fields[name]},` : '') + v;
  }
  withhold(left);
  return {
    formId: attr(form, 'id'),
    formName: attr(form, 'name'),
    action: attr(form, 'action'),
    fields,
    email, // undefined is left out of the JSON sent
  };
}

export function onClick(e: Event): void {
  const p = clickProperties(e.target);
  if (p) track(CLICKED, p);
}

export function onSubmit(e: Event) {
  const f = e.target;
  // the UI chunk reports its own forms
  if (!(f instanceof HTMLFormElement) || f.closest(`${IGNORE},[data-touchpoint-form]`)) return;
  const p = formProperties(f);
  track(SUBMITTED, p);
}
