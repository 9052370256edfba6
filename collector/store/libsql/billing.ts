// All SQL of billing beyond the ledger's own: a site's Stripe webhook secret, processed Stripe events, how a
// reference, payment, Stripe customer or email finds its profile, and the two writes that send money to a
// profile (a Stripe delivery, attaching an unmatched payment). Each of those is one write job: whatever happens
// to the process, a delivery is either all on disk (event, profile, ledger, processed id) or not at all.
import type { Db as Client } from './client.ts';
import {
  type OwnerlessTrack,
  ownedTrack,
  type StripeDelivery,
  type StripeUse,
} from '../../billing/webhook.ts';
import { normaliseEmail } from '../../identity/identifiers.ts';
import { browserOf } from '../../identity/graph.ts';
import { type PreparedEvent, prepareEvent } from '../../ingest/prepare.ts';
import { Refused } from '../errors.ts';
import type { BillingStore, StripeMatchRule, StripeOutcome } from '../types.ts';
import { commitEventGroups } from './events.ts';
import { listUnmatched, recordPayment } from './ledger.ts';
import { liveProfileRow } from './profiles.ts';
import type { Exec, WriteFn } from './writer.ts';

// ---- Matching ----

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

/**
 * The profile a Stripe object belongs to, in order: its reference (client_reference_id or
 * metadata.touchpoint_profile: a profile id, the site's user id or the widget's anonymous id), the profile
 * its payment is already on (a refund follows its payment), a Stripe customer already linked to a profile,
 * an email held by exactly one profile.
 */
async function matchProfile(
  db: Exec,
  siteId: string,
  use: Pick<StripeUse, 'hint' | 'customerId' | 'email' | 'money'>,
): Promise<{ profileId: string; rule: StripeMatchRule } | null> {
  if (use.hint) {
    const id =
      (await liveId(db, siteId, use.hint)) ??
      (await profileOfKey(db, siteId, `u:${use.hint}`)) ??
      (await profileOfKey(db, siteId, `a:${use.hint}`));
    if (id) return { profileId: id, rule: 'reference' };
  }
  const payment = use.money;
  if (payment && (payment.invoiceId || payment.paymentId)) {
    const rs = await db.execute({
      sql: `SELECT i.profile_id FROM payments p JOIN identities i ON i.site_id = p.site_id AND i.key = p.ident
            WHERE p.site_id = ? AND (p.invoice_id = ? OR p.payment_id = ?) LIMIT 1`,
      args: [siteId, payment.invoiceId, payment.paymentId],
    });
    if (rs.rows[0]) return { profileId: String(rs.rows[0].profile_id), rule: 'payment' };
  }
  if (use.customerId) {
    const id = await profileOfKey(db, siteId, `b:${use.customerId}`);
    if (id) return { profileId: id, rule: 'customer' };
  }
  const normal = normaliseEmail(use.email);
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
async function ownerOf(db: Exec, siteId: string, profileId: string): Promise<string | null> {
  const rs = await db.execute({
    sql: `SELECT key FROM identities WHERE site_id = ? AND profile_id = ? AND (key LIKE 'u:%' OR key LIKE 'a:%' OR key LIKE 's:%')
          ORDER BY CASE WHEN key LIKE 'u:%' THEN 0 WHEN key LIKE 'a:%' THEN 1 ELSE 2 END, created_at, key LIMIT 1`,
    args: [siteId, profileId],
  });
  const key = rs.rows[0]?.key as string | undefined;
  // A later person's part of a shared browser: the event goes to the browser and lands in the part its time falls in.
  return key === undefined ? null : browserOf(key);
}

// ---- Writing ----

const settled = () => {};

/**
 * Stores events owned by `owner` ('u:…' or 'a:…') as a signed webhook's and folds them into the profile: the
 * same commit as ingest's, run inside the caller's job rather than queued, so it shares the job's transaction.
 */
async function storeOwned(tx: Exec, siteId: string, owner: string, tracks: OwnerlessTrack[], now: number) {
  const events: PreparedEvent[] = tracks.map((t) => {
    const owned = ownedTrack(t, owner);
    // The webhook validated each track before it was stored or waited: this is a bug, not bad input.
    if (!owned.ok) throw new Error(`a Stripe event did not make a valid event: ${owned.problem}`);
    const p = prepareEvent(owned.event, JSON.stringify(owned.event), now);
    p.proof = 'webhook';
    return p;
  });
  await commitEventGroups(tx, [{ siteId, events, resolve: settled, reject: settled }], now);
}

/** Unmatched rows of the payment, with the events waiting on them. */
async function waitingFor(tx: Exec, siteId: string, money: StripeUse['money']) {
  if (!money) return [];
  const rs = await tx.execute({
    sql: `SELECT id, pending FROM payments WHERE site_id = ? AND ident IS NULL AND pending IS NOT NULL
            AND (invoice_id = ? OR payment_id = ?)`,
    args: [siteId, money.invoiceId, money.paymentId],
  });
  return rs.rows.map((r) => ({
    id: String(r.id),
    events: JSON.parse(String(r.pending)) as OwnerlessTrack[],
  }));
}

async function seenStripeEvent(db: Exec, siteId: string, eventId: string): Promise<boolean> {
  const rs = await db.execute({
    sql: 'SELECT 1 FROM stripe_events WHERE site_id = ? AND event_id = ?',
    args: [siteId, eventId],
  });
  return rs.rows.length > 0;
}

async function markStripeEvent(
  tx: Exec,
  siteId: string,
  d: StripeDelivery,
  outcome: 'stored' | 'unmatched' | 'ignored',
  reason: string,
  now: number,
): Promise<void> {
  await tx.execute({
    sql: `INSERT INTO stripe_events (site_id, event_id, type, created, received_at, outcome, reason)
          VALUES (?, ?, ?, ?, ?, ?, ?)`,
    args: [siteId, d.id, d.type, d.created, now, outcome, reason],
  });
}

/** One Stripe delivery, whole: dedupe, match, store and fold (or wait unmatched), mark processed. */
async function deliver(tx: Exec, siteId: string, d: StripeDelivery): Promise<StripeOutcome> {
  if (await seenStripeEvent(tx, siteId, d.id)) return { outcome: 'duplicate' };
  const now = Date.now();
  if ('ignored' in d.use) {
    await markStripeEvent(tx, siteId, d, 'ignored', d.use.ignored, now);
    return { outcome: 'ignored', reason: d.use.ignored };
  }
  const use = d.use;
  // A copy: a retried transaction runs the job again from the same input.
  const track = structuredClone(use.track);
  const match = await matchProfile(tx, siteId, use);
  const owner = match ? await ownerOf(tx, siteId, match.profileId) : null;
  if (match && owner) {
    // Link the Stripe customer only when no other profile holds it: a Stripe event alone never merges two profiles.
    const holder = use.customerId ? await profileOfKey(tx, siteId, `b:${use.customerId}`) : null;
    const customerId = holder && holder !== match.profileId ? null : use.customerId;
    // Earlier events of this payment that waited unmatched go to the same profile now.
    const waiting = await waitingFor(tx, siteId, use.money);
    const events = [...waiting.flatMap((w) => w.events), track];
    if (!customerId) for (const e of events) delete e.properties.customer_id;
    await storeOwned(tx, siteId, owner, events, now);
    for (const w of waiting)
      await tx.execute({
        sql: 'UPDATE payments SET ident = COALESCE(ident, ?), pending = NULL WHERE id = ?',
        args: [owner, w.id],
      });
    await markStripeEvent(tx, siteId, d, 'stored', `matched by ${match.rule}`, now);
    return { outcome: 'stored', profileId: match.profileId, matchedBy: match.rule };
  }
  // Unmatched: money waits in the list for a marketer; a customer event with no profile changes nothing.
  if (use.money) {
    const id = await recordPayment(
      tx,
      siteId,
      {
        facts: use.money,
        ident: null,
        ts: use.at,
        messageId: track.messageId,
        source: 'stripe',
        email: use.email,
      },
      now,
    );
    await tx.execute({
      sql: `UPDATE payments SET pending = json_insert(COALESCE(pending, '[]'), '$[#]', json(?))
            WHERE id = ? AND ident IS NULL`,
      args: [JSON.stringify(track), id],
    });
  }
  const reason = use.money ? 'no profile matched: the payment waits unmatched' : 'no profile matched';
  await markStripeEvent(tx, siteId, d, 'unmatched', reason, now);
  return { outcome: 'unmatched', money: !!use.money };
}

/** An unmatched payment given to a profile, whole: its waiting events stored on the profile, its owner set. */
async function attach(tx: Exec, paymentId: string, profileId: string) {
  const rs = await tx.execute({
    sql: 'SELECT id, site_id, ident, pending FROM payments WHERE id = ?',
    args: [paymentId],
  });
  const row = rs.rows[0];
  if (!row) throw new Refused('not_found', 'not_found', 'no payment with this id', 'id');
  if (row.ident !== null)
    throw new Refused('conflict', 'already_attached', 'this payment already belongs to a profile', 'id');
  const profile = await liveProfileRow(tx, profileId);
  if (!profile || profile.site_id !== row.site_id)
    throw new Refused('not_found', 'not_found', 'no profile with this id on the payment’s site', 'profileId');
  const siteId = String(row.site_id);
  const owner = await ownerOf(tx, siteId, String(profile.id));
  if (!owner)
    throw new Refused(
      'conflict',
      'no_identifiers',
      'the profile has no user id or browser to own events',
      'profileId',
    );
  const events = JSON.parse(String(row.pending ?? '[]')) as OwnerlessTrack[];
  for (const e of events) {
    const customer = e.properties.customer_id;
    const holder = typeof customer === 'string' ? await profileOfKey(tx, siteId, `b:${customer}`) : null;
    // The marketer attaches this payment, not the Stripe customer's other profile: no merge through it.
    if (holder && holder !== String(profile.id)) delete e.properties.customer_id;
  }
  const now = Date.now();
  if (events.length) await storeOwned(tx, siteId, owner, events, now);
  await tx.execute({
    sql: 'UPDATE payments SET ident = COALESCE(ident, ?), pending = NULL, updated_at = ? WHERE id = ?',
    args: [owner, now, String(row.id)],
  });
  return { paymentId: String(row.id), profileId: String(profile.id) };
}

export function createBillingStore(client: Client, write: <T>(fn: WriteFn<T>) => Promise<T>): BillingStore {
  return {
    async stripeSecret(siteId) {
      const rs = await client.execute({
        sql: 'SELECT stripe_secret FROM sites WHERE id = ?',
        args: [siteId],
      });
      return (rs.rows[0]?.stripe_secret as string | null | undefined) ?? null;
    },
    async setStripeSecret(siteId, secret) {
      const rs = await write((tx) =>
        tx.execute({
          sql: 'UPDATE sites SET stripe_secret = ? WHERE id = ? RETURNING id',
          args: [secret, siteId],
        }),
      );
      return rs.rows.length > 0;
    },
    recordStripeEvent: (siteId, delivery) => write((tx) => deliver(tx, siteId, delivery)),
    unmatched: (siteId) => listUnmatched(client, siteId),
    attach: (paymentId, profileId) => write((tx) => attach(tx, paymentId, profileId)),
  };
}
