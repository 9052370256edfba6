// The wire format: every event shape, limit and API reply that crosses a boundary, written once for widget, collector and dashboard.
// The capture core and dashboard import only types and constants from here; the schemas are marked pure so
// bundlers drop them (and valibot) from code that does not validate.
import * as v from 'valibot';

/** Limits shared by the widget (so it never sends what will be refused) and the collector. */
export const LIMITS = {
  /** Largest request body the collector reads. */
  requestBytes: 500 * 1024,
  /** Largest single event, measured as its JSON text. */
  eventBytes: 32 * 1024,
  /** Most events in one batch. */
  batchEvents: 500,
  /** Longest identifier (messageId, anonymousId, userId). */
  idLength: 200,
  /** Longest free-text string (event names, titles, URLs, property values are capped by eventBytes). */
  textLength: 2048,
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

const id = /* @__PURE__ */ v.pipe(
  v.string(),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(LIMITS.idLength),
);
const text = /* @__PURE__ */ v.pipe(v.string(), v.maxLength(LIMITS.textLength));
const optText = /* @__PURE__ */ v.optional(v.nullable(text));
/** ISO 8601 date-time; Segment libraries send it with or without milliseconds and with any offset. */
const isoTime = /* @__PURE__ */ v.pipe(
  v.string(),
  v.maxLength(64),
  v.check((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date-time'),
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
    event: v.optional(text),
    name: v.optional(v.nullable(text)),
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
    v.maxLength(LIMITS.batchEvents, `batch holds at most ${LIMITS.batchEvents} events`),
  ),
  writeKey: v.optional(v.string()),
  sentAt: v.optional(isoTime),
  context: v.optional(record),
});

export type EventStatus = 'accepted' | 'duplicate' | 'rejected';
export interface EventResult {
  index: number;
  messageId?: string;
  status: EventStatus;
  /** Why it was rejected, naming the field. */
  error?: string;
}
export interface IngestReply {
  results: EventResult[];
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
}

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
}

export interface Identifier {
  kind: 'anonymous' | 'user' | 'email';
  value: string;
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
}

export interface ProfilesReply {
  profiles: ProfileSummary[];
  nextCursor: string | null;
}
export interface ProfileReply {
  profile: ProfileDetail;
  timeline: TimelineItem[];
}

export interface SiteSummary {
  id: string;
  name: string;
  siteKey: string;
  origins: string[];
  createdAt: string;
  eventCount: number;
}
