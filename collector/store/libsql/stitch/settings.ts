// A site's identity settings as stitching reads them, cached for a few seconds.
import { type IdentitySettings, identitySettings } from '../../../identity/rules.ts';
import type { Exec } from './sql.ts';

// ---- Settings ----

export const settingsCache = new Map<string, { settings: IdentitySettings; until: number }>();

/** The site's identity settings, cached for a few seconds (they change rarely; a change applies to later events). */
export async function siteSettings(tx: Exec, siteId: string): Promise<IdentitySettings> {
  const hit = settingsCache.get(siteId);
  if (hit && hit.until > Date.now()) return hit.settings;
  const rs = await tx.execute({ sql: 'SELECT origins, settings FROM sites WHERE id = ?', args: [siteId] });
  const row = rs.rows[0];
  const settings = identitySettings(
    row ? (JSON.parse(String(row.origins)) as string[]) : [],
    row ? JSON.parse(String(row.settings ?? '{}')) : {},
  );
  if (settingsCache.size > 1000) settingsCache.clear();
  settingsCache.set(siteId, { settings, until: Date.now() + 10_000 });
  return settings;
}

/** Drops every cached site setting (a site changed in this or another process). */
export function forgetAllSettings(): void {
  settingsCache.clear();
}
