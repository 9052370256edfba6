// Password hashing (scrypt) and random secrets stored only as SHA-256 digests.
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { customAlphabet } from 'nanoid';

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 64 };

function scrypt(password: string, salt: Buffer, keylen: number, opts: { N: number; r: number; p: number }) {
  return new Promise<Buffer>((resolve, reject) =>
    scryptCb(password, salt, keylen, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash`, so parameters can be raised later without breaking old hashes. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.keylen, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: +n,
    r: +r,
    p: +p,
  });
  return timingSafeEqual(key, expected);
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

const alphabet = customAlphabet('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');
/** A random secret with a readable prefix saying what it is (`sk_` site secret, `tpt_` API token…). */
export function newSecret(prefix: string, length = 32): string {
  return prefix + alphabet(length);
}
export function newId(length = 16): string {
  return alphabet(length);
}

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/**
 * A 16-character id that sorts by when it was made (7 characters of milliseconds in base 62, in the same
 * alphabet, whose characters sort in code-point order; good to the year 2081), then 9 random ones. Rows keyed by
 * such ids are appended where the ids before them end, so an index that orders them (a profile's many list
 * indexes, its identities and changes) takes a commit's new rows on a few pages instead of one page each.
 */
export function sortableId(now = Date.now()): string {
  let t = Math.max(0, Math.floor(now));
  let head = '';
  for (let i = 0; i < 7; i++) {
    head = DIGITS[t % 62] + head;
    t = Math.floor(t / 62);
  }
  return head + alphabet(9);
}
