// Automations, decided in pure code: which rules a change fires, whether a rule's conditions hold for a
// profile, which webhook event types a change becomes, and each payload. The store applies what is decided
// here inside one write transaction with the change-log cursor, so a rule fires once per change.
import type {
  AutomationRule,
  ProfileChangeKind,
  RuleCondition,
  Stage,
  TouchSummary,
  WebhookData,
  WebhookEventType,
  WebhookPayload,
  WebhookProfile,
} from '../../wire.ts';

/** One row of the change log as the automations read it. */
export interface Change {
  seq: number;
  siteId: string;
  profileId: string;
  kind: ProfileChangeKind;
  detail: Record<string, unknown>;
  at: number;
  createdAt: number;
}

/** What rules and payloads read of a profile. */
export interface ProfileFacts {
  id: string;
  siteId: string;
  email: string | null;
  name: string | null;
  phone: string | null;
  company: string | null;
  userId: string | null;
  stage: Stage;
  channel: string | null;
  campaign: string | null;
  ownerId: string | null;
  firstTouch: TouchSummary | null;
}

/** A change an automation made (a stage it set) fires no rule: rules cannot set each other off in a loop. */
export const byAutomation = (c: Pick<Change, 'detail'>): boolean => c.detail.by === 'automation';

/** Whether a rule's trigger is this change (a lead left unanswered is a timer, never a change). */
export function fires(rule: Pick<AutomationRule, 'enabled' | 'trigger'>, c: Change): boolean {
  if (!rule.enabled || byAutomation(c)) return false;
  const t = rule.trigger;
  switch (t.kind) {
    case 'form_submitted':
      return c.kind === 'form_submitted' && (!t.formId || c.detail.formId === t.formId);
    case 'stage_entered':
      return c.kind === 'stage_entered' && (!t.stage || c.detail.stage === t.stage);
    case 'score_crossed':
      return c.kind === 'score_crossed' && c.detail.direction === 'up';
    case 'chat_started':
    case 'payment_succeeded':
    case 'payment_failed':
    case 'at_risk':
      return c.kind === t.kind;
    case 'lead_unanswered':
      return false;
  }
}

/** A form submitted or a first chat message starts a lead's clock (speed to lead, unanswered timers). */
export const startsLeadClock = (c: Pick<Change, 'kind'>): boolean =>
  c.kind === 'form_submitted' || c.kind === 'chat_started';

const same = (a: string | null | undefined, b: string) => (a ?? '').toLowerCase() === b.trim().toLowerCase();

/** Every condition holds (case-insensitive equality; an empty value matches a missing one). */
export function conditionsHold(conditions: readonly RuleCondition[], p: ProfileFacts): boolean {
  return conditions.every((c) => {
    switch (c.field) {
      case 'channel':
        return same(p.channel ?? 'Direct', c.equals);
      case 'campaign':
        return same(p.campaign, c.equals);
      case 'stage':
        return same(p.stage, c.equals);
      case 'trait':
        return same(c.trait ? p[c.trait] : null, c.equals);
    }
  });
}

/** The webhook event types a change is (a stage move is one `profile.stage_changed`, at its stage_left). */
export function webhookTypes(c: Change): WebhookEventType[] {
  switch (c.kind) {
    case 'created':
      return c.detail.stage && c.detail.stage !== 'reach' ? ['profile.stage_changed'] : [];
    case 'stage_left':
      return ['profile.stage_changed'];
    case 'stage_entered':
      return c.detail.stage === 'lead' && !isBackward(c) ? ['lead.created'] : [];
    case 'merged':
      return ['profile.merged'];
    case 'form_submitted':
      return ['form.submitted'];
    case 'chat_started':
      return ['chat.started'];
    case 'payment_succeeded':
      return ['payment.succeeded'];
    case 'payment_failed':
      return ['payment.failed'];
    case 'at_risk':
      return ['profile.at_risk'];
    default:
      return [];
  }
}

const ORDER = ['reach', 'lead', 'qualified', 'customer', 'retained', 'loyal'];
/** A move back (a refund, a marketer's stage) enters a stage the profile had passed: not a new lead. */
function isBackward(c: Change): boolean {
  const from = c.detail.from;
  return typeof from === 'string' && ORDER.indexOf(from) > ORDER.indexOf(String(c.detail.stage));
}

export function webhookProfile(p: ProfileFacts): WebhookProfile {
  return { id: p.id, email: p.email, name: p.name, stage: p.stage, firstTouch: p.firstTouch };
}

const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** The Standard Webhooks body of one event type for a change. */
export function payloadOf(type: WebhookEventType, c: Change, p: ProfileFacts): WebhookPayload {
  const profile = webhookProfile(p);
  const d = c.detail;
  let data: WebhookData[WebhookEventType];
  switch (type) {
    case 'lead.created':
      data = { profile };
      break;
    case 'profile.stage_changed':
      data =
        c.kind === 'created'
          ? { profile, from: null, to: String(d.stage) as Stage }
          : { profile, from: String(d.stage) as Stage, to: String(d.to) as Stage };
      break;
    case 'profile.merged':
      data = { profile, mergedId: String(d.mergedId ?? '') };
      break;
    case 'form.submitted':
      data = { profile, formId: str(d.formId) };
      break;
    case 'chat.started':
      data = { profile, conversationId: str(d.conversationId) };
      break;
    case 'payment.succeeded':
    case 'payment.failed':
      data = { profile, paymentId: str(d.paymentId), amount: num(d.amount), currency: str(d.currency) };
      break;
    case 'profile.at_risk':
      data = { profile, reason: d.reason === 'payment_overdue' ? 'payment_overdue' : 'no_visit' };
      break;
  }
  return { type, timestamp: new Date(c.at).toISOString(), data } as WebhookPayload;
}
