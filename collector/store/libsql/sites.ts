// All SQL for sites, and the in-process cache of sites by key that ingest reads on every request. The cache is
// dropped whenever any process changes a site (store_versions), so a change applies everywhere within a poll.
import { consentSettings } from '../../identity/rules.ts';
import { siteTimeZone } from '../../reports/zone.ts';
import type { Db as Client } from './client.ts';
import { newId, newSecret, sha256 } from '../../admin/secrets.ts';
import type { Site, SiteAccess, SiteStore } from '../types.ts';
import { type VersionWatch, writeChanging } from './versions.ts';
import type { WriteFn } from './writer.ts';

export const SITE_COLUMNS = 'id, name, site_key, origins, identity_secret, settings, created_at';
/** A cached site is re-read after this long even if no change was seen (a safety net, not the mechanism). */
const TTL_MS = 60_000;

export function siteFromRow(row: Record<string, unknown>): Site {
  return {
    id: String(row.id),
    name: String(row.name),
    siteKey: String(row.site_key),
    origins: JSON.parse(String(row.origins)) as string[],
    identitySecret: String(row.identity_secret ?? ''),
    settings: JSON.parse(String(row.settings ?? '{}')) as Record<string, unknown>,
    createdAt: Number(row.created_at),
  };
}

export function createSiteStore(
  client: Client,
  write: <T>(fn: WriteFn<T>) => Promise<T>,
  versions: VersionWatch,
): SiteStore {
  const entries = new Map<string, { access: SiteAccess | null; until: number }>();
  let origins: { set: Set<string>; until: number; loadedAt: number } | null = null;
  versions.on('sites', () => {
    entries.clear();
    origins = null;
  });

  async function list(): Promise<Site[]> {
    const rs = await client.execute(`SELECT ${SITE_COLUMNS} FROM sites ORDER BY created_at`);
    return rs.rows.map((r) => siteFromRow(r));
  }

  const changed = <T>(fn: WriteFn<T>) => writeChanging(write, versions, 'sites', fn);

  return {
    async create(name, origins) {
      const site: Site = {
        id: newId(),
        name,
        siteKey: newSecret('pk_', 20),
        origins,
        identitySecret: newSecret('is_', 32),
        settings: {},
        createdAt: Date.now(),
      };
      const secretKey = newSecret('sk_', 32);
      await changed((tx) =>
        tx.execute({
          sql: 'INSERT INTO sites (id, name, site_key, secret_hash, origins, identity_secret, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
          args: [
            site.id,
            name,
            site.siteKey,
            sha256(secretKey),
            JSON.stringify(origins),
            site.identitySecret,
            site.createdAt,
          ],
        }),
      );
      return { site, secretKey };
    },
    list,
    async summaries() {
      const sites = await list();
      // Live profiles per site, kept by triggers on profiles (site_counts, migration 029): nothing is counted here.
      const counts = await client.execute('SELECT site_id, profiles FROM site_counts');
      const bySite = new Map(counts.rows.map((r) => [String(r.site_id), Number(r.profiles)]));
      return sites.map((s) => ({
        id: s.id,
        name: s.name,
        siteKey: s.siteKey,
        origins: s.origins,
        createdAt: new Date(s.createdAt).toISOString(),
        eventCount: bySite.get(s.id) ?? 0,
        timeZone: siteTimeZone(s.settings),
        consent: consentSettings(s.settings),
      }));
    },
    async byId(id) {
      const rs = await client.execute({ sql: `SELECT ${SITE_COLUMNS} FROM sites WHERE id = ?`, args: [id] });
      return rs.rows[0] ? siteFromRow(rs.rows[0]) : null;
    },
    async access(key) {
      const hit = entries.get(key);
      if (hit && hit.until > Date.now()) return hit.access;
      const secret = key.startsWith('sk_');
      const rs = await client.execute({
        sql: `SELECT ${SITE_COLUMNS} FROM sites WHERE ${secret ? 'secret_hash' : 'site_key'} = ?`,
        args: [secret ? sha256(key) : key],
      });
      const access = rs.rows[0] ? { site: siteFromRow(rs.rows[0]), secret } : null;
      if (entries.size > 10_000) entries.clear();
      // An unknown key is remembered briefly too, so a flood of bad keys does not read the database each time.
      entries.set(key, { access, until: Date.now() + (access ? TTL_MS : 1000) });
      return access;
    },
    async anyAllows(origin) {
      const now = Date.now();
      // A miss reloads (at most once a second) so a site added a moment ago elsewhere works at once.
      if (!origins || origins.until < now || (!origins.set.has(origin) && origins.loadedAt + 1000 < now)) {
        const sites = await list();
        origins = { set: new Set(sites.flatMap((s) => s.origins)), until: now + TTL_MS, loadedAt: now };
      }
      return origins.set.has(origin);
    },
    async update(id, change) {
      const rs = await changed((tx) =>
        tx.execute({
          sql: 'UPDATE sites SET name = COALESCE(?, name), origins = COALESCE(?, origins) WHERE id = ? RETURNING id',
          args: [change.name ?? null, change.origins ? JSON.stringify(change.origins) : null, id],
        }),
      );
      return rs.rows.length > 0;
    },
    async setSettings(id, settings) {
      const rs = await changed((tx) =>
        tx.execute({
          sql: 'UPDATE sites SET settings = ? WHERE id = ? RETURNING id',
          args: [JSON.stringify(settings), id],
        }),
      );
      return rs.rows.length > 0;
    },
  };
}
