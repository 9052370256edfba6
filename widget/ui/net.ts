// The chunk's requests to the collector; JSON both ways, text/plain out so no CORS preflight is needed.
export async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${r.status}`);
  return r.json();
}

export async function postJson<T>(url: string, body: unknown): Promise<T> {
  const r = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  if (!r.ok) throw Object.assign(new Error(`${r.status}`), { status: r.status });
  return r.json();
}

/** The email the core knows for this visitor (its stored traits), if any. */
export function knownEmail(): string | undefined {
  try {
    return JSON.parse(localStorage.getItem('tp_u') || '{}').traits?.email;
  } catch {}
}
