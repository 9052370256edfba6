// All SQL of the payments ledger: one row per invoice or payment (an invoice and the payment that paid it are
// one row once any event names both), holding its latest state by event time, so an older event arriving
// after a newer one never rolls it back, and a replay changes nothing.
import type { Transaction } from '@libsql/client';
import type { UnmatchedPayment } from '../../../wire.ts';
import { newId } from '../../admin/secrets.ts';
import type { BillingFacts, BillingKind } from '../../billing/events.ts';

type Exec = Pick<Transaction, 'execute'>;

const STATUS: Record<BillingKind, string> = {
  invoiced: 'open',
  failed: 'failed',
  paid: 'paid',
  refunded: 'refunded',
  void: 'void',
};
/** Within one event time, a later step of the life of a payment wins. */
const RANK: Record<string, number> = {
  open: 1,
  failed: 2,
  paid: 3,
  partially_refunded: 4,
  refunded: 5,
  void: 6,
};

/** Does state (ts, status, messageId) come after the row's? Event time, then the step, then the id. */
function after(ts: number, status: string, messageId: string, row: Record<string, unknown>): boolean {
  if (ts !== Number(row.ts)) return ts > Number(row.ts);
  const rank = (RANK[status] ?? 0) - (RANK[String(row.status)] ?? 0);
  return rank > 0 || (rank === 0 && messageId > String(row.message_id));
}

/** A refund that states no amount refunds everything, whatever the amount turns out to be. */
const ALL = Number.MAX_SAFE_INTEGER;

/** Whose amount counts: a payment's over an invoice's over a failed attempt's, then the latest; refunds state none. */
const AMOUNT_RANK: Record<BillingKind, number> = { paid: 3, invoiced: 2, void: 2, failed: 1, refunded: 0 };
function amountKey(kind: BillingKind, ts: number, messageId: string): string | null {
  return AMOUNT_RANK[kind] ? `${AMOUNT_RANK[kind]}:${String(ts).padStart(16, '0')}:${messageId}` : null;
}

export interface LedgerEntry {
  facts: BillingFacts;
  /** Owner key of the profile's events; null while unmatched. */
  ident: string | null;
  ts: number;
  messageId: string;
  source: 'api' | 'stripe';
  email?: string | null;
  /** Unmatched only: the events to send once attached (JSON). */
  pending?: string | null;
}

export async function recordPayment(tx: Exec, siteId: string, x: LedgerEntry, now: number): Promise<string> {
  const f = x.facts;
  const rs = await tx.execute({
    sql: `SELECT * FROM payments WHERE site_id = ? AND (invoice_id = ? OR payment_id = ?) ORDER BY created_at, id`,
    args: [siteId, f.invoiceId, f.paymentId],
  });
  const rows = rs.rows as unknown as Record<string, unknown>[];
  let status = STATUS[f.kind];
  const key = f.amount !== null ? amountKey(f.kind, x.ts, x.messageId) : null;
  if (!rows.length) {
    const id = newId();
    const refunded = f.kind === 'refunded' ? (f.amount ?? ALL) : 0;
    await tx.execute({
      sql: `INSERT INTO payments (id, site_id, invoice_id, payment_id, ident, status, amount, refunded, currency, method, ts,
              message_id, source, customer_id, email, pending, created_at, updated_at, amount_key)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      args: [
        id,
        siteId,
        f.invoiceId,
        f.paymentId,
        x.ident,
        status,
        f.kind === 'refunded' ? null : f.amount,
        refunded,
        f.currency,
        f.method,
        x.ts,
        x.messageId,
        x.source,
        f.customerId,
        x.email ?? null,
        x.pending ?? null,
        now,
        now,
        key,
      ],
    });
    return id;
  }
  const row = rows[0];
  // A second row holding the other id (an invoice and its charge seen apart) folds into the first.
  for (const other of rows.slice(1)) {
    await tx.execute({ sql: 'DELETE FROM payments WHERE id = ?', args: [String(other.id)] });
    row.invoice_id ??= other.invoice_id;
    row.payment_id ??= other.payment_id;
    if (String(other.amount_key ?? '') > String(row.amount_key ?? ''))
      Object.assign(row, { amount: other.amount, currency: other.currency, amount_key: other.amount_key });
    row.refunded = Math.max(Number(row.refunded), Number(other.refunded));
    if (after(Number(other.ts), String(other.status), String(other.message_id), row))
      Object.assign(row, { status: other.status, ts: other.ts, message_id: other.message_id });
  }
  const takeAmount = key !== null && key > String(row.amount_key ?? '');
  const amount = takeAmount ? f.amount : row.amount === null ? null : Number(row.amount);
  let refunded = Number(row.refunded);
  if (f.kind === 'refunded') refunded = Math.max(refunded, f.amount ?? ALL);
  const newer = after(x.ts, status, x.messageId, row);
  status = newer ? status : String(row.status);
  // The refunded total only grows, whatever the order; the status says whether it covers the amount.
  if ((status === 'refunded' || status === 'partially_refunded') && amount !== null)
    status = refunded >= amount ? 'refunded' : 'partially_refunded';
  await tx.execute({
    sql: `UPDATE payments SET invoice_id = ?, payment_id = ?, ident = COALESCE(ident, ?), status = ?, amount = ?, refunded = ?,
            currency = ?, amount_key = ?, method = COALESCE(method, ?), ts = ?, message_id = ?,
            customer_id = COALESCE(customer_id, ?), email = COALESCE(email, ?), updated_at = ? WHERE id = ?`,
    args: [
      (row.invoice_id as string | null) ?? f.invoiceId,
      (row.payment_id as string | null) ?? f.paymentId,
      x.ident,
      status,
      amount,
      refunded,
      takeAmount ? f.currency : ((row.currency as string | null) ?? f.currency),
      takeAmount ? key : ((row.amount_key as string | null) ?? null),
      f.method,
      newer ? x.ts : Number(row.ts),
      newer ? x.messageId : String(row.message_id),
      f.customerId,
      x.email ?? null,
      now,
      String(row.id),
    ],
  });
  return String(row.id);
}

function unmatchedFromRow(r: Record<string, unknown>): UnmatchedPayment {
  return {
    id: String(r.id),
    siteId: String(r.site_id),
    invoiceId: (r.invoice_id as string | null) ?? null,
    paymentId: (r.payment_id as string | null) ?? null,
    status: String(r.status),
    amount: r.amount === null ? null : Number(r.amount),
    currency: (r.currency as string | null) ?? null,
    customerId: (r.customer_id as string | null) ?? null,
    email: (r.email as string | null) ?? null,
    at: new Date(Number(r.ts)).toISOString(),
  };
}

export async function listUnmatched(db: Exec, siteId?: string): Promise<UnmatchedPayment[]> {
  const rs = await db.execute({
    sql: `SELECT * FROM payments WHERE ident IS NULL ${siteId ? 'AND site_id = ?' : ''} ORDER BY created_at, id LIMIT 500`,
    args: siteId ? [siteId] : [],
  });
  return rs.rows.map((r) => unmatchedFromRow(r as Record<string, unknown>));
}
