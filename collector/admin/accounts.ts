// All SQL for sites, users, login sessions, API tokens and setup links, and the row ↔ object mapping.
import type { SiteSummary } from '../../wire.ts';
import type { Db } from '../db/client.ts';
import { hashPassword, newId, newSecret, sha256, verifyPassword } from './secrets.ts';

export interface Site {
  id: string;
  name: string;
  siteKey: string;
  origins: string[];
  /** Signs identify calls made in the page: HMAC-SHA256(userId) proves the site's login vouches for the user id. */
  identitySecret: string;
  /** The site's settings JSON (identity rules, lead score weights). */
  settings: Record<string, unknown>;
  createdAt: number;
}

export interface User {
  id: string;
  email: string;
}

export const SESSION_DAYS = 30;

function siteFromRow(row: Record<string, unknown>): Site {
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

export async function createSite(db: Db, name: string, origins: string[]) {
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
  await db.execute({
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
  });
  return { site, secretKey };
}

export async function listSites(db: Db): Promise<Site[]> {
  const rs = await db.execute(
    'SELECT id, name, site_key, origins, identity_secret, settings, created_at FROM sites ORDER BY created_at',
  );
  return rs.rows.map((r) => siteFromRow(r as Record<string, unknown>));
}

export async function siteSummaries(db: Db): Promise<SiteSummary[]> {
  const sites = await listSites(db);
  const counts = await db.execute(
    'SELECT site_id, COUNT(*) AS n, MAX(last_seen) AS last FROM profiles GROUP BY site_id',
  );
  const bySite = new Map(counts.rows.map((r) => [String(r.site_id), Number(r.n)]));
  return sites.map((s) => ({
    id: s.id,
    name: s.name,
    siteKey: s.siteKey,
    origins: s.origins,
    createdAt: new Date(s.createdAt).toISOString(),
    eventCount: bySite.get(s.id) ?? 0,
  }));
}

export async function findSiteByKey(db: Db, siteKey: string): Promise<Site | null> {
  const rs = await db.execute({
    sql: 'SELECT id, name, site_key, origins, identity_secret, settings, created_at FROM sites WHERE site_key = ?',
    args: [siteKey],
  });
  return rs.rows[0] ? siteFromRow(rs.rows[0] as Record<string, unknown>) : null;
}

export async function findSiteBySecret(db: Db, secretKey: string): Promise<Site | null> {
  const rs = await db.execute({
    sql: 'SELECT id, name, site_key, origins, identity_secret, settings, created_at FROM sites WHERE secret_hash = ?',
    args: [sha256(secretKey)],
  });
  return rs.rows[0] ? siteFromRow(rs.rows[0] as Record<string, unknown>) : null;
}

export async function countUsers(db: Db): Promise<number> {
  const rs = await db.execute('SELECT COUNT(*) AS n FROM users');
  return Number(rs.rows[0].n);
}

export async function createUser(db: Db, email: string, password: string): Promise<User> {
  const user = { id: newId(), email: email.trim().toLowerCase() };
  await db.execute({
    sql: 'INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)',
    args: [user.id, user.email, await hashPassword(password), Date.now()],
  });
  return user;
}

export async function checkLogin(db: Db, email: string, password: string): Promise<User | null> {
  const rs = await db.execute({
    sql: 'SELECT id, email, password_hash FROM users WHERE email = ?',
    args: [email.trim().toLowerCase()],
  });
  const row = rs.rows[0];
  if (!row) {
    // Spend the same time as a real check so response time does not reveal which emails exist.
    await verifyPassword(password, 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(86));
    return null;
  }
  return (await verifyPassword(password, String(row.password_hash)))
    ? { id: String(row.id), email: String(row.email) }
    : null;
}

export async function createSession(db: Db, userId: string): Promise<string> {
  const token = newSecret('', 43);
  const now = Date.now();
  await db.execute({
    sql: 'INSERT INTO auth_sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
    args: [sha256(token), userId, now, now + SESSION_DAYS * 86_400_000],
  });
  return token;
}

export async function userForSession(db: Db, token: string): Promise<User | null> {
  const rs = await db.execute({
    sql: `SELECT u.id, u.email FROM auth_sessions s JOIN users u ON u.id = s.user_id
          WHERE s.token_hash = ? AND s.expires_at > ?`,
    args: [sha256(token), Date.now()],
  });
  const row = rs.rows[0];
  return row ? { id: String(row.id), email: String(row.email) } : null;
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.execute({ sql: 'DELETE FROM auth_sessions WHERE token_hash = ?', args: [sha256(token)] });
}

export async function createToken(db: Db, name: string): Promise<{ id: string; token: string }> {
  const id = newId();
  const token = newSecret('tpt_', 40);
  await db.execute({
    sql: 'INSERT INTO api_tokens (id, name, token_hash, created_at) VALUES (?, ?, ?, ?)',
    args: [id, name, sha256(token), Date.now()],
  });
  return { id, token };
}

export async function tokenIsValid(db: Db, token: string): Promise<boolean> {
  const rs = await db.execute({
    sql: 'UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ? RETURNING id',
    args: [Date.now(), sha256(token)],
  });
  return rs.rows.length > 0;
}

export async function createSetupToken(db: Db, ttlMs = 86_400_000): Promise<string> {
  const token = newSecret('', 32);
  await db.execute({
    sql: 'INSERT INTO setup_tokens (token_hash, expires_at) VALUES (?, ?)',
    args: [sha256(token), Date.now() + ttlMs],
  });
  return token;
}

/** Uses a setup link once: true when it existed and had not expired; it is gone either way. */
export async function consumeSetupToken(db: Db, token: string): Promise<boolean> {
  const rs = await db.execute({
    sql: 'DELETE FROM setup_tokens WHERE token_hash = ? RETURNING expires_at',
    args: [sha256(token)],
  });
  return rs.rows.length > 0 && Number(rs.rows[0].expires_at) > Date.now();
}

export async function findSiteById(db: Db, id: string): Promise<Site | null> {
  const rs = await db.execute({
    sql: 'SELECT id, name, site_key, origins, identity_secret, settings, created_at FROM sites WHERE id = ?',
    args: [id],
  });
  return rs.rows[0] ? siteFromRow(rs.rows[0] as Record<string, unknown>) : null;
}

/** Changes a site's name and/or origins; false when there is no such site. */
export async function updateSite(
  db: Db,
  id: string,
  change: { name?: string; origins?: string[] },
): Promise<boolean> {
  const rs = await db.execute({
    sql: 'UPDATE sites SET name = COALESCE(?, name), origins = COALESCE(?, origins) WHERE id = ? RETURNING id',
    args: [change.name ?? null, change.origins ? JSON.stringify(change.origins) : null, id],
  });
  return rs.rows.length > 0;
}

/** Replaces the site's settings JSON; false when there is no such site. */
export async function setSiteSettings(
  db: Db,
  id: string,
  settings: Record<string, unknown>,
): Promise<boolean> {
  const rs = await db.execute({
    sql: 'UPDATE sites SET settings = ? WHERE id = ? RETURNING id',
    args: [JSON.stringify(settings), id],
  });
  return rs.rows.length > 0;
}

export async function listUsers(db: Db): Promise<(User & { createdAt: number })[]> {
  const rs = await db.execute('SELECT id, email, created_at FROM users ORDER BY created_at, email');
  return rs.rows.map((r) => ({ id: String(r.id), email: String(r.email), createdAt: Number(r.created_at) }));
}

export async function findUserByEmail(db: Db, email: string): Promise<User | null> {
  const rs = await db.execute({
    sql: 'SELECT id, email FROM users WHERE email = ?',
    args: [email.trim().toLowerCase()],
  });
  const row = rs.rows[0];
  return row ? { id: String(row.id), email: String(row.email) } : null;
}

/**
 * Removes a user and their sessions unless they are the last one. The count is checked in the DELETE
 * itself, so two concurrent removals cannot leave nobody able to sign in.
 */
export async function deleteUser(db: Db, id: string): Promise<'removed' | 'missing' | 'last'> {
  const rs = await db.execute({
    sql: 'DELETE FROM users WHERE id = ? AND (SELECT COUNT(*) FROM users) > 1 RETURNING id',
    args: [id],
  });
  if (rs.rows.length > 0) {
    await db.execute({ sql: 'DELETE FROM auth_sessions WHERE user_id = ?', args: [id] });
    return 'removed';
  }
  const exists = await db.execute({ sql: 'SELECT 1 FROM users WHERE id = ?', args: [id] });
  return exists.rows.length ? 'last' : 'missing';
}

export interface TokenRow {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export async function listTokens(db: Db): Promise<TokenRow[]> {
  const rs = await db.execute(
    'SELECT id, name, created_at, last_used_at FROM api_tokens ORDER BY created_at',
  );
  return rs.rows.map((r) => ({
    id: String(r.id),
    name: String(r.name),
    createdAt: Number(r.created_at),
    lastUsedAt: r.last_used_at == null ? null : Number(r.last_used_at),
  }));
}

export async function deleteToken(db: Db, id: string): Promise<boolean> {
  const rs = await db.execute({ sql: 'DELETE FROM api_tokens WHERE id = ? RETURNING id', args: [id] });
  return rs.rows.length > 0;
}
