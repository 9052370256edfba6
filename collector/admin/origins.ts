// A site's allowed origins, normalised the one way that ingest compares them.

/** Lower-cased scheme://host[:port], or null when it is not an http(s) origin. */
export function normaliseOrigin(input: string): string | null {
  try {
    const url = new URL(input.trim());
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.origin.toLowerCase();
  } catch {
    return null;
  }
}
