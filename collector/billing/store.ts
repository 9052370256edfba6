// SQL for Stripe webhooks: a site's webhook secret, processed event ids, and how a Stripe customer, email or
// reference finds its profile (and the identifier that owns the profile's events).
import type { Transaction } from '@libsql/client';
import type { Client as Db } from '@libsql/client';
import { normaliseEmail } from '../identity/identifiers.ts';

type Exec = Pick<Transaction, 'execute'>;

export async function stripeSecretOf(db: Exec, siteId: string): Promise<string | null> {
  const rs = await db.execute({ sql: 'SELECT stripe_secret FROM sites WHERE id = ?', args: [siteId] });
  return (rs.rows[0]?.stripe_secret as string | null | undefined) ?? null;
}

/** Sets (or with null clears) the site's webhook secret; false when there is no such site. */
export async function setStripeSecret(db: Db, siteId: string, secret: string | null): Promise<boolean> {
  const rs = await db.execute({
    sql: 'UPDATE sites SET stripe_secret = ? WHERE id = ? RETURNING id',
    args: [secret, siteId],
  });
  return rs.rows.length > 0;
}

/** whsec_…last4: enough to tell which secret is set, useless to forge a signature. */
export function maskSecret(secret: string | null): string | null {
  return secret ? `whsec_…${secret.slice(-4)}` : null;
}

export async function seenStripeEvent(db: Exec, siteId: string, eventId: string): Promise<boolean> {
  const rs = await db.execute({
    sql: 'SELECT 1 FROM stripe_events WHERE site_id = ? AND event_id = ?',
    args: [siteId, eventId],
  });
  return rs.rows.length > 0;
}

export async function markStripeEvent(
  db: Exec,
  siteId: string,
  event: { id: string; type: string; created: number },
  now: number,
): Promise<void> {
  await db.execute({
    sql: `INSERT INTO stripe_events (site_id, event_id, type, created, received_at) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT DO NOTHING`,
    args: [siteId, event.id, event.type, event.created, now],
  });
}

async function liveId(db: Exec, siteId: string, id: string): Promise<string | null> {
  let next = id;
  for (let hops = 0; hops < 20; hops++) {
    const rs = await db.execute({
      sql: 'SELECT id, merged_into FROM profiles WHERE id = ? AND site_id = ?',
      args: [next, siteId],
    });
    const row = rs.rows[0];
    if (!row) return null;
    if (!row.merged_into) return String(row.id);
    next = String(row.merged_into);
  }
  return null;
}

async function profileOfKey(db: Exec, siteId: string, key: string): Promise<string | null> {
  const rs = await db.execute({
    sql: 'SELECT profile_id FROM identities WHERE site_id = ? AND key = ?',
    args: [siteId, key],
  });
  return (rs.rows[0]?.profile_id as string | undefined) ?? null;
}

export type MatchRule = 'reference' | 'payment' | 'customer' | 'email';

/**
 * The profile a Stripe object belongs to, in order: its reference (client_reference_id or
 * metadata.touchpoint_profile: a profile id, the site's user id or the widget's anonymous id), the profile
 * its payment is already on (a refund follows its payment), a Stripe customer already linked to a profile,
 * an email held by exactly one profile.
 */
export async function matchProfile(
  db: Exec,
  siteId: string,
  hint: string | null,
  customerId: string | null,
  email: string | null,
  payment: { invoiceId: string | null; paymentId: string | null } | null = null,
): Promise<{ profileId: string; rule: MatchRule } | null> {
  if (hint) {
    const id =
      (await liveId(db, siteId, hint)) ??
      (await profileOfKey(db, siteId, `u:${hint}`)) ??
      (await profileOfKey(db, siteId, `a:${hint}`));
    if (id) return { profileId: id, rule: 'reference' };
  }
  if (payment && (payment.invoiceId || payment.paymentId)) {
    const rs = await db.execute({
      sql: `SELECT i.profile_id FROM payments p JOIN identities i ON i.site_id = p.site_id AND i.key = p.ident
            WHERE p.site_id = ? AND (p.invoice_id = ? OR p.payment_id = ?) LIMIT 1`,
      args: [siteId, payment.invoiceId, payment.paymentId],
    });
    if (rs.rows[0]) return { profileId: String(rs.rows[0].profile_id), rule: 'payment' };
  }
  if (customerId) {
    const id = await profileOfKey(db, siteId, `b:${customerId}`);
    if (id) return { profileId: id, rule: 'customer' };
  }
  const normal = normaliseEmail(email);
  if (normal) {
    const key = `e:${normal}`;
    const rs = await db.execute({
      sql: 'SELECT profile_id, cluster_id FROM identities WHERE site_id = ? AND key = ?',
      args: [siteId, key],
    });
    const node = rs.rows[0];
    if (!node) return null;
    // Another profile claims it too when a link to it was refused (conflict) or waits as a proposal.
    const disputed = await db.execute({
      sql: `SELECT COUNT(*) AS n FROM links WHERE cluster_id = ? AND site_id = ? AND (a = ? OR b = ?)
              AND status IN ('conflict', 'proposal')`,
      args: [node.cluster_id, siteId, key, key],
    });
    const others = await db.execute({
      sql: 'SELECT COUNT(*) AS n FROM profiles WHERE site_id = ? AND email = ? AND merged_into IS NULL AND id != ?',
      args: [siteId, normal, String(node.profile_id)],
    });
    if (Number(disputed.rows[0].n) === 0 && Number(others.rows[0].n) === 0)
      return { profileId: String(node.profile_id), rule: 'email' };
  }
  return null;
}

/** The identifier that owns a profile's events: its user id, else its oldest browser. */
export async function ownerOf(db: Exec, siteId: string, profileId: string): Promise<string | null> {
  const rs = await db.execute({
    sql: `SELECT key FROM identities WHERE site_id = ? AND profile_id = ? AND (key LIKE 'u:%' OR key LIKE 'a:%')
          ORDER BY CASE WHEN key LIKE 'u:%' THEN 0 ELSE 1 END, created_at, key LIMIT 1`,
    args: [siteId, profileId],
  });
  return (rs.rows[0]?.key as string | undefined) ?? null;
}

/** The profile holding a Stripe customer id, if any. */
export function profileOfCustomer(db: Exec, siteId: string, customerId: string): Promise<string | null> {
  return profileOfKey(db, siteId, `b:${customerId}`);
}
