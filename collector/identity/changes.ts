// The identity engine's change log, decided in pure code: what writing a profile changed, as rows the store
// appends to `profile_changes` in the same commit. Automations and the dashboard's live views read it by `seq`.
import { CHAT_EVENT, EVENTS, type ProfileChangeKind, type Stage, STAGES } from '../../wire.ts';
import type { FoldEvent, ProfileState, StageEntry } from './profile.ts';

export interface ProfileChange {
  profileId: string;
  kind: ProfileChangeKind;
  detail: Record<string, unknown>;
  /** When it happened by the evidence (event time), else when it was decided. */
  at: number;
  messageId: string | null;
}

export interface Written {
  stage: Stage;
  score: number;
}

/** Where the history says the profile entered `stage` (the latest entry that is not a skip). */
function evidenceOf(
  stage: Stage,
  history: StageEntry[],
  now: number,
): { at: number; messageId: string | null } {
  for (let i = history.length - 1; i >= 0; i--) {
    const h = history[i];
    if (h.stage === stage && !h.skipped) return { at: h.at, messageId: h.messageId };
  }
  return { at: now, messageId: null };
}

/**
 * The changes of writing one profile: created (no row before), each stage left and entered (a move forward
 * enters every stage it passes, as the funnel counts it), and the lead score crossing the qualified threshold
 * either way.
 */
export function profileChanges(
  profileId: string,
  before: Written | null,
  after: Written,
  history: StageEntry[],
  threshold: number,
  last: { at: number; messageId: string },
  now: number,
): ProfileChange[] {
  const out: ProfileChange[] = [];
  const at = Number.isFinite(last.at) ? last.at : now;
  if (!before)
    out.push({
      profileId,
      kind: 'created',
      detail: { stage: after.stage },
      at,
      messageId: last.messageId || null,
    });
  const from = before ? STAGES.indexOf(before.stage) : -1;
  const to = STAGES.indexOf(after.stage);
  if (before && from !== to) {
    const ev = evidenceOf(after.stage, history, now);
    out.push({ profileId, kind: 'stage_left', detail: { stage: before.stage, to: after.stage }, ...ev });
  }
  if (to > from) {
    for (let s = Math.max(from + 1, 0); s <= to; s++) {
      const stage = STAGES[s];
      const ev = evidenceOf(stage, history, now);
      out.push({
        profileId,
        kind: 'stage_entered',
        detail: { stage, from: s === from + 1 && before ? before.stage : null },
        ...ev,
      });
    }
  } else if (to < from) {
    out.push({
      profileId,
      kind: 'stage_entered',
      detail: { stage: after.stage, from: before!.stage },
      ...evidenceOf(after.stage, history, now),
    });
  }
  const was = before ? before.score >= threshold : false;
  const is = after.score >= threshold;
  if (was !== is && (before || is))
    out.push({
      profileId,
      kind: 'score_crossed',
      detail: { score: after.score, threshold, direction: is ? 'up' : 'down' },
      at,
      messageId: last.messageId || null,
    });
  return out;
}

/** What a profile's payments were before a write: the live payments' ids and the failures' events. */
export interface PaymentsBefore {
  paid: Set<string>;
  failed: Set<string>;
}

export function paymentsBefore(states: (ProfileState | null | undefined)[]): PaymentsBefore {
  const out: PaymentsBefore = { paid: new Set(), failed: new Set() };
  for (const p of states) {
    if (!p) continue;
    for (const x of p.payments) if (!x.placeholder) out.paid.add(x.id);
    for (const f of p.failures ?? []) out.failed.add(f.messageId);
  }
  return out;
}

/**
 * A payment that was not there before (one per payment however many events tell of it: the invoice and its
 * charge are one), and each new failure. A merge brings no new payment: the absorbed profiles' count as before.
 */
export function paymentChanges(
  profileId: string,
  before: PaymentsBefore,
  after: ProfileState,
): ProfileChange[] {
  const out: ProfileChange[] = [];
  for (const x of after.payments) {
    if (x.placeholder || before.paid.has(x.id)) continue;
    out.push({
      profileId,
      kind: 'payment_succeeded',
      detail: { paymentId: x.id, amount: x.amount, currency: x.currency ?? null },
      at: x.at,
      messageId: x.messageId,
    });
  }
  for (const f of after.failures ?? []) {
    if (before.failed.has(f.messageId)) continue;
    out.push({
      profileId,
      kind: 'payment_failed',
      detail: { paymentId: f.id, amount: null, currency: null },
      at: f.at,
      messageId: f.messageId,
    });
  }
  return out;
}

/** A new event's own change: a form submitted, or a conversation's first visitor message (chat started). */
export function eventChange(
  profileId: string,
  e: Pick<FoldEvent, 'type' | 'event' | 'ts' | 'messageId' | 'raw'>,
): ProfileChange | null {
  if (e.type !== 'track') return null;
  const props = (e.raw.properties ?? {}) as Record<string, unknown>;
  if (e.event === EVENTS.form) {
    const formId = typeof props.formId === 'string' ? props.formId : null;
    return { profileId, kind: 'form_submitted', detail: { formId }, at: e.ts, messageId: e.messageId };
  }
  if (e.event === CHAT_EVENT && props.seq === 1) {
    const conversationId = typeof props.conversationId === 'string' ? props.conversationId : null;
    return { profileId, kind: 'chat_started', detail: { conversationId }, at: e.ts, messageId: e.messageId };
  }
  return null;
}
