// What tp.js never sends: secret fields and card numbers, in forms and in URLs (a GET form puts its fields in
// the next page's query string).
import { getJSON, setJSON } from './storage.ts';

/**
 * Tested against "type name id autocomplete" of a field, or a query parameter's name: input types hidden, file,
 * submit, button, reset, image (prefixes suffice: no other type starts so), then names of cards, government ids,
 * one-time codes and secrets anywhere (`pass` anywhere also covers the password type).
 */
export const SECRET =
  /^(hid|fil|sub|but|res|ima)|(^|[^a-z])(cc|ssn|otp)|card|cv[vc]|csc|iban|pass|secret|token|one-time/i;

/** Looks like a payment card number: 13-19 digits (spaces and dashes allowed) passing the Luhn check. */
export function isCardNumber(v: string): boolean {
  const d = v.replace(/[ -]/g, '');
  let sum = 0;
  // right to left, every second digit doubled (digit sums of 0,2,..,18 looked up)
  for (let i = d.length, odd = 0; i--; odd ^= 1) sum += odd ? 2 * +d[i] - 9 * +(+d[i] > 4) : +d[i];
  return /^\d{13,19}$/.test(d) && sum % 10 === 0;
}

/** Remembers the names of form fields left out, so they are also cut from later URLs (localStorage `tp_x`). */
export function withhold(names: string[]): void {
  if (names.length)
    setJSON('tp_x', (held = [...new Set([...names, ...(getJSON('tp_x') || [])])].slice(0, 50)));
}

let held: string[] | undefined; // read once per page, then kept with what this page adds

/** The URL without query parameters that are secret by name, card-like by value, or withheld from a form. */
export function clean(url: string): string {
  // no query, nothing to cut: most URLs skip the parse
  if (!url.includes('?')) return url;
  try {
    const u = new URL(url);
    const p = u.searchParams;
    const withheld: string[] = (held ||= getJSON('tp_x') || []);
    let cut = 0;
    for (const [k, v] of [...p]) {
      // the leading space keeps the input-type prefixes from matching a parameter name
      if (SECRET.test(` ${k}`) || withheld.includes(k) || isCardNumber(v)) {
        p.delete(k);
        cut = 1;
      }
    }
    // re-serialised only when something was cut, so other URLs stay byte for byte as they were
    return cut ? u.href : url;
  } catch {
    return url;
  }
}
