// The wire format: every event shape, limit and API reply that crosses a boundary, written once for widget, collector and dashboard.
// The capture core and dashboard import only types and constants from here; the schemas are marked pure so
// bundlers drop them (and valibot) from code that does not validate.
import * as v from 'valibot';

// Plain numbers for the schemas below: a property read of LIMITS would survive in tp.js after the pure
// schema calls around it are dropped.
const ID_LENGTH = 200;
const TEXT_LENGTH = 2048;
const BATCH_EVENTS = 500;

/** Limits shared by the widget (so it never sends what will be refused) and the collector. */
export const LIMITS = {
  /** Largest request body the collector reads. */
  requestBytes: 500 * 1024,
  /** Largest single event, measured as its JSON text. */
  eventBytes: 32 * 1024,
  /** Most events in one batch. */
  batchEvents: BATCH_EVENTS,
  /** Longest identifier (messageId, anonymousId, userId). */
  idLength: ID_LENGTH,
  /** Longest free-text string (event names, titles, URLs, property values are capped by eventBytes). */
  textLength: TEXT_LENGTH,
  /** Deepest nesting of arrays and objects in a JSON body, checked before it is parsed. */
  jsonDepth: 64,
  /** Largest body of a chat request: a 4,000-character message in any script, with its URL and ids. */
  chatBytes: 32 * 1024,
  /** Largest body of a public form request. */
  formBytes: 64 * 1024,
  /** Largest body of /api/login and /api/setup, which anyone may call. */
  loginBytes: 16 * 1024,
  /** Largest body of the admin API: the biggest settings its schemas allow (500 blocked values) fit. */
  adminBytes: 256 * 1024,
  /** Earliest event time the collector takes once clock skew is corrected: 2000-01-01T00:00:00Z. */
  earliestEventMs: 946_684_800_000,
  /** How far past the time received an event may be dated (later ones are refused, earlier ones cut to it). */
  futureEventMs: 86_400_000,
} as const;

/** Click ids the widget records on a touch, besides utm_* and ref. */
export const CLICK_IDS = ['gclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'ttclid', 'li_fat_id'] as const;
export type ClickId = (typeof CLICK_IDS)[number];

/** Event names the widget's autocapture sends as `track` events. */
export const EVENTS = {
  click: 'Element Clicked',
  form: 'Form Submitted',
} as const;

export const STAGES = ['reach', 'lead', 'qualified', 'customer', 'retained', 'loyal'] as const;
export type Stage = (typeof STAGES)[number];

/** U+0000, or a UTF-16 surrogate without its pair: storage would keep something else, so keys stop matching. */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Whether text is stored as itself: ids, names and identifiers must be (free text may hold a cut emoji). */
export const isStorable = (s: string): boolean => !UNSTORABLE.test(s);
const storable = /* @__PURE__ */ v.check(isStorable, 'must not contain U+0000 or a lone surrogate');

const id = /* @__PURE__ */ v.pipe(
  v.string(),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(ID_LENGTH),
  storable,
);
const text = /* @__PURE__ */ v.pipe(v.string(), v.maxLength(TEXT_LENGTH));
/** An event's name (track `event`, page `name`): stored as a column the timeline reads. */
const eventName = /* @__PURE__ */ v.pipe(v.string(), v.maxLength(TEXT_LENGTH), storable);
const optText = /* @__PURE__ */ v.optional(v.nullable(text));
/**
 * ISO 8601 date-time; Segment libraries send it with or without milliseconds and with any offset. Years past
 * 0000–9999 (RFC 3339's) are refused: correcting clock skew with them would leave the range of a Date.
 */
const isoTime = /* @__PURE__ */ v.pipe(
  v.string(),
  v.maxLength(64),
  v.check((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date-time'),
  v.check((s) => {
    const t = Date.parse(s);
    return t >= -62_167_219_200_000 && t < 253_402_300_800_000;
  }, 'must be a date-time in the years 0000 to 9999'),
);
const record = /* @__PURE__ */ v.record(v.string(), v.unknown());

/**
 * A touch: how a visitor arrived. The widget stores the first one and sends it with page and identify
 * events as `context.firstTouch`; every page event also carries the current one in `context.page` and
 * `context.campaign`.
 */
export const TouchSchema = /* @__PURE__ */ v.object({
  at: isoTime,
  landingUrl: optText,
  referrer: optText,
  source: optText,
  medium: optText,
  campaign: optText,
  term: optText,
  content: optText,
  gclid: optText,
  gbraid: optText,
  wbraid: optText,
  fbclid: optText,
  msclkid: optText,
  ttclid: optText,
  li_fat_id: optText,
  ref: optText,
});
export type Touch = v.InferOutput<typeof TouchSchema>;

export const PageContextSchema = /* @__PURE__ */ v.object({
  url: optText,
  path: optText,
  referrer: optText,
  title: optText,
  search: optText,
});

/** Segment's context.campaign (name = utm_campaign), plus click ids and `ref`. */
export const CampaignSchema = /* @__PURE__ */ v.looseObject({
  name: optText,
  source: optText,
  medium: optText,
  term: optText,
  content: optText,
  gclid: optText,
  gbraid: optText,
  wbraid: optText,
  fbclid: optText,
  msclkid: optText,
  ttclid: optText,
  li_fat_id: optText,
  ref: optText,
});

export const ContextSchema = /* @__PURE__ */ v.looseObject({
  page: v.optional(PageContextSchema),
  campaign: v.optional(CampaignSchema),
  userAgent: optText,
  locale: optText,
  ip: optText,
  traits: v.optional(record),
  firstTouch: v.optional(TouchSchema),
  library: v.optional(v.looseObject({ name: optText, version: optText })),
});

export const EVENT_TYPES = ['page', 'screen', 'track', 'identify', 'alias', 'group'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One event in Segment's spec shape. Unknown top-level keys are kept (Segment libraries add a few). */
export const EventSchema = /* @__PURE__ */ v.pipe(
  v.looseObject({
    type: v.picklist(EVENT_TYPES, `type must be one of ${EVENT_TYPES.join(', ')}`),
    messageId: id,
    anonymousId: v.optional(v.nullable(id)),
    userId: v.optional(v.nullable(id)),
    event: v.optional(eventName),
    name: v.optional(v.nullable(eventName)),
    category: v.optional(v.nullable(text)),
    previousId: v.optional(id),
    groupId: v.optional(id),
    properties: v.optional(record),
    traits: v.optional(record),
    context: v.optional(ContextSchema),
    timestamp: v.optional(isoTime),
    originalTimestamp: v.optional(isoTime),
    sentAt: v.optional(isoTime),
  }),
  v.check((e) => !!(e.anonymousId || e.userId), 'anonymousId or userId is required'),
  v.check((e) => e.type !== 'track' || !!e.event, 'event is required for track'),
  v.check((e) => e.type !== 'alias' || !!e.previousId, 'previousId is required for alias'),
  v.check((e) => e.type !== 'group' || !!e.groupId, 'groupId is required for group'),
);
export type WireEvent = v.InferOutput<typeof EventSchema>;
/** What a sender builds; the collector fills in the rest. */
export type WireEventInput = v.InferInput<typeof EventSchema>;

/** The envelope of POST /v1/batch. Events are validated one by one so a bad one is reported by index. */
export const BatchEnvelopeSchema = /* @__PURE__ */ v.looseObject({
  batch: v.pipe(
    v.array(v.unknown(), 'batch must be an array'),
    v.maxLength(BATCH_EVENTS, `batch holds at most ${BATCH_EVENTS} events`),
  ),
  writeKey: v.optional(v.string()),
  sentAt: v.optional(isoTime),
  context: v.optional(record),
  /** tp.js asks for the widget settings with its first batch of a page (one request instead of two). */
  widget: v.optional(v.boolean()),
});

export type EventStatus = 'accepted' | 'duplicate' | 'rejected';
export interface EventResult {
  index: number;
  messageId?: string;
  status: EventStatus;
  /** Why it was rejected, naming the field. */
  error?: string;
  /** The field it was rejected for, when one is to blame. */
  field?: string;
}
export interface IngestReply {
  results: EventResult[];
  /** When the batch asked for it (`widget: true`): what GET /v1/widget answers. */
  widget?: WidgetSettings;
  /** The request came from a bot or a headless browser: its events were counted apart, not stored. */
  bot?: true;
}

export interface ApiErrorBody {
  error: { code: string; message: string; field?: string };
}

// ---- Admin API replies (collector → dashboard) ----

export interface TouchSummary {
  source: string | null;
  medium: string | null;
  campaign: string | null;
  referrer: string | null;
  landingUrl: string | null;
  at?: string | null;
  /** The channel from the versioned rule table, and the rule that matched. */
  channel?: string | null;
  ruleId?: string | null;
  /** Click ids and `ref`, when the touch had them. */
  clickIds?: Record<string, string>;
}

/** A flag beside the stage: how recently the profile was seen. */
export type ProfileStatus = 'active' | 'at_risk' | 'churned';
export const PROFILE_STATUSES = ['active', 'at_risk', 'churned'] as const;
/** GET /api/profiles?sort=…&order=asc|desc: the orders the profile list reads in (default lastSeen, desc). */
export const PROFILE_SORTS = ['lastSeen', 'firstSeen', 'eventCount', 'email'] as const;
export type ProfileSort = (typeof PROFILE_SORTS)[number];
export type SortOrder = 'asc' | 'desc';

export interface ProfileSummary {
  id: string;
  siteId: string;
  email: string | null;
  userId: string | null;
  name: string | null;
  stage: Stage;
  firstTouch: TouchSummary | null;
  firstSeen: string;
  lastSeen: string;
  eventCount: number;
  phone?: string | null;
  company?: string | null;
  status?: ProfileStatus;
  /** Channel of the first touch. */
  channel?: string | null;
  leadScore?: number;
  /**
   * Its history is being folded again outside the shared commit (a late event or a merge on a long history):
   * the fields shown are from before that change until it finishes.
   */
  recomputing?: boolean;
}

export interface Identifier {
  kind: 'anonymous' | 'user' | 'email' | 'phone' | 'billing';
  value: string;
  /** Stated by a sender the site vouches for (secret key or signed identify). */
  verified?: boolean;
  /** Quarantined as shared by too many profiles: it links nothing. */
  shared?: boolean;
}

export type LinkStatus = 'active' | 'conflict' | 'proposal' | 'quarantined' | 'rejected' | 'revoked';

/** One entry of the identity ledger: two identifiers, the rule and event that linked them, and its state. */
export interface LinkSummary {
  id: string;
  a: Identifier;
  b: Identifier;
  rule: string;
  messageId: string;
  at: string;
  verified: boolean;
  status: LinkStatus;
  /** Why it is not active (conflict, proposal, quarantine), or the marketer's reason. */
  reason: string | null;
  decision: 'manual' | 'accepted' | 'rejected' | null;
  createdAt: string;
  revokedAt: string | null;
  revokedReason: string | null;
}

export interface ProfileWarning {
  kind: string;
  value: string;
  reason: string;
  messageId?: string;
}

export interface MergeSummary {
  id: string;
  survivorId: string;
  mergedId: string;
  kind: 'auto' | 'manual' | 'proposal';
  reason: string;
  identifier: string;
  messageId: string;
  linkId: string | null;
  at: string;
  undoneAt: string | null;
  undoReason: string | null;
}

export interface StageHistoryEntry {
  stage: Stage;
  at: string;
  /** The event that is the evidence, when there is one. */
  messageId: string | null;
  rule: string;
  skipped?: boolean;
  manual?: boolean;
  /** A refund voided the evidence of a later stage: the profile went back to this one. */
  voided?: boolean;
}

export interface MergeProposal {
  id: string;
  link: LinkSummary;
  profileIds: string[];
}

export interface TimelineItem {
  id: string;
  type: EventType;
  /** Track event name, page name, or null. */
  event: string | null;
  /** Corrected event time (ISO). */
  at: string;
  receivedAt: string;
  anonymousId: string | null;
  userId: string | null;
  url: string | null;
  title: string | null;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
}

export interface ProfileDetail extends ProfileSummary {
  identifiers: Identifier[];
  links?: LinkSummary[];
  warnings?: ProfileWarning[];
  merges?: MergeSummary[];
  leadTouch?: TouchSummary | null;
  lastTouch?: TouchSummary | null;
  stageHistory?: StageHistoryEntry[];
  scoreParts?: Record<string, number>;
  referredBy?: string | null;
  /** Payment behaviour, from billing events. */
  billing?: BillingSummary;
}

export interface ProfilesReply {
  profiles: ProfileSummary[];
  nextCursor: string | null;
}
export interface ProfileReply {
  profile: ProfileDetail;
  /** The newest events (up to TIMELINE_PAGE), oldest first. */
  timeline: TimelineItem[];
  /** Where the events before these start: GET /api/profiles/:id/timeline?before=…; null when there are none. */
  olderCursor: string | null;
}
/** GET /api/profiles/:id/timeline?before=CURSOR: the page of events before the cursor, oldest first. */
export interface TimelineReply {
  timeline: TimelineItem[];
  olderCursor: string | null;
}
/** Events per page of a profile's timeline. */
export const TIMELINE_PAGE = 500;
export interface MergeProposalsReply {
  proposals: MergeProposal[];
}

export interface SiteSummary {
  id: string;
  name: string;
  siteKey: string;
  origins: string[];
  createdAt: string;
  eventCount: number;
  /** The IANA time zone its reports count days in (Settings → Reports; UTC by default). */
  timeZone: string;
  /** Its consent settings (Settings → Privacy), which its embed snippet carries. */
  consent: ConsentSettings;
}

// ---- Lead forms (collector ⇄ widget UI ⇄ dashboard) ----

export const FORM_FIELD_TYPES = [
  'email',
  'name',
  'phone',
  'company',
  'message',
  'select',
  'consent',
  'text',
] as const;
export type FormFieldType = (typeof FORM_FIELD_TYPES)[number];

const label = /* @__PURE__ */ v.pipe(
  v.string(),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(200),
);
const fieldName = /* @__PURE__ */ v.pipe(
  v.string(),
  v.regex(/^[a-zA-Z][\w-]{0,39}$/, 'must be a letter then letters, digits, _ or - (at most 40)'),
);

/** One field of a lead form; `name` is the key its value has in the submission's `fields`. */
export const FormFieldSchema = /* @__PURE__ */ v.object({
  name: fieldName,
  type: v.picklist(FORM_FIELD_TYPES, `type must be one of ${FORM_FIELD_TYPES.join(', ')}`),
  label,
  required: v.optional(v.boolean()),
  /** select: the choices. */
  options: v.optional(v.pipe(v.array(label), v.maxLength(50))),
  placeholder: v.optional(v.pipe(v.string(), v.maxLength(200))),
});
export type FormField = v.InferOutput<typeof FormFieldSchema>;

/** What a form is for: the lead score weighs a submission by its form's kind (site settings, score.forms). */
export const FORM_KINDS = ['contact', 'demo', 'trial', 'newsletter', 'other'] as const;
export type FormKind = (typeof FORM_KINDS)[number];

/** What the admin API takes to create or replace a form. */
export const FormInputSchema = /* @__PURE__ */ v.pipe(
  v.object({
    name: label,
    kind: v.optional(v.picklist(FORM_KINDS, `kind must be one of ${FORM_KINDS.join(', ')}`)),
    fields: v.pipe(
      v.array(FormFieldSchema),
      v.minLength(1, 'a form needs at least one field'),
      v.maxLength(30, 'a form has at most 30 fields'),
    ),
    submitText: v.optional(label),
    successMessage: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(1000))),
  }),
  v.check(
    (f) => new Set(f.fields.map((x) => x.name)).size === f.fields.length,
    'fields: each field needs its own name',
  ),
  v.check(
    (f) => f.fields.every((x) => x.type !== 'select' || !!x.options?.length),
    'fields: a select needs options',
  ),
);
export type FormInput = v.InferInput<typeof FormInputSchema>;

/** A form as the widget receives it (GET /v1/forms/:id) and the admin API lists it. */
export interface FormDefinition {
  id: string;
  name: string;
  /** What the form is for; `contact` when none was chosen. */
  kind: FormKind;
  fields: FormField[];
  submitText: string;
  successMessage: string;
  createdAt?: string;
  updatedAt?: string;
}

/** Field values are strings; a ticked consent box is 'yes'. */
export type FormValues = Record<string, string>;

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE_RE = /^\+?[\d\s().-]{6,20}$/;

/**
 * The schema of a submission's `fields` for one form: the widget validates with it before sending, the
 * collector again on ingest. Messages name the field by its label.
 */
export function formValuesSchema(form: Pick<FormDefinition, 'fields'>) {
  const entries: Record<string, v.GenericSchema<unknown, string | undefined>> = {};
  for (const f of form.fields) {
    const need = `${f.label} is required`;
    const checks: v.GenericSchema<string, string>[] = [];
    if (f.type === 'email') checks.push(v.pipe(v.string(), v.regex(EMAIL_RE, 'Enter a valid email address')));
    if (f.type === 'phone') checks.push(v.pipe(v.string(), v.regex(PHONE_RE, 'Enter a valid phone number')));
    if (f.type === 'select')
      checks.push(
        v.pipe(v.string(), v.picklist(f.options ?? [], `Choose one of the options for ${f.label}`)),
      );
    if (f.type === 'consent') checks.push(v.pipe(v.string(), v.literal('yes', need)));
    const max = f.type === 'message' ? LIMITS.textLength : 500;
    const value = v.pipe(v.string(), v.trim(), v.maxLength(max, `${f.label} is too long`), ...(checks as []));
    // a missing key counts as '' so it gets the field's own message
    entries[f.name] = v.optional(
      f.required
        ? v.pipe(v.string(need), v.trim(), v.minLength(1, need), value)
        : v.union([v.literal(''), value], (i) => i.issues?.[i.issues.length - 1]?.message ?? need),
      '',
    );
  }
  return v.object(entries);
}

/** The `Form Submitted` properties the widget sends for a Touchpoint form. */
export interface FormSubmittedProperties {
  formId: string;
  formName: string;
  fields: FormValues;
  email?: string;
}

// ---- Chat (widget ⇄ collector ⇄ inbox) ----

export const CHAT_POSITIONS = ['right', 'left'] as const;

/** Per-site chat settings; also what GET /v1/widget gives the widget as `chat`. */
export const ChatSettingsSchema = /* @__PURE__ */ v.object({
  enabled: v.boolean('enabled must be true or false'),
  color: v.optional(v.pipe(v.string(), v.regex(/^#[0-9a-fA-F]{6}$/, 'color must be #rrggbb')), '#4f46e5'),
  position: v.optional(v.picklist(CHAT_POSITIONS, 'position must be right or left'), 'right'),
  greeting: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(500)), 'Hi! How can we help?'),
  /** Sent at once after the visitor's first message; empty for none. */
  autoReply: v.optional(
    v.pipe(v.string(), v.trim(), v.maxLength(1000)),
    'Thanks for your message! We usually reply within a few minutes.',
  ),
  /** Asked when the visitor is unknown (no email yet). */
  askEmail: v.optional(
    v.pipe(v.string(), v.trim(), v.maxLength(500)),
    'Leave your email so we can get back to you.',
  ),
});
export type ChatSettings = v.InferOutput<typeof ChatSettingsSchema>;

/** GET /v1/widget?key=…, and a batch's reply when it asked. */
export interface WidgetSettings {
  /** With `css`: the launcher button's stylesheet (class `l`), made by the collector from colour and position. */
  chat: (ChatSettings & { css: string }) | null;
}

export type ChatAuthor = 'visitor' | 'agent' | 'auto';

/** One message of a conversation; `seq` counts from 1 per conversation and is the SSE event id. */
export interface ChatMessage {
  seq: number;
  id: string;
  author: ChatAuthor;
  text: string;
  at: string;
}

/** POST /v1/chat/messages (text/plain JSON, like /v1/batch, so no CORS preflight). */
export const ChatPostSchema = /* @__PURE__ */ v.object({
  key: v.pipe(v.string('key is required'), v.minLength(1, 'key is required'), v.maxLength(ID_LENGTH)),
  anonymousId: id,
  /** Client-made id: a retry of the same message is stored once. */
  clientId: id,
  text: v.pipe(
    v.string('text is required'),
    v.trim(),
    v.minLength(1, 'text must not be empty'),
    v.maxLength(4000),
  ),
  /** An email the widget already knows for this visitor. */
  email: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(254), storable)),
  userId: v.optional(v.nullable(id)),
  url: v.optional(text),
  /**
   * The conversation's token: made by the browser (at least 16 characters) and sent with every message and on
   * the stream; the first message binds it to the conversation, which only its holder can then read or post to.
   */
  token: v.optional(v.pipe(v.string(), v.minLength(16, 'token is at least 16 characters'), v.maxLength(100))),
});
export type ChatPost = v.InferInput<typeof ChatPostSchema>;
export interface ChatPostReply {
  conversationId: string;
  message: ChatMessage;
  duplicate: boolean;
  /**
   * When the first message came without a token: the one the collector made, for this browser to keep and send
   * with later messages and on the stream (`GET /v1/chat/stream?…&token=`).
   */
  token?: string;
}

/** Event name of a visitor's chat message on the timeline. */
export const CHAT_EVENT = 'Chat Message';

export type ConversationStatus = 'open' | 'closed';

export interface ConversationSummary {
  id: string;
  siteId: string;
  anonymousId: string;
  email: string | null;
  status: ConversationStatus;
  assigneeId: string | null;
  /** Visitor messages the agents have not read. */
  unread: number;
  lastMessage: ChatMessage | null;
  createdAt: string;
  updatedAt: string;
}
export interface InboxReply {
  conversations: ConversationSummary[];
}
export interface ConversationReply {
  conversation: ConversationSummary;
  messages: ChatMessage[];
}
/** One inbox SSE event (`event: conversation`): the conversation as it is now, and what changed. */
export interface InboxChange {
  id: number;
  kind: 'message' | 'status' | 'assign' | 'read';
  conversation: ConversationSummary;
}
export const AgentReplySchema = /* @__PURE__ */ v.object({
  text: v.pipe(
    v.string('text is required'),
    v.trim(),
    v.minLength(1, 'text must not be empty'),
    v.maxLength(4000),
  ),
});
export const AssignSchema = /* @__PURE__ */ v.object({
  userId: v.nullable(
    v.pipe(v.string('userId must be a string or null'), v.minLength(1), v.maxLength(100), storable),
  ),
});

// ---- Billing (server API, Stripe ⇄ collector ⇄ dashboard) ----

/**
 * Reserved track names of billing events. They are accepted only with the site's secret key (a server or the
 * Stripe webhook), never from a page. `Invoice Voided` is what Stripe's invoice.voided becomes.
 */
export const BILLING_EVENTS = {
  invoiceCreated: 'Invoice Created',
  invoicePaid: 'Invoice Paid',
  paymentSucceeded: 'Payment Succeeded',
  paymentFailed: 'Payment Failed',
  refundIssued: 'Refund Issued',
  invoiceVoided: 'Invoice Voided',
} as const;
export type BillingEventName = (typeof BILLING_EVENTS)[keyof typeof BILLING_EVENTS];
export const BILLING_EVENT_NAMES: readonly string[] = /* @__PURE__ */ Object.values(BILLING_EVENTS);

const billingId = /* @__PURE__ */ v.pipe(
  v.union([v.string(), v.number()], 'must be a string'),
  v.transform(String),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(ID_LENGTH),
  storable,
);

/**
 * The properties of a billing event. `amount` is in the currency's major unit as a decimal number (19.99 USD,
 * 500 JPY, 1.250 BHD), like Segment's `revenue`; the collector stores it as an integer in the minor unit and
 * refuses more decimals than the currency has. On `Refund Issued` it is the total refunded so far for the
 * payment (absent: all of it).
 */
export const BillingPropertiesSchema = /* @__PURE__ */ v.pipe(
  v.looseObject({
    amount: v.optional(
      v.pipe(
        v.number('must be a number in the major unit (e.g. 19.99)'),
        v.finite('must be a finite number'),
        v.minValue(0, 'must not be negative'),
        v.maxValue(1e12, 'is too large'),
      ),
    ),
    currency: v.optional(
      v.pipe(
        v.string(),
        v.trim(),
        v.regex(/^[a-zA-Z]{3}$/, 'must be an ISO 4217 code such as USD'),
        v.toUpperCase(),
      ),
    ),
    invoice_id: v.optional(billingId),
    payment_id: v.optional(billingId),
    method: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(100))),
    customer_id: v.optional(billingId),
  }),
  v.forward(
    v.check((p) => !!(p.invoice_id || p.payment_id), 'invoice_id or payment_id is required'),
    ['invoice_id'],
  ),
  v.forward(
    v.check((p) => p.amount === undefined || !!p.currency, 'currency is required with amount'),
    ['currency'],
  ),
);
export type BillingProperties = v.InferOutput<typeof BillingPropertiesSchema>;

/** Money: an integer amount in the minor unit of an ISO 4217 currency. */
export type Revenue = Record<string, number>;

export interface PaymentSummary {
  id: string;
  invoiceId: string | null;
  paymentId: string | null;
  at: string;
  /** Minor units. */
  amount: number | null;
  currency: string | null;
  method: string | null;
  /** Minor units refunded so far. */
  refunded: number;
  /** Fully refunded: it no longer counts as evidence for a stage. */
  voided: boolean;
}

/** A profile's payment behaviour, from its billing events. */
export interface BillingSummary {
  /** Net of refunds, minor units by currency. */
  revenue: Revenue;
  payments: number;
  firstPaymentAt: string | null;
  lastPaymentAt: string | null;
  averageIntervalDays: number | null;
  preferredMethod: string | null;
  failedPayments: number;
  refunds: number;
  /** Last payment + average interval, when there are two payments or more. */
  nextExpectedAt: string | null;
  /** The next expected payment is overdue (by more than a fifth of the interval, at least 3 days). */
  atRisk: boolean;
  list: PaymentSummary[];
}

export type AttributionModel = 'firstTouch' | 'leadTouch' | 'lastTouch';

export interface AttributionRow {
  channel: string;
  campaign: string | null;
  visitors: number;
  leads: number;
  customers: number;
  revenue: Revenue;
  /** leads / visitors, customers / visitors, customers / leads (0 when the divisor is 0). */
  leadRate: number;
  customerRate: number;
  leadToCustomerRate: number;
  /** Median days from first touch to first payment over this row's customers. */
  medianDaysToFirstPayment: number | null;
}

export interface AttributionReply {
  from: string;
  to: string;
  /** The IANA zone date-only `from`/`to` were read in (the site's; all sites' when they share one, else UTC). */
  timeZone: string;
  siteId: string | null;
  models: Record<AttributionModel, AttributionRow[]>;
}

/** Days after the first touch that lifetime value is measured at. */
export const LTV_DAYS = [30, 90, 180] as const;

/**
 * Lifetime value by first touch: the profiles whose first touch (channel and campaign) falls in the range, and
 * the revenue they brought within 30, 90 and 180 days of it, net of refunds.
 */
export interface LtvRow {
  channel: string;
  campaign: string | null;
  /** Profiles acquired through this channel and campaign in the range. */
  profiles: number;
  /** Of them, those who paid at least once (ever). */
  customers: number;
  /**
   * Per window: how many of the profiles are old enough to measure (their first touch is that many days ago),
   * and the revenue those brought within the window, in total and per profile (minor units per currency).
   */
  windows: { days: number; measured: number; revenue: Revenue; perProfile: Revenue }[];
  /** Payback: median days from the first touch to the first payment, over the customers; null without any. */
  medianDaysToFirstPayment: number | null;
}

/** GET /api/attribution/ltv?from=&to=&site= */
export interface LtvReply {
  from: string;
  to: string;
  /** As AttributionReply's. */
  timeZone: string;
  siteId: string | null;
  rows: LtvRow[];
}

export interface UnmatchedPayment {
  id: string;
  siteId: string;
  invoiceId: string | null;
  paymentId: string | null;
  status: string;
  amount: number | null;
  currency: string | null;
  customerId: string | null;
  email: string | null;
  at: string;
}
export interface UnmatchedPaymentsReply {
  payments: UnmatchedPayment[];
}

export const StripeSecretSchema = /* @__PURE__ */ v.object({
  secret: v.nullable(
    v.pipe(
      v.string('secret must be a string or null'),
      v.trim(),
      v.regex(/^whsec_[A-Za-z0-9+/=_-]{8,200}$/, 'secret must be a Stripe webhook secret (whsec_…)'),
    ),
  ),
});
/** The webhook secret is never returned in full. */
export interface StripeSettingsReply {
  configured: boolean;
  /** e.g. whsec_…f3a9 */
  secretHint: string | null;
  webhookPath: string;
}

// ---- Overview (collector → dashboard) ----

/** One step of the lifecycle funnel over the profiles first seen in the range. */
export interface FunnelStep {
  stage: Stage;
  /** Profiles of the cohort at this stage or past it. */
  count: number;
  /** count / the previous step's count; null for reach or when the previous step is 0. */
  conversion: number | null;
}

/** Median days between two stages, over the cohort's profiles that reached both. */
export interface StageInterval {
  from: Stage;
  to: Stage;
  medianDays: number | null;
  /** Profiles the median is taken over. */
  count: number;
}

export interface OverviewDay {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  leads: number;
  customers: number;
}

/** GET /api/overview?from=YYYY-MM-DD&to=YYYY-MM-DD&site= (both days inclusive, UTC). */
export interface OverviewReply {
  /** The range's first and last days (inclusive), in `timeZone`. */
  from: string;
  to: string;
  /** The IANA zone the days are counted in: the site's (all sites' when they share one), else UTC. */
  timeZone: string;
  siteId: string | null;
  funnel: FunnelStep[];
  intervals: StageInterval[];
  /** New leads and new customers per day in the range (every day present, zeros included). */
  days: OverviewDay[];
}

// ---- Settings: sites, lifecycle and identity rules, users, API tokens (collector → dashboard) ----

/** The editable part of a site's `sites.settings` JSON (`collector/identity/rules.ts` reads it). */
export interface SiteRuleSettings {
  /** Lead score weights and the `qualified` threshold. */
  score: {
    threshold: number;
    pricingView: number;
    session: number;
    chat: number;
    /** Weight per form kind; `default` for any other form. */
    forms: Record<string, number>;
  };
  identity: {
    /** Extra identifier values that never link (the built-in placeholders always apply). */
    blockedValues: string[];
    /** An identifier joining more profiles than this is quarantined as shared. */
    sharedLimit: number;
    /**
     * Refuse, per event, an identify that carries a user id without proof (the secret key, or a `userHash`
     * made by the site's server), instead of keeping it as a claim.
     */
    requireVerifiedIdentify: boolean;
    /** A direct visit within this many days of a non-direct touch leaves that touch the last one. */
    attributionWindowDays: number;
    /** Referral credits a referrer earns per UTC day; more wait for a marketer's review. */
    referralDailyLimit: number;
  };
  reports: {
    /** The IANA time zone report days are counted in: the overview, attribution, lifetime value, profiles. */
    timeZone: string;
  };
  /** Consent and what the tag keeps on the device (Settings → Privacy); the embed snippet carries it. */
  consent: ConsentSettings;
}

/** How the tag asks for consent and what it keeps on the visitor's device. */
export interface ConsentSettings {
  /**
   * The tag stores nothing on the device and identifies no one until the page calls
   * `touchpoint('consent', true)`; the collector keeps no event from the site's pages that lacks that consent.
   */
  required: boolean;
  /**
   * What is counted from a page without consent (before it, or with Global Privacy Control): page views without
   * identifiers, kept as a number per day, or nothing at all.
   */
  beforeConsent: 'cookieless' | 'nothing';
  /** A browser that sends Do-Not-Track is treated like one that sends Global Privacy Control. */
  respectDnt: boolean;
  /** How long the anonymous-id cookie lives, in days (browsers keep one 400 days at most). */
  cookieDays: number;
}

export const COOKIE_DAYS = { default: 395, min: 1, max: 400 } as const;

export const DEFAULT_CONSENT: ConsentSettings = {
  required: false,
  beforeConsent: 'cookieless',
  respectDnt: false,
  cookieDays: COOKIE_DAYS.default,
};

/** The `<script>` tag to paste into a site's pages, carrying its consent settings as data attributes. */
export function embedSnippet(origin: string, siteKey: string, c: ConsentSettings = DEFAULT_CONSENT): string {
  const attrs = [`data-site="${siteKey}"`];
  if (c.required) attrs.push('data-consent="required"');
  if (c.respectDnt) attrs.push('data-dnt="on"');
  if (c.cookieDays !== COOKIE_DAYS.default) attrs.push(`data-cookie-days="${c.cookieDays}"`);
  return `<script async src="${origin}/tp.js" ${attrs.join(' ')}></script>`;
}

/** GET/PUT /api/sites/:id/settings. */
export interface SiteSettingsReply {
  settings: SiteRuleSettings;
  /** What applies when the site sets nothing, and the placeholders that are always blocked. */
  defaults: SiteRuleSettings & { builtInBlockedValues: string[] };
}

/** POST /api/sites: the secret key and identity secret are shown this once. */
export interface SiteCreatedReply {
  site: SiteSummary;
  secretKey: string;
  identitySecret: string;
}

export interface UserSummary {
  id: string;
  email: string;
  /** An admin manages users, keys, sites, webhooks and privacy; a member works with profiles and the inbox. */
  role: 'admin' | 'member';
  createdAt: string;
}

export interface TokenSummary {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** POST /api/tokens: the token itself is shown this once. */
export interface TokenCreatedReply {
  token: TokenSummary;
  secret: string;
}

// ---- The change log (collector → dashboard, automations) ----

export const PROFILE_CHANGE_KINDS = [
  'created',
  'merged',
  'unmerged',
  'stage_entered',
  'stage_left',
  'score_crossed',
  'referral_credited',
  'form_submitted',
  'chat_started',
  'payment_succeeded',
  'payment_failed',
  'at_risk',
] as const;
export type ProfileChangeKind = (typeof PROFILE_CHANGE_KINDS)[number];

/** One row of the append-only change log: what a commit changed about a profile. */
export interface ProfileChangeItem {
  /** Increasing: read on with `after=seq`. */
  seq: number;
  siteId: string;
  profileId: string;
  kind: ProfileChangeKind;
  /**
   * created {stage}; merged {mergedId, linkId, by}; unmerged {into: [ids]}; stage_entered {stage, from};
   * stage_left {stage, to}; score_crossed {score, threshold, direction}; referral_credited {referredId, messageId};
   * form_submitted {formId}; chat_started {conversationId}; payment_succeeded / payment_failed {paymentId, amount,
   * currency}; at_risk {reason: 'no_visit' | 'payment_overdue'}.
   */
  detail: Record<string, unknown>;
  /** When it happened by its evidence (event time), else when it was decided. */
  at: string;
  messageId: string | null;
  createdAt: string;
}

/** GET /api/changes?site=&after=SEQ&limit=N: the changes after a cursor, oldest first. */
export interface ProfileChangesReply {
  changes: ProfileChangeItem[];
  /** The cursor to read on from (the last seq returned, or the one given). */
  after: number;
}

// ---- Referrals (collector → dashboard) ----

/** A referred visitor who became a lead, credited to the referrer (its `loyal` evidence). */
export interface ProfileReferral {
  /** The referred profile. */
  profileId: string;
  /** When the referred profile became a lead, and the event that made it one. */
  at: string;
  messageId: string;
  /**
   * `credited` counts; `review` is over the site's daily limit and waits for a marketer
   * (POST /api/profiles/:id/referrals/:messageId/review {approve}); `rejected` never counts.
   */
  status: 'credited' | 'review' | 'rejected';
}

// Declaration merging: these fields belong to ProfileDetail (GET /api/profiles/:id).
export interface ProfileDetail {
  /** The code to share as `?ref=CODE` (the profile's user id or profile id work too). */
  referralCode?: string | null;
  /** Credits as a referrer, earliest first. */
  referrals?: ProfileReferral[];
  /** Has credited referrals but has never paid: a referral makes only a paying customer loyal. */
  advocate?: boolean;
}

// ---- Automations: rules, tasks, outbound webhooks, speed to lead (dashboard ↔ collector) ----

/** What starts a rule: a change in the log, or a lead left unanswered for `minutes`. */
export const TRIGGER_KINDS = [
  'form_submitted',
  'chat_started',
  'stage_entered',
  'score_crossed',
  'payment_succeeded',
  'payment_failed',
  'at_risk',
  'lead_unanswered',
] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

export const RuleTriggerSchema = /* @__PURE__ */ v.variant('kind', [
  v.object({
    kind: v.literal('form_submitted'),
    formId: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(64)))),
  }),
  v.object({ kind: v.literal('chat_started') }),
  v.object({ kind: v.literal('stage_entered'), stage: v.optional(v.nullable(v.picklist(STAGES))) }),
  v.object({ kind: v.literal('score_crossed') }),
  v.object({ kind: v.literal('payment_succeeded') }),
  v.object({ kind: v.literal('payment_failed') }),
  v.object({ kind: v.literal('at_risk') }),
  v.object({
    kind: v.literal('lead_unanswered'),
    minutes: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10_080)),
  }),
]);
export type RuleTrigger = v.InferOutput<typeof RuleTriggerSchema>;

const ruleText = (max: number) =>
  /* @__PURE__ */ v.pipe(
    v.string(),
    v.trim(),
    v.minLength(1, 'must not be empty'),
    v.maxLength(max),
    storable,
  );

/** A rule fires only when every condition holds for the profile: its channel, campaign or stage, or a trait. */
export const RuleConditionSchema = /* @__PURE__ */ v.object({
  field: v.picklist(['channel', 'campaign', 'stage', 'trait']),
  /** For `trait`: email, name, phone, company or userId. */
  trait: v.optional(v.picklist(['email', 'name', 'phone', 'company', 'userId'])),
  equals: v.pipe(v.string(), v.maxLength(200), storable),
});
export type RuleCondition = v.InferOutput<typeof RuleConditionSchema>;

export const RuleActionSchema = /* @__PURE__ */ v.variant('kind', [
  /** A named user, or round-robin among every user when `userId` is absent. */
  v.object({
    kind: v.literal('assign'),
    userId: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(64)))),
  }),
  v.object({ kind: v.literal('chat_reply'), text: ruleText(1000) }),
  v.object({ kind: v.literal('tag'), tag: ruleText(40) }),
  v.object({ kind: v.literal('set_stage'), stage: v.picklist(STAGES) }),
  v.object({
    kind: v.literal('task'),
    title: ruleText(200),
    dueHours: v.pipe(v.number(), v.minValue(0), v.maxValue(8760)),
  }),
  v.object({ kind: v.literal('email_owner'), subject: v.optional(ruleText(200)) }),
  v.object({ kind: v.literal('webhook'), endpointId: v.pipe(v.string(), v.maxLength(64)) }),
]);
export type RuleAction = v.InferOutput<typeof RuleActionSchema>;

export const RuleInputSchema = /* @__PURE__ */ v.object({
  name: ruleText(120),
  enabled: v.optional(v.boolean(), true),
  trigger: RuleTriggerSchema,
  conditions: v.optional(v.pipe(v.array(RuleConditionSchema), v.maxLength(10)), []),
  actions: v.pipe(v.array(RuleActionSchema), v.minLength(1, 'must hold an action'), v.maxLength(10)),
});
export type RuleInput = v.InferOutput<typeof RuleInputSchema>;

/** GET/POST /api/sites/:id/rules, PUT/DELETE /api/rules/:id. */
export interface AutomationRule extends RuleInput {
  id: string;
  siteId: string;
  createdAt: string;
  updatedAt: string;
  /** Times it fired, and when last. */
  fired: number;
  lastFiredAt: string | null;
}

/** One firing of a rule: the profile, what fired it, and what each action did (`ok`, or why it did not). */
export interface RuleFiring {
  at: string;
  profileId: string;
  /** The profile's email and name as they are now (null when unknown, or the profile was erased). */
  profileEmail?: string | null;
  profileName?: string | null;
  trigger: TriggerKind;
  results: { action: RuleAction['kind']; ok: boolean; note: string }[];
}

/** A follow-up task a rule (or a marketer) made; `overdue` when its due time (or snooze) has passed undone. */
export interface FollowUpTask {
  id: string;
  siteId: string;
  profileId: string;
  profileEmail: string | null;
  profileName: string | null;
  title: string;
  dueAt: string;
  snoozedUntil: string | null;
  doneAt: string | null;
  overdue: boolean;
  ownerId: string | null;
  ownerEmail: string | null;
  ruleId: string | null;
  createdAt: string;
}

/** PATCH /api/tasks/:id: mark done (or not), or snooze for some hours. */
export const TaskUpdateSchema = /* @__PURE__ */ v.object({
  done: v.optional(v.boolean()),
  snoozeHours: v.optional(v.pipe(v.number(), v.minValue(0.25), v.maxValue(720))),
});

/** Outbound webhook event types (Standard Webhooks: `{type, timestamp, data}`, signed per delivery). */
export const WEBHOOK_EVENT_TYPES = [
  'lead.created',
  'profile.stage_changed',
  'profile.merged',
  'form.submitted',
  'chat.started',
  'payment.succeeded',
  'payment.failed',
  'profile.at_risk',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WebhookEndpointInputSchema = /* @__PURE__ */ v.object({
  url: v.pipe(
    v.string(),
    v.maxLength(2000),
    v.url('must be an absolute URL'),
    v.check((u) => /^https?:\/\//i.test(u), 'must be http or https'),
  ),
  events: v.pipe(v.array(v.picklist(WEBHOOK_EVENT_TYPES)), v.minLength(1, 'must name an event type')),
  enabled: v.optional(v.boolean()),
});

export interface WebhookEndpoint {
  id: string;
  siteId: string;
  url: string;
  events: WebhookEventType[];
  enabled: boolean;
  /** Why it stopped (the receiver answered 410), when it did. */
  disabledReason: string | null;
  createdAt: string;
}

/** POST /api/sites/:id/webhooks and POST /api/webhooks/:id/rotate: the `whsec_` secret is shown this once. */
export interface WebhookEndpointCreated {
  endpoint: WebhookEndpoint & { secret: string };
}

/** The profile every payload names. */
export interface WebhookProfile {
  id: string;
  email: string | null;
  name: string | null;
  stage: Stage;
  firstTouch: TouchSummary | null;
}

/** The `data` of each event type (every one names the profile). */
export interface WebhookData {
  'lead.created': { profile: WebhookProfile };
  'profile.stage_changed': { profile: WebhookProfile; from: Stage | null; to: Stage };
  'profile.merged': { profile: WebhookProfile; mergedId: string };
  'form.submitted': { profile: WebhookProfile; formId: string | null };
  'chat.started': { profile: WebhookProfile; conversationId: string | null };
  'payment.succeeded': {
    profile: WebhookProfile;
    paymentId: string | null;
    amount: number | null;
    currency: string | null;
  };
  'payment.failed': {
    profile: WebhookProfile;
    paymentId: string | null;
    amount: number | null;
    currency: string | null;
  };
  'profile.at_risk': { profile: WebhookProfile; reason: 'no_visit' | 'payment_overdue' };
  /** A rule's webhook action: the rule and what fired it. */
  'rule.fired': { profile: WebhookProfile; rule: { id: string; name: string }; trigger: TriggerKind };
  /** The dashboard's "send a test event". */
  'webhook.test': { profile: WebhookProfile };
}

export interface WebhookPayload<T extends keyof WebhookData = keyof WebhookData> {
  type: T;
  /** When the change happened (ISO 8601). */
  timestamp: string;
  data: WebhookData[T];
}

/** One delivery (one `webhook-id`) and its attempts. */
export interface WebhookDelivery {
  id: string;
  endpointId: string;
  type: keyof WebhookData;
  /** `pending` waits for its next attempt; `failed` ran out of attempts or its endpoint is gone. */
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  lastResponseStatus: number | null;
  lastError: string | null;
  lastLatencyMs: number | null;
  createdAt: string;
  deliveredAt: string | null;
  log: { at: string; responseStatus: number | null; latencyMs: number; error: string | null }[];
}

/** Speed to lead: from a form submission or first chat message to the first answer. */
export interface SpeedToLead {
  leads: number;
  /** Answered by a person (a chat reply, or a task marked done). */
  answered: number;
  unanswered: number;
  /** Median time to the first human answer, of those answered (ms). */
  medianMs: number | null;
  /** Share of leads answered by a person within 5 minutes (0..1). */
  within5Min: number | null;
  /** Median time to the first automation action (ms). */
  medianAutoMs: number | null;
}

// Declaration merging: speed to lead is part of the overview.
export interface OverviewReply {
  speedToLead?: SpeedToLead & { byChannel: (SpeedToLead & { channel: string })[] };
  /** Bots and headless browsers kept out of every count above, in the range (whole UTC days). */
  bots?: { requests: number; events: number };
  /** Page views sent before consent (`context.consent: false`): counted here, kept nowhere. */
  cookieless?: { views: number };
}

// Declaration merging: a profile's owner and tags.
export interface ProfileSummary {
  ownerId?: string | null;
  ownerEmail?: string | null;
  tags?: string[];
}

/** How a lead's clock started: its first form submission, or its first chat message. */
export type LeadStartKind = 'form_submitted' | 'chat_started';

/** A lead no person has answered yet (GET /api/inbox/leads), oldest first. */
export interface UnansweredLead {
  profileId: string;
  siteId: string;
  email: string | null;
  name: string | null;
  /** The profile's first-touch channel when the clock started. */
  channel: string;
  startedAt: string;
  startKind: LeadStartKind;
  /** How long the lead has waited, when the reply was made (ms). */
  ageMs: number;
  /** Waiting longer than the 5 minutes speed to lead is measured against. */
  overdue: boolean;
  /** The visitor's conversation, when the lead has one; else the dashboard links the profile. */
  conversationId: string | null;
  /** The browser that conversation is with (the inbox names a visitor without an email by it). */
  anonymousId: string | null;
}

export interface InboxLeadsReply {
  leads: UnansweredLead[];
  /** All unanswered leads (of the site, if one was asked for), beyond the page. */
  total: number;
}

/** A page the visitor saw: from a page event's context.page (visitor-sent text, shown as text only). */
export interface SeenPage {
  url: string | null;
  path: string | null;
  title: string | null;
  at: string;
}

/** What the inbox shows beside a conversation (GET /api/inbox/:id/context). */
export interface ConversationContextReply {
  /** The profile of the visitor's browser; null before any of its events was stored. */
  profile: {
    id: string;
    email: string | null;
    name: string | null;
    stage: Stage;
    leadScore: number;
    ownerId: string | null;
    ownerEmail: string | null;
    firstTouch: TouchSummary | null;
  } | null;
  /** The lead's speed-to-lead clock, when it started. */
  lead: { startedAt: string; startKind: LeadStartKind; answeredAt: string | null; overdue: boolean } | null;
  /** This session's pages (since the last 30-minute pause of the browser), newest first, at most 20. */
  pages: SeenPage[];
  /** The latest page the browser sent, in this session or before. */
  currentPage: SeenPage | null;
}

// ---- Privacy: export, erasure, retention (dashboard ↔ collector) ----

// Declaration merging: the site's retention period, shown once the site has privacy settings.
export interface SiteRuleSettings {
  /** Raw events older than `retentionDays` are purged (30 to 3650 days); null keeps them forever. */
  privacy?: { retentionDays: number | null };
}

/** One stored event of an export, as it was accepted (its validated body). */
export interface ExportedEvent {
  messageId: string;
  type: string;
  event: string | null;
  /** Event time (corrected for the sender's clock) and when it reached the collector. */
  at: string;
  receivedAt: string;
  /** The identifier that owns it. */
  ident: string;
  proof: string | null;
  body: WireEvent;
}

/** GET /api/profiles/:id/export: everything held about a profile (following merges to the live one). */
export interface ProfileExport {
  exportedAt: string;
  siteId: string;
  /** The live profile as the dashboard shows it: identifiers, links, merges, stage history, billing, owner, tags. */
  profile: ProfileDetail;
  /** Profiles merged into it (retired rows that point to it). */
  mergedProfiles: {
    id: string;
    email: string | null;
    name: string | null;
    userId: string | null;
    firstSeen: string;
    lastSeen: string;
    mergedInto: string;
  }[];
  /** Every identifier (identity key) held for it, with when it was first seen. */
  identifiers: (Identifier & { key: string; createdAt: string })[];
  links: LinkSummary[];
  stageHistory: StageHistoryEntry[];
  /** A stage set by hand, kept until evidence moves past it. */
  stageOverride: { stage: Stage; reason: string; at: string } | null;
  /** Every stored event, oldest first. */
  events: ExportedEvent[];
  /** The form submissions among them. */
  formSubmissions: ExportedEvent[];
  /** The touches (arrivals) kept for attribution. */
  touches: { id: string; messageId: string; at: string; channel: string; touch: Record<string, unknown> }[];
  conversations: {
    id: string;
    anonymousId: string;
    email: string | null;
    status: string;
    createdAt: string;
    updatedAt: string;
    messages: (ChatMessage & { userId: string | null })[];
  }[];
  payments: {
    id: string;
    invoiceId: string | null;
    paymentId: string | null;
    status: string;
    /** Minor units of `currency`. */
    amount: number | null;
    refunded: number;
    currency: string | null;
    method: string | null;
    at: string;
    source: string;
    customerId: string | null;
    email: string | null;
  }[];
  tasks: FollowUpTask[];
  tags: string[];
  /** The change log rows about it. */
  changes: ProfileChangeItem[];
  /** Its speed-to-lead clock, when it became a lead. */
  leadResponse: {
    startedAt: string;
    startKind: string;
    channel: string;
    firstAutoAt: string | null;
    firstHumanAt: string | null;
  } | null;
}

/** What an erasure removed, by kind: no personal data. */
export type ErasureCounts = Record<string, number>;

/** The audit receipt an erasure leaves (GET /api/erasures, POST /api/profiles/:id/erase). */
export interface ErasureReceipt {
  id: string;
  siteId: string;
  erasedAt: string;
  /** The admin who erased (null when done with an API token). */
  byUserId: string | null;
  via: 'session' | 'token';
  /** Why, as the admin said (refused when it names the person). */
  reason: string | null;
  counts: ErasureCounts;
}

/** POST /api/profiles/:id/erase {reason?}. */
export interface EraseReply {
  erasure: ErasureReceipt;
}

/** GET /api/erasures?site=: newest first. */
export interface ErasuresReply {
  erasures: ErasureReceipt[];
}
