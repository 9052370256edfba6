// Every view lives in a shadow root styled by constructable sheets: host CSS cannot reach in, ours cannot leak
// out, and a strict CSP (no 'unsafe-inline') allows it.
const sheets = new Map<string, CSSStyleSheet>();

export function sheet(css: string): CSSStyleSheet {
  let s = sheets.get(css);
  if (!s) {
    s = new CSSStyleSheet();
    s.replaceSync(css);
    sheets.set(css, s);
  }
  return s;
}

/** A container inside `host`'s shadow root (made if needed), with `css` adopted. */
export function inShadow(host: Element, ...css: string[]): HTMLElement {
  const root = host.shadowRoot || host.attachShadow({ mode: 'open' });
  const add = css.map(sheet).filter((s) => !root.adoptedStyleSheets.includes(s));
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, ...add];
  const box = document.createElement('div');
  root.append(box);
  return box;
}
