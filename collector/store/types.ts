// The storage interface the collector's routes and domain code depend on: types only. The one implementation
// (store/libsql/) holds all SQL and row mapping; store/open.ts is the one place that picks it.
import type {
  AutomationRule,
  FollowUpTask,
  RuleFiring,
  RuleInput,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEventType,
  AttributionModel,
  AttributionRow,
  ChatAuthor,
  ChatMessage,
  ChatSettings,
  ConversationContextReply,
  ConversationStatus,
  ConversationSummary,
  ErasureReceipt,
  FormDefinition,
  FormInput,
  InboxChange,
  InboxLeadsReply,
  MergeProposal,
  LtvRow,
  OverviewReply,
  ProfileChangesReply,
  ProfileDetail,
  ProfileExport,
  ProfileSort,
  ProfileStatus,
  ProfileSummary,
  SiteSummary,
  SortOrder,
  Stage,
  TimelineItem,
  UnmatchedPayment,
} from '../../wire.ts';
import type { StripeDelivery } from '../billing/webhook.ts';
import type { PreparedEvent } from '../ingest/prepare.ts';

// ---- Sites and accounts ----

export interface Site {
  id: string;
  name: string;
  siteKey: string;
  origins: string[];
  /** Signs identify calls made in the page: HMAC-SHA256(userId) proves the site's login vouches for the user id. */
  identitySecret: string;
  /** The site's settings JSON (identity rules, lead score weights). */
  settings: Record<string, unknown>;
  createdAt: number;
}

export interface SiteAccess {
  site: Site;
  /** True when the request used the site's secret key (server-side senders). */
  secret: boolean;
}

export type Role = 'admin' | 'member';

export interface User {
  id: string;
  email: string;
  /** An admin manages users, keys, sites, webhooks and privacy; a member works with profiles and the inbox. */
  role: Role;
}

export interface TokenRow {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface SiteStore {
  create(name: string, origins: string[]): Promise<{ site: Site; secretKey: string }>;
  list(): Promise<Site[]>;
  summaries(): Promise<SiteSummary[]>;
  byId(id: string): Promise<Site | null>;
  /** The site a public or secret key belongs to; cached in the process, refreshed when any process changes a site. */
  access(key: string): Promise<SiteAccess | null>;
  /** Is this origin allowed by any site? (CORS preflights carry no key.) */
  anyAllows(origin: string): Promise<boolean>;
  /** Changes a site's name and/or origins; false when there is no such site. */
  update(id: string, change: { name?: string; origins?: string[] }): Promise<boolean>;
  /** Replaces the site's settings JSON; false when there is no such site. */
  setSettings(id: string, settings: Record<string, unknown>): Promise<boolean>;
}

export interface AccountStore {
  countUsers(): Promise<number>;
  createUser(email: string, password: string, role?: Role): Promise<User>;
  /** Changes a user's role; 'last' when that would leave no admin. */
  setRole(id: string, role: Role): Promise<'changed' | 'missing' | 'last'>;
  checkLogin(email: string, password: string): Promise<User | null>;
  listUsers(): Promise<(User & { createdAt: number })[]>;
  findUserByEmail(email: string): Promise<User | null>;
  userExists(id: string): Promise<boolean>;
  /** Removes a user and their sessions unless they are the last one, or the last admin. */
  deleteUser(id: string): Promise<'removed' | 'missing' | 'last'>;
  createSession(userId: string): Promise<string>;
  userForSession(token: string): Promise<User | null>;
  deleteSession(token: string): Promise<void>;
  createToken(name: string): Promise<{ id: string; token: string }>;
  tokenIsValid(token: string): Promise<boolean>;
  listTokens(): Promise<TokenRow[]>;
  deleteToken(id: string): Promise<boolean>;
  createSetupToken(ttlMs?: number): Promise<string>;
  /** Uses a setup link once: true when it existed and had not expired; it is gone either way. */
  consumeSetupToken(token: string): Promise<boolean>;
  /** Whether a setup link would still create the admin: not used, not expired, and no user exists yet. */
  setupTokenOpen(token: string): Promise<boolean>;
}

// ---- Lead forms ----

export type StoredForm = FormDefinition & { siteId: string };

export interface FormStore {
  list(siteId: string): Promise<StoredForm[]>;
  get(siteId: string, formId: string): Promise<StoredForm | null>;
  /** The same, from a per-process cache that any process's change to a form clears (ingest's check). */
  cached(siteId: string, formId: string): Promise<StoredForm | null>;
  create(siteId: string, input: FormInput): Promise<StoredForm>;
  update(siteId: string, formId: string, input: FormInput): Promise<StoredForm | null>;
  delete(siteId: string, formId: string): Promise<boolean>;
}

// ---- Chat ----

/** A visitor's conversation as the write path sees it. */
export interface ConversationRef {
  id: string;
  siteId: string;
  anonymousId: string;
  email: string | null;
  /** The sequence id of its last message (0 before the first). */
  lastSeq: number;
  /** SHA-256 of the token the visitor's browser holds (null for a conversation from before tokens). */
  tokenHash?: string | null;
}

export interface NewChatMessage {
  author: ChatAuthor;
  text: string;
  /** Client-made id: a retry of the same message is stored once. */
  clientId?: string;
  userId?: string | null;
  /** An email learned with this message; kept on the conversation. */
  email?: string | null;
  /** A visitor's first message (or the first since tokens): the hash of the token their browser now holds. */
  tokenHash?: string;
}

export interface AddedChatMessage {
  conversation: ConversationRef;
  message: ChatMessage;
  /** The client id was seen before: `message` is the stored one and nothing was written. */
  duplicate: boolean;
  /** The conversation had no message before this one. */
  first: boolean;
  /** The conversation's email before this message (null when none was known). */
  previousEmail: string | null;
}

export type ConversationChangeKind = Exclude<InboxChange['kind'], 'message'>;

export interface ConversationUpdate {
  status?: ConversationStatus;
  assigneeId?: string | null;
  /** Marks every message read by the agents. */
  readAll?: boolean;
}

/** One row of the inbox change log, as the change feed tells it: enough to know whose streams to wake. */
export interface ChatChange {
  id: number;
  kind: InboxChange['kind'];
  siteId: string;
  conversationId: string;
  /** The conversation's visitor (null if the conversation is gone). */
  anonymousId: string | null;
}

export interface ChatStore {
  settings(siteId: string): Promise<ChatSettings | null>;
  /** The same, from a per-process cache that any process's change to chat settings clears (every widget load). */
  cachedSettings(siteId: string): Promise<ChatSettings | null>;
  setSettings(siteId: string, settings: ChatSettings): Promise<void>;
  findConversation(siteId: string, anonymousId: string): Promise<ConversationRef | null>;
  /**
   * Appends a message to the visitor's conversation (made on the first message), numbered by the
   * conversation's next sequence id, in one write. A visitor message reopens a closed conversation; an agent
   * message marks the conversation read; a client id seen before returns the stored message.
   */
  addMessage(siteId: string, anonymousId: string, message: NewChatMessage): Promise<AddedChatMessage>;
  /** Messages after sequence id `after`, oldest first. */
  messagesAfter(conversationId: string, after: number, limit?: number): Promise<ChatMessage[]>;
  listConversations(filter: {
    status?: ConversationStatus;
    siteId?: string;
    limit?: number;
  }): Promise<ConversationSummary[]>;
  getConversation(id: string): Promise<ConversationSummary | null>;
  /** Changes a conversation and records it in the inbox change log; the conversation as it is now, or null. */
  updateConversation(
    id: string,
    kind: ConversationChangeKind,
    set: ConversationUpdate,
  ): Promise<ConversationSummary | null>;
  /** Inbox changes after change id `after`, oldest first, each with its conversation as it is now. */
  changesAfter(after: number, siteId?: string, limit?: number): Promise<InboxChange[]>;
  lastChangeId(): Promise<number>;
  /**
   * Calls `listener` with the inbox changes any process commits: at once for writes made through this store,
   * within a poll for the others (one query per process, however many listen). Returns the unsubscribe.
   */
  watch(listener: (changes: ChatChange[]) => void): () => void;
  /** Leads no person has answered yet (speed to lead), oldest first, each with its conversation if it has one. */
  unansweredLeads(filter: { siteId?: string; limit: number }): Promise<InboxLeadsReply>;
  /**
   * What the inbox shows beside a conversation: its visitor's profile and lead clock, this session's pages and
   * the page they are on now; null when there is no such conversation.
   */
  conversationContext(id: string): Promise<ConversationContextReply | null>;
}

// ---- Events ----

export type WriteOutcome = 'accepted' | 'duplicate';

export interface EventStore {
  /** Stores one request's events (group commit with every other waiting request); resolves once committed. */
  submit(siteId: string, events: PreparedEvent[]): Promise<WriteOutcome[]>;
  /** Counts a bot's request and its events for the site's day (they are stored nowhere else). */
  countBots(siteId: string, events: number): Promise<void>;
  /**
   * Counts page views sent before consent (no identifiers kept) for the site's day; they are stored nowhere. A
   * negative count gives views back (a page counted so, then as a visit after consent), never below nought.
   */
  countCookieless(siteId: string, views: number): Promise<void>;
}

// ---- Profiles and reports ----

export interface ProfileQuery {
  q?: string;
  stage?: string;
  /** Profiles at this stage or past it (the funnel's count of those that reached it). */
  reached?: Stage;
  /** First seen at or after this time (ms). */
  firstSeenFrom?: number;
  /** First seen before this time (ms). */
  firstSeenBefore?: number;
  status?: ProfileStatus;
  channel?: string;
  siteId?: string;
  cursor?: string;
  /** Default lastSeen, descending. */
  sort?: ProfileSort;
  order?: SortOrder;
  limit: number;
}

export interface ProfileStore {
  list(query: ProfileQuery): Promise<{ profiles: ProfileSummary[]; nextCursor: string | null }>;
  /** One profile (following merges to the live one) with its timeline; null when there is none. */
  get(
    id: string,
  ): Promise<{ profile: ProfileDetail; timeline: TimelineItem[]; olderCursor: string | null } | null>;
  /** The events of a profile before `before` (a cursor from get or from here), newest first in pages, returned oldest first. */
  timeline(
    id: string,
    before: string,
    limit?: number,
  ): Promise<{ timeline: TimelineItem[]; olderCursor: string | null } | null>;
  /** The live profile's id and site (following merges), or null. */
  live(id: string): Promise<{ id: string; siteId: string } | null>;
  /** Merges `otherId` into `id` by a manual link; returns the live id. */
  merge(id: string, otherId: string, reason: string): Promise<string>;
  /** Revokes a link (unmerge): both sides are replayed as if it had never existed. */
  revokeLink(linkId: string, reason: string): Promise<void>;
  proposals(siteId?: string): Promise<MergeProposal[]>;
  answerProposal(linkId: string, accept: boolean): Promise<void>;
  /** A manual stage, kept until evidence moves the profile past it later; returns the stage now held. */
  setStage(id: string, stage: Stage, reason: string): Promise<Stage>;
  /** Approves or rejects one of a referrer's credits (by its lead event's messageId). */
  reviewReferral(id: string, messageId: string, approve: boolean): Promise<void>;
  /** The change log after a cursor (`seq`), oldest first; one site's or all. */
  changes(query: { siteId?: string; after: number; limit: number }): Promise<ProfileChangesReply>;
}

export interface ReportStore {
  overview(query: { from?: string; to?: string; siteId?: string }): Promise<OverviewReply>;
  attribution(query: {
    from: number;
    to: number;
    siteId?: string;
  }): Promise<Record<AttributionModel, AttributionRow[]>>;
  /** Lifetime value by first touch for the profiles first touched in [from, to). */
  ltv(query: { from: number; to: number; siteId?: string }): Promise<LtvRow[]>;
}

// ---- Billing ----

/** How a Stripe event found its profile: its reference, the payment it belongs to, its customer, its email. */
export type StripeMatchRule = 'reference' | 'payment' | 'customer' | 'email';

/** What became of a Stripe delivery; all but a duplicate are recorded with the event id. */
export type StripeOutcome =
  | { outcome: 'duplicate' }
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'stored'; profileId: string; matchedBy: StripeMatchRule }
  /** No profile: its money (if it states any) waits in the unmatched list. */
  | { outcome: 'unmatched'; money: boolean };

export interface BillingStore {
  /** The site's Stripe webhook secret; null when none is set or there is no such site. */
  stripeSecret(siteId: string): Promise<string | null>;
  /** Sets (or with null clears) the site's webhook secret; false when there is no such site. */
  setStripeSecret(siteId: string, secret: string | null): Promise<boolean>;
  /**
   * Records one verified Stripe event in one write transaction, all or nothing: an event id seen before is a
   * duplicate; otherwise its profile is found (reference, payment, customer, undisputed email) and its event,
   * with the events of its payment that waited unmatched, is stored and folded into the profile, or its money
   * waits in the unmatched list; and the event id is recorded with its outcome.
   */
  recordStripeEvent(siteId: string, delivery: StripeDelivery): Promise<StripeOutcome>;
  /** Payments no profile owns yet, oldest first. */
  unmatched(siteId?: string): Promise<UnmatchedPayment[]>;
  /**
   * Gives an unmatched payment to a profile in one write transaction: its waiting events are stored on the
   * profile. Refused when the payment or the profile (on the payment's site) is missing, the payment already
   * has an owner, or the profile has no user id or browser to own events.
   */
  attach(paymentId: string, profileId: string): Promise<{ paymentId: string; profileId: string }>;
}

// ---- Automations ----

export interface ProcessOptions {
  /** Whether an SMTP server is configured (else the email action says it is unavailable). */
  smtp: boolean;
  /** The dashboard's public URL, for links in emails. */
  publicUrl?: string;
  now?: number;
  /** Changes and due timers per round. */
  limit?: number;
  /** How often the at-risk sweep runs. */
  sweepMs?: number;
}

export interface ProcessResult {
  changes: number;
  fired: number;
  deliveries: number;
  /** More waits: run another round at once. */
  more: boolean;
}

/** A delivery taken for an attempt (leased, so nobody else takes it meanwhile). */
export interface DueDelivery {
  id: string;
  endpointId: string;
  url: string;
  secret: string;
  payload: string;
  attempts: number;
}

export interface DeliveryAttempt {
  at: number;
  status: number | null;
  latencyMs: number;
  error: string | null;
  retryAfterMs: number | null;
}

export interface DueEmail {
  id: string;
  to: string;
  subject: string;
  body: string;
  attempts: number;
}

export interface OutboxEmail {
  id: string;
  to: string;
  subject: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

export interface AutomationStore {
  rules(siteId: string): Promise<AutomationRule[]>;
  rule(id: string): Promise<AutomationRule | null>;
  createRule(siteId: string, input: RuleInput): Promise<AutomationRule>;
  updateRule(id: string, input: RuleInput): Promise<AutomationRule | null>;
  deleteRule(id: string): Promise<boolean>;
  /** The latest firings of a rule, newest first. */
  firings(ruleId: string, limit?: number): Promise<RuleFiring[]>;
  tasks(query: {
    siteId?: string;
    profileId?: string;
    status?: 'open' | 'done' | 'all';
  }): Promise<FollowUpTask[]>;
  updateTask(
    id: string,
    change: { done?: boolean; snoozeHours?: number },
    userId: string | null,
  ): Promise<FollowUpTask | null>;
  tags(profileId: string): Promise<string[]>;
  endpoints(siteId: string): Promise<WebhookEndpoint[]>;
  endpoint(id: string): Promise<WebhookEndpoint | null>;
  createEndpoint(
    siteId: string,
    input: { url: string; events: WebhookEventType[]; enabled?: boolean },
  ): Promise<WebhookEndpoint & { secret: string }>;
  updateEndpoint(
    id: string,
    input: { url?: string; events?: WebhookEventType[]; enabled?: boolean },
  ): Promise<WebhookEndpoint | null>;
  deleteEndpoint(id: string): Promise<boolean>;
  rotateSecret(id: string): Promise<(WebhookEndpoint & { secret: string }) | null>;
  /** An endpoint's latest deliveries with their attempts, newest first. */
  deliveries(endpointId: string): Promise<WebhookDelivery[]>;
  /** Sends a delivery again (same webhook-id) at once. */
  redeliver(deliveryId: string): Promise<WebhookDelivery | null>;
  testEvent(endpointId: string): Promise<WebhookDelivery | null>;
  /** One round: changes after the cursor fire rules and become deliveries, due timers fire, the at-risk sweep. */
  process(options: ProcessOptions): Promise<ProcessResult>;
  /** What waits, read cheaply (so the workers write only when there is work). */
  pending(): Promise<{
    changes: boolean;
    nextTimerAt: number | null;
    sweptAt: number;
    nextDeliveryAt: number | null;
    nextEmailAt: number | null;
  }>;
  claimDeliveries(now: number, limit: number, leaseMs: number): Promise<DueDelivery[]>;
  recordAttempt(id: string, result: DeliveryAttempt, schedule: number[]): Promise<void>;
  claimEmails(now: number, limit: number, leaseMs: number): Promise<DueEmail[]>;
  /** An email sent (error null) or failed (retried on its schedule). */
  recordEmail(id: string, error: string | null, at: number): Promise<void>;
  emails(siteId: string): Promise<OutboxEmail[]>;
}

// ---- Privacy ----

/** Who asked for an erasure (kept on its receipt). */
export interface ErasureBy {
  userId: string | null;
  via: 'session' | 'token';
  reason: string | null;
}

export interface PurgeResult {
  /** Raw events purged by this call. */
  events: number;
  /** Old events still wait (the call stopped at its time budget). */
  more: boolean;
}

export interface PrivacyStore {
  /** Everything held about a profile (following merges to the live one); null when there is none. */
  export(id: string): Promise<ProfileExport | null>;
  /**
   * Removes the live profile, the profiles merged into it and everything about them in one write transaction,
   * leaves a receipt and the tombstones of its identifiers, then checkpoints the WAL; null when there is none.
   * Refused (naming `reason`) when the reason names the person.
   */
  erase(id: string, by: ErasureBy): Promise<ErasureReceipt | null>;
  /** Whether any of these identity keys ('a:…', 'u:…', 'e:…') belonged to an erased person (its tombstone). */
  erased(siteId: string, keys: string[]): Promise<boolean>;
  /** Erasure receipts, newest first; one site's or all. */
  erasures(query: { siteId?: string; limit: number }): Promise<ErasureReceipt[]>;
  /**
   * Purges raw events (and their touches) older than each site's retention period, in small write jobs, keeping
   * what they folded into their profiles so a later refold starts from it.
   */
  purge(now: number, options?: { budgetMs?: number; batch?: number }): Promise<PurgeResult>;
}

// ---- Operations ----

export interface WriterState {
  /** Events and jobs waiting for the writer. */
  pending: number;
  /** Past this many waiting events, ingest is refused. */
  limit: number;
  commits: number;
  events: number;
  /** Times another process held the write lock. */
  busy: number;
}

export interface Store {
  readonly sites: SiteStore;
  readonly accounts: AccountStore;
  readonly events: EventStore;
  readonly forms: FormStore;
  readonly chat: ChatStore;
  readonly profiles: ProfileStore;
  readonly reports: ReportStore;
  readonly billing: BillingStore;
  readonly automations: AutomationStore;
  readonly privacy: PrivacyStore;
  /** The writer's queue and counters (for /ready and benchmarks). */
  writerState(): Promise<WriterState>;
  /** Answers when the database can be read (for /ready). */
  ping(): Promise<void>;
  /** An online, consistent copy of the database at `path` (a file database only). */
  backup(path: string): Promise<void>;
  /** Commits what is waiting, stops taking writes and closes the connection. */
  close(): Promise<void>;
}
