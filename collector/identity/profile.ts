// Profile fields by per-field policy, folded over a component's events in event-time order: first/last seen
// widen, name/phone/company take the latest, email takes a verified one before a claimed one, touches and
// lifecycle evidence are kept with their event. Folding the events sorted by (time, messageId) is the
// definition, so any arrival order gives the same profile.
import { EVENTS, STAGES, type Stage, type WireEvent } from '../../wire.ts';
import { billingFacts } from '../billing/events.ts';
import { toMinor } from '../billing/money.ts';
import { eventTouches, type TouchRecord } from './channels.ts';
import { type EventIdentity, eventCompany, eventEmail, eventName, eventPhone } from './identifiers.ts';
import type { IdentitySettings } from './rules.ts';

/** Inactivity after which a direct visit is a new session and a new touch. */
const SESSION_GAP_MS = 30 * 60_000;

export interface FoldEvent {
  messageId: string;
  type: WireEvent['type'];
  event: string | null;
  ts: number;
  raw: WireEvent;
  identity: EventIdentity;
}

export interface Stated {
  value: string;
  at: number;
  messageId: string;
  /** Stated by a sender the site vouches for (the secret key, or a signed identify). */
  verified?: boolean;
}

export interface Evidence {
  at: number;
  messageId: string;
  rule: string;
}

export interface Payment {
  /** The invoice id, else the payment id (order id…), else the event's messageId. */
  id: string;
  at: number;
  messageId: string;
  /** Minor units of `currency`. */
  amount: number | null;
  /** Fully refunded: no longer evidence for a stage. */
  refunded: boolean;
  invoiceId?: string | null;
  paymentId?: string | null;
  currency?: string | null;
  method?: string | null;
  /** Minor units refunded so far, and the refund that last raised it. */
  refundedAmount?: number;
  /** A refund stated no amount: everything is refunded, whatever the amount. */
  refundAll?: boolean;
  /** Made by a refund seen before its payment; not a payment until the payment is folded. */
  placeholder?: boolean;
  refund?: { at: number; messageId: string } | null;
  /** The last touch before this payment (last-touch attribution). */
  touch?: { channel: string; campaign: string | null; at: number } | null;
}

export interface FailedPayment {
  id: string;
  at: number;
  messageId: string;
}

export interface Warning {
  kind: string;
  value: string;
  reason: string;
  messageId: string;
}

export interface ProfileState {
  firstSeen: number;
  lastSeen: number;
  /** (ts, messageId) of the last event folded: a later event can be folded in, an earlier one needs a refold. */
  lastKey: [number, string];
  eventCount: number;
  /** A role mailbox (info@, sales@) is kept as the contact email while no personal one is known; it never links. */
  email: (Stated & { verified: boolean; role?: boolean }) | null;
  userId: Stated | null;
  name: Stated | null;
  phone: Stated | null;
  company: Stated | null;
  firstTouch: TouchRecord | null;
  leadTouch: TouchRecord | null;
  lastTouch: TouchRecord | null;
  touchIds: string[];
  sessions: number;
  score: number;
  scoreParts: { pricing: number; sessions: number; chat: number; forms: number };
  lead: Evidence | null;
  qualified: Evidence | null;
  payments: Payment[];
  /** Failed payment attempts (most recent 50). */
  failures?: FailedPayment[];
  renewals: Evidence[];
  /** The `ref` code this visitor arrived with. */
  referredBy: string | null;
  /** The `ref` code already folded when the profile became a lead: the referral that lead credits. */
  leadReferredBy?: string | null;
  warnings: Warning[];
}

export function emptyProfile(): ProfileState {
  return {
    firstSeen: 0,
    lastSeen: 0,
    lastKey: [-Infinity, ''],
    eventCount: 0,
    email: null,
    userId: null,
    name: null,
    phone: null,
    company: null,
    firstTouch: null,
    leadTouch: null,
    lastTouch: null,
    touchIds: [],
    sessions: 0,
    score: 0,
    scoreParts: { pricing: 0, sessions: 0, chat: 0, forms: 0 },
    lead: null,
    qualified: null,
    payments: [],
    failures: [],
    renewals: [],
    referredBy: null,
    warnings: [],
  };
}

export function eventOrder(
  a: { ts: number; messageId: string },
  b: { ts: number; messageId: string },
): number {
  return a.ts - b.ts || (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0);
}

/** Can `e` be folded onto `p` directly (it sorts after every event already folded)? */
export function foldsAfter(p: ProfileState, e: { ts: number; messageId: string }): boolean {
  return eventOrder(e, { ts: p.lastKey[0], messageId: p.lastKey[1] }) > 0;
}

const PAYMENT = /^(order completed|payment succeeded|invoice paid|charge succeeded|checkout completed)$/i;
const REFUND = /^(order refunded|payment refunded|charge refunded|invoice refunded)$/i;
// Reserved billing names (Invoice Paid, Payment Succeeded, Refund Issued…) are folded by foldBilling.
const RENEWAL = /^(subscription renewed)$/i;
const CHAT = /^(chat|conversation)\b/i;

function paymentId(e: FoldEvent): string {
  const p = e.raw.properties ?? {};
  for (const k of ['orderId', 'order_id', 'paymentId', 'payment_id', 'invoiceId', 'invoice_id', 'chargeId']) {
    const v = p[k];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
  }
  return e.messageId;
}

function amountOf(e: FoldEvent): number | null {
  const p = e.raw.properties ?? {};
  for (const k of ['revenue', 'total', 'amount', 'value']) {
    const v = p[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

function formKind(e: FoldEvent): string {
  const p = e.raw.properties ?? {};
  const k = p.formKind ?? p.kind ?? p.formId;
  return typeof k === 'string' ? k.toLowerCase() : 'default';
}

function isPricingView(e: FoldEvent): boolean {
  if (e.type !== 'page') return false;
  const url = e.raw.context?.page?.path ?? e.raw.context?.page?.url ?? '';
  return /\/pricing\b/i.test(url) || /^pricing$/i.test(e.event ?? '');
}

/**
 * Folds one event onto the state of a component whose identifier keys are `keys` (an email or user id the
 * event carries counts only when that identifier belongs to the component). Mutates and returns `p`.
 */
export function fold(
  p: ProfileState,
  e: FoldEvent,
  keys: ReadonlySet<string>,
  settings: IdentitySettings,
): ProfileState {
  // Active within the last 30 minutes: a direct visit then is the same session, not a new touch.
  const active = p.eventCount > 0 && e.ts - p.lastSeen < SESSION_GAP_MS;
  if (p.eventCount === 0) p.firstSeen = e.ts;
  p.firstSeen = Math.min(p.firstSeen, e.ts);
  p.lastSeen = Math.max(p.lastSeen, e.ts);
  p.lastKey = [e.ts, e.messageId];
  p.eventCount++;
  const at = { at: e.ts, messageId: e.messageId };
  const raw = e.raw;

  for (const b of e.identity.blocked) {
    if (p.warnings.length < 20 && !p.warnings.some((w) => w.kind === b.kind && w.value === b.value)) {
      p.warnings.push({ kind: b.kind, value: b.value, reason: b.reason, messageId: e.messageId });
    }
  }
  const email = eventEmail(raw);
  const emailId = email ? e.identity.ids.find((i) => i.key === `e:${email}`) : undefined;
  const role =
    email && !emailId
      ? e.identity.blocked.find(
          (b) => b.kind === 'email' && b.value === email && b.reason.startsWith('role mailbox'),
        )
      : undefined;
  if (role && (!p.email || p.email.role)) p.email = { value: email!, verified: false, role: true, ...at };
  if (emailId && keys.has(emailId.key)) {
    // Verified beats claimed; within the same kind the latest wins.
    if (!p.email || emailId.verified || !p.email.verified) {
      p.email = {
        value: email!,
        verified: emailId.verified || (p.email?.value === email && p.email.verified),
        ...at,
      };
    }
  }
  if (raw.userId && keys.has(`u:${raw.userId}`)) p.userId = { value: raw.userId, ...at };
  // A trait a verified sender stated is never overwritten by a claim; within the same kind the latest wins.
  const vouched = e.identity.ids.some((i) => i.verified);
  const state = (value: string | null | undefined, was: Stated | null): Stated | null =>
    value && (vouched || !was?.verified) ? { value, ...at, ...(vouched ? { verified: true } : {}) } : was;
  const phone = eventPhone(raw);
  p.name = state(eventName(raw), p.name);
  p.phone = state(phone, p.phone);
  p.company = state(eventCompany(raw), p.company);

  for (const t of eventTouches(raw, e.ts, e.messageId, settings)) {
    if (p.touchIds.includes(t.messageId)) continue;
    // A new touch starts with a campaign or another site's referrer, or after 30 minutes of inactivity.
    if (active && t.channel === 'Direct' && !t.messageId.startsWith('first:')) continue;
    if (p.touchIds.length < 50) p.touchIds.push(t.messageId);
    p.sessions++;
    addScore(p, 'sessions', settings.score.session);
    if (!p.firstTouch || t.at < p.firstTouch.at) p.firstTouch = t;
    // Last non-direct click: typing the address in soon after an ad or a link does not take its credit.
    const keepsCredit =
      p.lastTouch &&
      t.channel === 'Direct' &&
      p.lastTouch.channel !== 'Direct' &&
      t.at - p.lastTouch.at < settings.attributionWindowDays * 86_400_000;
    if ((!p.lastTouch || t.at >= p.lastTouch.at) && !keepsCredit) p.lastTouch = t;
    if (t.touch.ref && !p.referredBy) p.referredBy = t.touch.ref;
  }

  const isForm = e.type === 'track' && e.event === EVENTS.form;
  const isChat = e.type === 'track' && !!e.event && CHAT.test(e.event);
  if (isPricingView(e)) addScore(p, 'pricing', settings.score.pricingView);
  if (isChat) addScore(p, 'chat', settings.score.chat);
  if (isForm) {
    const w = settings.score.forms[formKind(e)] ?? settings.score.forms.default ?? 0;
    addScore(p, 'forms', w);
  }
  // Contact details make a lead: an identify with an email, a form or chat that leaves an email or phone.
  const contact = !!(email || phone);
  if (!p.lead && contact && (e.type === 'identify' || isForm || isChat)) {
    p.lead = {
      ...at,
      rule: isForm
        ? 'form with contact details'
        : isChat
          ? 'chat with contact details'
          : 'identify with email',
    };
    p.leadTouch = p.lastTouch;
    p.leadReferredBy = p.referredBy;
  }

  const billing = e.type === 'track' ? billingFacts(raw) : null;
  if (billing) foldBilling(p, e, billing);
  else if (e.type === 'track' && e.event) {
    if (PAYMENT.test(e.event)) {
      const id = paymentId(e);
      if (!p.payments.some((x) => x.id === id)) {
        p.payments.push({
          id,
          ...at,
          ...legacyAmount(e),
          refunded: false,
          paymentId: id,
          touch: touchRef(p),
        });
      }
    } else if (REFUND.test(e.event)) {
      const id = paymentId(e);
      const paid = p.payments.find((x) => x.id === id);
      if (paid && !paid.refunded) {
        paid.refunded = true;
        paid.refundAll = true;
        paid.refund = at;
      }
    } else if (RENEWAL.test(e.event)) {
      p.renewals.push({ ...at, rule: 'subscription renewed' });
    }
  }
  return p;
}

function touchRef(p: ProfileState): Payment['touch'] {
  const t = p.lastTouch;
  return t ? { channel: t.channel, campaign: t.touch.campaign ?? null, at: t.at } : null;
}

/** Segment's e-commerce events state `revenue` (or total…) in the major unit, USD unless `currency` says otherwise. */
function legacyAmount(e: FoldEvent): { amount: number | null; currency: string | null } {
  const major = amountOf(e);
  if (major === null || major < 0) return { amount: null, currency: null };
  const c = e.raw.properties?.currency;
  const currency = typeof c === 'string' && /^[a-z]{3}$/i.test(c) ? c.toUpperCase() : 'USD';
  const m = toMinor(major, currency);
  return { amount: m.ok ? m.minor : Math.round(major * 100), currency };
}

/**
 * A billing event onto the payments: an invoice and the charge that paid it are one payment when any event
 * names both ids; a refund raises the refunded total (a maximum, so replays and old events change nothing).
 */
function foldBilling(p: ProfileState, e: FoldEvent, b: NonNullable<ReturnType<typeof billingFacts>>) {
  const at = { at: e.ts, messageId: e.messageId };
  const same = (x: Payment) =>
    (!!b.invoiceId && x.invoiceId === b.invoiceId) ||
    (!!b.paymentId && x.paymentId === b.paymentId) ||
    x.id === (b.invoiceId ?? b.paymentId);
  const found = p.payments.filter(same);
  if (b.kind === 'failed') {
    p.failures ??= [];
    if (!p.failures.some((f) => f.messageId === e.messageId)) {
      p.failures.push({ id: b.invoiceId ?? b.paymentId ?? e.messageId, ...at });
      if (p.failures.length > 50) p.failures.shift();
    }
    return;
  }
  if (b.kind === 'paid') {
    let x = found.find((f) => !f.placeholder) ?? found[0];
    if (x?.placeholder) {
      Object.assign(x, {
        ...at,
        placeholder: false,
        amount: b.amount,
        currency: b.currency,
        touch: touchRef(p),
      });
      x.method ??= b.method;
    }
    if (!x) {
      x = {
        id: b.invoiceId ?? b.paymentId ?? e.messageId,
        ...at,
        amount: b.amount,
        currency: b.currency,
        method: b.method,
        invoiceId: b.invoiceId,
        paymentId: b.paymentId,
        refunded: false,
        refundedAmount: 0,
        touch: touchRef(p),
      };
      p.payments.push(x);
    }
    // Events that name both ids join entries made from one id each.
    for (const other of found.filter((f) => f !== x)) {
      p.payments.splice(p.payments.indexOf(other), 1);
      x.refundAll ||= other.refundAll;
      x.refundedAmount = Math.max(x.refundedAmount ?? 0, other.refundedAmount ?? 0);
      x.refund ??= other.refund;
      x.refunded ||= other.refunded;
    }
    x.invoiceId ??= b.invoiceId;
    x.paymentId ??= b.paymentId;
    if (x.amount === null && b.amount !== null) {
      x.amount = b.amount;
      x.currency = b.currency;
    }
    x.method ??= b.method;
    settleRefund(x);
    return;
  }
  if (b.kind === 'refunded') {
    if (!found.length) {
      // The refund came first (by event time): keep it for the payment it names.
      found.push({
        id: b.invoiceId ?? b.paymentId ?? e.messageId,
        ...at,
        amount: null,
        currency: b.currency,
        invoiceId: b.invoiceId,
        paymentId: b.paymentId,
        refunded: false,
        placeholder: true,
      });
      p.payments.push(found[0]);
    }
    for (const x of found) {
      const raised = b.amount === null ? !x.refundAll : b.amount > (x.refundedAmount ?? 0);
      if (raised) x.refund = at;
      x.refundedAmount = Math.max(x.refundedAmount ?? 0, b.amount ?? 0);
      x.refundAll ||= b.amount === null;
      settleRefund(x);
    }
  }
}

/** Fully refunded (no longer evidence) when a refund stated no amount or the refunds cover the amount. */
function settleRefund(x: Payment) {
  const total = x.refundedAmount ?? 0;
  x.refunded = !x.placeholder && (!!x.refundAll || (total > 0 && (x.amount === null || total >= x.amount)));
}

function addScore(p: ProfileState, part: keyof ProfileState['scoreParts'], weight: number) {
  p.scoreParts[part] += weight;
  p.score += weight;
}

/** Folds a component's events from scratch. */
export function derive(
  events: FoldEvent[],
  keys: ReadonlySet<string>,
  settings: IdentitySettings,
): ProfileState {
  const p = emptyProfile();
  for (const e of [...events].sort(eventOrder)) {
    fold(p, e, keys, settings);
    qualify(p, e, settings);
  }
  return p;
}

/** Folds one event and checks the lead score threshold at that event. */
export function foldEvent(
  p: ProfileState,
  e: FoldEvent,
  keys: ReadonlySet<string>,
  settings: IdentitySettings,
) {
  fold(p, e, keys, settings);
  qualify(p, e, settings);
}

function qualify(p: ProfileState, e: FoldEvent, settings: IdentitySettings) {
  if (!p.qualified && p.score >= settings.score.threshold) {
    p.qualified = {
      at: e.ts,
      messageId: e.messageId,
      rule: `lead score ${p.score} ≥ ${settings.score.threshold}`,
    };
  }
}

// ---- Lifecycle ----

export interface StageEntry {
  stage: Stage;
  at: number;
  messageId: string | null;
  rule: string;
  skipped?: boolean;
  manual?: boolean;
  voided?: boolean;
}

export interface StageOverride {
  stage: Stage;
  reason: string;
  at: number;
}

const rank = (s: Stage) => STAGES.indexOf(s);

/**
 * When the profile entered qualified, retained and loyal (by evidence or by hand), for the overview's median
 * times between stages; null for a stage not reached now, or skipped (reached only by a later stage's evidence,
 * when no time of its own exists). Lead and customer have their own columns (lead_at, first_payment_at).
 */
export function stageTimes(
  stage: Stage,
  history: StageEntry[],
): { qualifiedAt: number | null; retainedAt: number | null; loyalAt: number | null } {
  const at = (s: Stage) =>
    rank(stage) >= rank(s)
      ? (history.find((h) => h.stage === s && !h.skipped && !h.voided)?.at ?? null)
      : null;
  return { qualifiedAt: at('qualified'), retainedAt: at('retained'), loyalAt: at('loyal') };
}

/**
 * The stage history from evidence: each stage entered at its evidence; a stage jumped over is recorded as
 * skipped at the jump. The peak only moves forward; voided evidence (a refunded payment) is simply absent.
 * A manual override holds until evidence moves the profile past it later.
 */
export function lifecycle(
  p: ProfileState,
  override: StageOverride | null,
  referralCredits: Evidence[] = [],
  voidedCheck = false,
): { stage: Stage; history: StageEntry[] } {
  const paid = p.payments.filter((x) => !x.refunded && !x.placeholder);
  paid.sort((a, b) => a.at - b.at || (a.messageId < b.messageId ? -1 : 1));
  const ev: { stage: Stage; e: Evidence }[] = [];
  if (p.eventCount > 0)
    ev.push({ stage: 'reach', e: { at: p.firstSeen, messageId: '', rule: 'first event' } });
  if (p.lead) ev.push({ stage: 'lead', e: p.lead });
  if (p.qualified) ev.push({ stage: 'qualified', e: p.qualified });
  if (paid[0])
    ev.push({
      stage: 'customer',
      e: { at: paid[0].at, messageId: paid[0].messageId, rule: 'first payment' },
    });
  const second = paid[1] ? { at: paid[1].at, messageId: paid[1].messageId, rule: 'second payment' } : null;
  const renewal = p.renewals[0] ?? null;
  const retained = [second, renewal].filter(Boolean).sort((a, b) => a!.at - b!.at)[0];
  if (retained) ev.push({ stage: 'retained', e: retained });
  if (paid[2])
    ev.push({ stage: 'loyal', e: { at: paid[2].at, messageId: paid[2].messageId, rule: 'third payment' } });
  // A referral makes a paying customer loyal; a referrer who never paid stays where payments put them (an
  // advocate, see isAdvocate). Loyal comes at the later of the first credit and the first payment.
  const credit = referralCredits[0];
  if (credit && paid[0]) {
    const paidLater = paid[0].at > credit.at;
    ev.push({
      stage: 'loyal',
      e: paidLater
        ? {
            at: paid[0].at,
            messageId: paid[0].messageId,
            rule: `${credit.rule}; loyal from the first payment`,
          }
        : credit,
    });
  }
  ev.sort((a, b) => a.e.at - b.e.at || rank(a.stage) - rank(b.stage));

  const history: StageEntry[] = [];
  let peak = -1;
  let manualDone = !override;
  const enter = (stage: Stage, e: Evidence) => {
    const r = rank(stage);
    if (r <= peak) return;
    for (let s = peak + 1; s < r; s++) {
      history.push({
        stage: STAGES[s],
        at: e.at,
        messageId: e.messageId || null,
        rule: `skipped: ${e.rule}`,
        skipped: true,
      });
    }
    history.push({ stage, at: e.at, messageId: e.messageId || null, rule: e.rule });
    peak = r;
  };
  for (const x of ev) {
    if (!manualDone && override && x.e.at > override.at) {
      history.push({
        stage: override.stage,
        at: override.at,
        messageId: null,
        rule: `manual: ${override.reason}`,
        manual: true,
      });
      peak = rank(override.stage);
      manualDone = true;
    }
    enter(x.stage, x.e);
  }
  if (!manualDone && override) {
    history.push({
      stage: override.stage,
      at: override.at,
      messageId: null,
      rule: `manual: ${override.reason}`,
      manual: true,
    });
    peak = rank(override.stage);
  }
  const stage = STAGES[Math.max(peak, 0)];
  // A refund that took away a stage's evidence is recorded as the move back, with the refund as its reason.
  const refunded = p.payments.filter((x) => x.refunded);
  if (refunded.length && !voidedCheck) {
    const unrefunded = {
      ...p,
      payments: p.payments.filter((x) => !x.placeholder).map((x) => ({ ...x, refunded: false })),
    };
    const would = lifecycle(unrefunded, override, referralCredits, true).stage;
    if (rank(would) > rank(stage)) {
      const last = refunded
        .map((x) => ({ x, r: x.refund ?? { at: x.at, messageId: x.messageId } }))
        .sort((a, b) => b.r.at - a.r.at)[0];
      history.push({
        stage,
        at: last.r.at,
        messageId: last.r.messageId || null,
        rule: `refund: payment ${last.x.id} refunded, ${would} evidence voided`,
        voided: true,
      });
    }
  }
  return { stage, history };
}

/** A referrer with counted credits who has never paid: flagged as an advocate instead of a later stage. */
export function isAdvocate(p: ProfileState, referralCredits: Evidence[]): boolean {
  return referralCredits.length > 0 && !p.payments.some((x) => !x.refunded && !x.placeholder);
}

export type Status = 'active' | 'at_risk' | 'churned';
export const STATUS_DAYS = { atRisk: 30, churned: 90 } as const;

/** A flag, not a stage: how long since the profile was last seen. */
export function statusAt(lastSeen: number, now: number): Status {
  const days = (now - lastSeen) / 86_400_000;
  return days >= STATUS_DAYS.churned ? 'churned' : days >= STATUS_DAYS.atRisk ? 'at_risk' : 'active';
}
