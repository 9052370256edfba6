// What tp.js never sends: secret fields and card numbers, in forms and in URLs (a GET form puts its fields in
// the next page's query string).
import { isCardNumber, SECRET } from '../../secrets.ts';
import { getJSON, setJSON } from './storage.ts';

export { isCardNumber, SECRET };

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
