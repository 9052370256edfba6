// An in-process cache of sites by key, so ingest does not ask the database about the site on every request.
import { findSiteByKey, findSiteBySecret, listSites, type Site } from '../admin/accounts.ts';
import type { Db } from '../db/client.ts';

export interface SiteAccess {
  site: Site;
  /** True when the request used the site's secret key (server-side senders). */
  secret: boolean;
}

export interface SiteCache {
  byKey(key: string): Promise<SiteAccess | null>;
  /** Is this origin allowed by any site? (CORS preflights carry no key.) */
  anyAllows(origin: string): Promise<boolean>;
  clear(): void;
}

const TTL_MS = 10_000;

// Bumped when a site is created or changed through the admin API: every cache in the process starts afresh.
let generation = 0;
export function sitesChanged(): void {
  generation++;
}

export function createSiteCache(db: Db): SiteCache {
  const entries = new Map<string, { access: SiteAccess; until: number }>();
  let origins: { set: Set<string>; until: number } | null = null;
  let seen = generation;
  const fresh = () => {
    if (seen === generation) return;
    seen = generation;
    entries.clear();
    origins = null;
  };

  return {
    async byKey(key) {
      fresh();
      const hit = entries.get(key);
      if (hit && hit.until > Date.now()) return hit.access;
      const secret = key.startsWith('sk_');
      const site = secret ? await findSiteBySecret(db, key) : await findSiteByKey(db, key);
      if (!site) {
        entries.delete(key);
        return null;
      }
      const access = { site, secret };
      if (entries.size > 10_000) entries.clear();
      entries.set(key, { access, until: Date.now() + TTL_MS });
      return access;
    },
    async anyAllows(origin) {
      fresh();
      if (!origins || origins.until < Date.now() || !origins.set.has(origin)) {
        // A miss reloads (at most once a second) so a site added a moment ago works at once.
        if (!origins || origins.until - TTL_MS + 1000 < Date.now()) {
          const sites = await listSites(db);
          origins = { set: new Set(sites.flatMap((s) => s.origins)), until: Date.now() + TTL_MS };
        }
      }
      return origins.set.has(origin);
    },
    clear() {
      entries.clear();
      origins = null;
    },
  };
}
