// First-party persistence: localStorage and cookies, with an in-memory fallback when either throws
// (sandboxed iframes, blocked storage, full quota).

// What this page wrote wins over what localStorage holds, so a failed write (quota) never reads back stale data.
const mem: Record<string, string | null> = {};

export function get(k: string): string | null {
  if (k in mem) return mem[k];
  try {
    return localStorage.getItem(k);
  } catch {
    return null;
  }
}

/** Stores a value; `null` removes it. */
export function set(k: string, v: string | null): void {
  mem[k] = v;
  try {
    v == null ? localStorage.removeItem(k) : localStorage.setItem(k, v);
  } catch {}
}

/** Reads a cookie, or writes it for ~400 days (the longest browsers keep one) when `v` is given. */
export function cookie(k: string, v?: string): string | undefined {
  try {
    if (v) {
      // biome-ignore lint/suspicious/noDocumentCookie: the async Cookie Store API is not in every browser we serve
      document.cookie = `${k}=${v};path=/;max-age=34560000;SameSite=Lax${location.protocol === 'https:' ? ';Secure' : ''}`;
    }
    return (document.cookie.match(`(?:^|; )${k}=([^;]*)`) || [])[1];
  } catch {}
}
