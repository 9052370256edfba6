// All SQL for users, login sessions, API tokens and setup links, and the row ↔ object mapping.
import type { Db as Client } from './client.ts';
import { hashPassword, newId, newSecret, sha256, verifyPassword } from '../../admin/secrets.ts';
import type { AccountStore, Role, User } from '../types.ts';
import type { WriteFn } from './writer.ts';

export const SESSION_DAYS = 30;
/** A token's last use is written at most this often, so reading the API is not a write per request. */
const TOKEN_TOUCH_MS = 60_000;

export function createAccountStore(client: Client, write: <T>(fn: WriteFn<T>) => Promise<T>): AccountStore {
  const userFrom = (row: Record<string, unknown>): User => ({
    id: String(row.id),
    email: String(row.email),
    role: row.role === 'member' ? 'member' : 'admin',
  });
  return {
    async countUsers() {
      const rs = await client.execute('SELECT COUNT(*) AS n FROM users');
      return Number(rs.rows[0].n);
    },
    async createUser(email, password, role: Role = 'admin') {
      const user: User = { id: newId(), email: email.trim().toLowerCase(), role };
      const hash = await hashPassword(password);
      await write((tx) =>
        tx.execute({
          sql: 'INSERT INTO users (id, email, password_hash, created_at, role) VALUES (?, ?, ?, ?, ?)',
          args: [user.id, user.email, hash, Date.now(), role],
        }),
      );
      return user;
    },
    setRole(id, role) {
      return write(async (tx) => {
        const rs = await tx.execute({
          sql: `UPDATE users SET role = ? WHERE id = ?
                  AND (? = 'admin' OR (SELECT COUNT(*) FROM users WHERE role = 'admin' AND id <> ?) > 0)
                RETURNING id`,
          args: [role, id, role, id],
        });
        if (rs.rows.length) return 'changed' as const;
        const exists = await tx.execute({ sql: 'SELECT 1 FROM users WHERE id = ?', args: [id] });
        return exists.rows.length ? ('last' as const) : ('missing' as const);
      });
    },
    async checkLogin(email, password) {
      const rs = await client.execute({
        sql: 'SELECT id, email, role, password_hash FROM users WHERE email = ?',
        args: [email.trim().toLowerCase()],
      });
      const row = rs.rows[0];
      if (!row) {
        // Spend the same time as a real check so response time does not reveal which emails exist.
        await verifyPassword(password, 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(86));
        return null;
      }
      return (await verifyPassword(password, String(row.password_hash))) ? userFrom(row) : null;
    },
    async listUsers() {
      const rs = await client.execute(
        'SELECT id, email, role, created_at FROM users ORDER BY created_at, email',
      );
      return rs.rows.map((r) => ({ ...userFrom(r), createdAt: Number(r.created_at) }));
    },
    async findUserByEmail(email) {
      const rs = await client.execute({
        sql: 'SELECT id, email, role FROM users WHERE email = ?',
        args: [email.trim().toLowerCase()],
      });
      return rs.rows[0] ? userFrom(rs.rows[0]) : null;
    },
    async userExists(id) {
      const rs = await client.execute({ sql: 'SELECT 1 FROM users WHERE id = ?', args: [id] });
      return rs.rows.length > 0;
    },
    deleteUser(id) {
      // One transaction: two concurrent removals cannot leave nobody able to sign in.
      return write(async (tx) => {
        const rs = await tx.execute({
          sql: `DELETE FROM users WHERE id = ? AND (SELECT COUNT(*) FROM users) > 1
                  AND (role <> 'admin' OR (SELECT COUNT(*) FROM users WHERE role = 'admin') > 1) RETURNING id`,
          args: [id],
        });
        if (rs.rows.length > 0) {
          await tx.execute({ sql: 'DELETE FROM auth_sessions WHERE user_id = ?', args: [id] });
          return 'removed' as const;
        }
        const exists = await tx.execute({ sql: 'SELECT 1 FROM users WHERE id = ?', args: [id] });
        return exists.rows.length ? ('last' as const) : ('missing' as const);
      });
    },
    async createSession(userId) {
      const token = newSecret('', 43);
      const now = Date.now();
      await write((tx) =>
        tx.execute({
          sql: 'INSERT INTO auth_sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
          args: [sha256(token), userId, now, now + SESSION_DAYS * 86_400_000],
        }),
      );
      return token;
    },
    async userForSession(token) {
      const rs = await client.execute({
        sql: `SELECT u.id, u.email, u.role FROM auth_sessions s JOIN users u ON u.id = s.user_id
              WHERE s.token_hash = ? AND s.expires_at > ?`,
        args: [sha256(token), Date.now()],
      });
      return rs.rows[0] ? userFrom(rs.rows[0]) : null;
    },
    async deleteSession(token) {
      await write((tx) =>
        tx.execute({ sql: 'DELETE FROM auth_sessions WHERE token_hash = ?', args: [sha256(token)] }),
      );
    },
    async createToken(name) {
      const id = newId();
      const token = newSecret('tpt_', 40);
      await write((tx) =>
        tx.execute({
          sql: 'INSERT INTO api_tokens (id, name, token_hash, created_at) VALUES (?, ?, ?, ?)',
          args: [id, name, sha256(token), Date.now()],
        }),
      );
      return { id, token };
    },
    async tokenIsValid(token) {
      const hash = sha256(token);
      const rs = await client.execute({
        sql: 'SELECT id, last_used_at FROM api_tokens WHERE token_hash = ?',
        args: [hash],
      });
      const row = rs.rows[0];
      if (!row) return false;
      const now = Date.now();
      if (row.last_used_at == null || Number(row.last_used_at) < now - TOKEN_TOUCH_MS) {
        await write((tx) =>
          tx.execute({ sql: 'UPDATE api_tokens SET last_used_at = ? WHERE id = ?', args: [now, row.id] }),
        );
      }
      return true;
    },
    async listTokens() {
      const rs = await client.execute(
        'SELECT id, name, created_at, last_used_at FROM api_tokens ORDER BY created_at',
      );
      return rs.rows.map((r) => ({
        id: String(r.id),
        name: String(r.name),
        createdAt: Number(r.created_at),
        lastUsedAt: r.last_used_at == null ? null : Number(r.last_used_at),
      }));
    },
    async deleteToken(id) {
      const rs = await write((tx) =>
        tx.execute({ sql: 'DELETE FROM api_tokens WHERE id = ? RETURNING id', args: [id] }),
      );
      return rs.rows.length > 0;
    },
    async createSetupToken(ttlMs = 86_400_000) {
      const token = newSecret('', 32);
      await write((tx) =>
        tx.execute({
          sql: 'INSERT INTO setup_tokens (token_hash, expires_at) VALUES (?, ?)',
          args: [sha256(token), Date.now() + ttlMs],
        }),
      );
      return token;
    },
    async setupTokenOpen(token) {
      const rs = await client.execute({
        sql: `SELECT expires_at FROM setup_tokens WHERE token_hash = ? AND NOT EXISTS (SELECT 1 FROM users)`,
        args: [sha256(token)],
      });
      return rs.rows.length > 0 && Number(rs.rows[0].expires_at) > Date.now();
    },
    async consumeSetupToken(token) {
      const rs = await write((tx) =>
        tx.execute({
          sql: 'DELETE FROM setup_tokens WHERE token_hash = ? RETURNING expires_at',
          args: [sha256(token)],
        }),
      );
      return rs.rows.length > 0 && Number(rs.rows[0].expires_at) > Date.now();
    },
  };
}
