// The Segment-compatible tracking API: /v1/batch and the single-event verbs. Validates, hands events to
// the group-commit writer, and answers with a result per event.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { type Context, Hono } from 'hono';
import * as v from 'valibot';
import {
  BatchEnvelopeSchema,
  type EventResult,
  EventSchema,
  type IngestReply,
  LIMITS,
  type WidgetSettings,
  type WireEvent,
} from '../../wire.ts';
import { billingProblem } from '../billing/events.ts';
import { describeIssues, limitBody, parseJson } from '../http/body.ts';
import { siteCors } from '../http/cors.ts';
import { ApiError } from '../http/errors.ts';
import { consentSettings } from '../identity/rules.ts';
import { isBotRequest } from './bots.ts';
import { minimiseEvent } from './minimise.ts';
import { enrich, type RequestFacts } from './enrich.ts';
import { identifierProblem, type PreparedEvent, prepareEvent, timeProblem } from './prepare.ts';
import type { EventStore, SiteAccess, SiteStore } from '../store/types.ts';

export interface IngestDeps {
  sites: Pick<SiteStore, 'access' | 'anyAllows'>;
  events: EventStore;
  /** A site-specific check of a valid event (e.g. a form submission against its form); a message rejects it. */
  vet?: (siteId: string, e: WireEvent) => Promise<string | null>;
  /** The widget settings a batch from tp.js asks for with its first page view. */
  widget?: (siteId: string) => Promise<WidgetSettings>;
  /** The site's rate limit: throws a 429 when the site may not send `events` more events now. */
  admit?: (siteId: string, events: number) => void;
}

export { describeIssues };

function basicAuthUser(header: string | undefined): string | null {
  if (!header?.startsWith('Basic ')) return null;
  try {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    return decoded.split(':')[0] || null;
  } catch {
    return null;
  }
}

async function authenticate(
  sites: Pick<SiteStore, 'access'>,
  body: Record<string, unknown>,
  authorization: string | undefined,
  origin: string | undefined,
): Promise<SiteAccess> {
  const key = (typeof body.writeKey === 'string' && body.writeKey) || basicAuthUser(authorization);
  if (!key)
    throw new ApiError(
      401,
      'missing_key',
      'writeKey is required (in the body, or as the Basic-auth user name)',
      'writeKey',
    );
  const access = await sites.access(key);
  if (!access) throw new ApiError(401, 'unknown_key', 'writeKey does not belong to any site', 'writeKey');
  if (origin) {
    // A secret key in a page would be readable by anyone; it is for servers only.
    if (access.secret)
      throw new ApiError(
        403,
        'secret_key_in_browser',
        'the secret key is not accepted from a browser origin',
        'writeKey',
      );
    if (!access.site.origins.includes(origin.toLowerCase())) {
      throw new ApiError(
        403,
        'origin_not_allowed',
        `origin ${origin} is not allowed for this site`,
        'Origin',
      );
    }
  }
  return access;
}

/**
 * How an event proves its identifiers: sent with the secret key (a server), or an identify from the page that
 * carries `userHash` = hex HMAC-SHA256(userId) keyed with the site's identity secret (made by the site's server).
 */
export function proofOf(access: SiteAccess, e: WireEvent): 'secret' | 'hmac' | null {
  if (access.secret) return 'secret';
  const hash = e.context?.userHash ?? e.traits?.userHash ?? e.context?.traits?.userHash;
  if (!e.userId || typeof hash !== 'string' || !access.site.identitySecret) return null;
  const want = createHmac('sha256', access.site.identitySecret).update(e.userId).digest();
  const got = Buffer.from(hash, 'hex');
  return got.length === want.length && timingSafeEqual(got, want) ? 'hmac' : null;
}

/** A site that requires verified identify refuses an identify whose user id comes without proof. */
function identifyProblem(access: SiteAccess, e: WireEvent, proof: PreparedEvent['proof']): string | null {
  if (e.type !== 'identify' || !e.userId || proof) return null;
  const identity = access.site.settings.identity as { requireVerifiedIdentify?: unknown } | undefined;
  if (identity?.requireVerifiedIdentify !== true) return null;
  return "context.userHash: this site takes an identify with a user id only with proof: a userHash made by the site's server (HMAC-SHA256 of the user id with the site's identity secret)";
}

/**
 * A browser's own headers describe the visitor (tp.js leaves userAgent and locale to them); a server library's
 * describe the server, so requests without an Origin header give nothing.
 */
function requestFacts(c: { req: { header(name: string): string | undefined } }): RequestFacts {
  if (!c.req.header('origin')) return {};
  return { userAgent: c.req.header('user-agent'), acceptLanguage: c.req.header('accept-language') };
}

type Checked =
  { ok: true; event: PreparedEvent } | { ok: false; error: string; field?: string; messageId?: string };

function checkEvent(
  input: unknown,
  envelope: { sentAt?: string; context?: Record<string, unknown> },
  receivedAt: number,
  facts: RequestFacts,
  measure = true,
): Checked {
  const messageId =
    input && typeof input === 'object' && typeof (input as { messageId?: unknown }).messageId === 'string'
      ? (input as { messageId: string }).messageId
      : undefined;
  if (!input || typeof input !== 'object' || Array.isArray(input))
    return { ok: false, error: 'an event must be an object', messageId };
  let candidate = input as Record<string, unknown>;
  // Segment's HTTP API makes the messageId when a caller leaves it out (then a retry is a new event).
  if (candidate.messageId === undefined) candidate = { ...candidate, messageId: randomUUID() };
  if (envelope.sentAt && candidate.sentAt === undefined)
    candidate = { ...candidate, sentAt: envelope.sentAt };
  if (envelope.context)
    candidate = { ...candidate, context: { ...envelope.context, ...(candidate.context as object) } };
  if (measure && Buffer.byteLength(JSON.stringify(candidate)) > LIMITS.eventBytes) {
    return { ok: false, error: `event is larger than ${LIMITS.eventBytes} bytes`, messageId };
  }
  // After the size check (what the sender sent is what is measured); URLs are minimised before anything is
  // read from them, so a campaign is never taken from a parameter that is cut.
  candidate = enrich(minimiseEvent(candidate), facts);
  const parsed = v.safeParse(EventSchema, candidate);
  if (!parsed.success) {
    const { field, message } = describeIssues(parsed.issues);
    return { ok: false, error: message, field, messageId };
  }
  const event = parsed.output as WireEvent;
  const problem = timeProblem(event, receivedAt) ?? identifierProblem(event);
  if (problem) return { ok: false, error: problem.message, field: problem.field, messageId };
  // Store exactly what was validated (trimmed ids included), without the key.
  const { writeKey: _key, ...stored } = event as WireEvent & { writeKey?: unknown };
  return { ok: true, event: prepareEvent(event, JSON.stringify(stored), receivedAt) };
}

export function ingestRoutes(deps: IngestDeps): Hono {
  const app = new Hono();

  app.use(
    '*',
    siteCors({
      allows: (origin) => deps.sites.anyAllows(origin),
      methods: ['POST', 'OPTIONS'],
      headers: ['Content-Type', 'Authorization'],
      maxAgeSeconds: 86400,
    }),
  );
  app.use('*', limitBody(LIMITS.requestBytes));

  /** The body as a JSON object, and whether one event of it could be over the per-event limit at all. */
  async function readBody(c: {
    req: { text(): Promise<string> };
  }): Promise<{ body: Record<string, unknown>; measure: boolean }> {
    const text = await c.req.text();
    const body = parseJson(text);
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new ApiError(400, 'invalid_body', 'the request body must be a JSON object');
    }
    // An event is made of parts of the body (its own text, the envelope's context and sentAt) plus at most a
    // made-up messageId: in a body this small no event can reach the limit, so none is measured.
    const measure = Buffer.byteLength(text) + 64 > LIMITS.eventBytes;
    return { body: body as Record<string, unknown>, measure };
  }

  async function store(access: SiteAccess, checked: Checked[]): Promise<EventResult[]> {
    // Billing events move stages and revenue: only a server holding the secret key may send them.
    for (let i = 0; i < checked.length; i++) {
      const x = checked[i];
      const error = x.ok && billingProblem(x.event.raw, access.secret);
      if (x.ok && error)
        checked[i] = { ok: false, error, field: error.split(':')[0], messageId: x.event.messageId };
    }
    if (deps.vet)
      for (let i = 0; i < checked.length; i++) {
        const x = checked[i];
        const error = x.ok && (await deps.vet(access.site.id, x.event.raw));
        if (x.ok && error)
          checked[i] = { ok: false, error, field: error.split(':')[0], messageId: x.event.messageId };
      }
    for (let i = 0; i < checked.length; i++) {
      const x = checked[i];
      if (!x.ok) continue;
      x.event.proof = proofOf(access, x.event.raw);
      const error = identifyProblem(access, x.event.raw, x.event.proof);
      if (error) checked[i] = { ok: false, error, field: 'context.userHash', messageId: x.event.messageId };
    }
    // Sent without the visitor's consent (`context.consent: false`, or, where the site requires consent, a page's
    // event not marked `true`): a page view is counted unless the site counts nothing, and nothing is kept.
    const consent = consentSettings(access.site.settings);
    const withoutConsent = (x: Checked) =>
      x.ok &&
      (x.event.raw.context?.consent === false ||
        (consent.required && !access.secret && x.event.raw.context?.consent !== true));
    const views =
      consent.beforeConsent === 'nothing'
        ? 0
        : checked.filter((x) => withoutConsent(x) && x.ok && x.event.type === 'page').length;
    if (views) await deps.events.countCookieless(access.site.id, views);
    const good = checked
      .filter((x): x is Extract<Checked, { ok: true }> => x.ok && !withoutConsent(x))
      .map((x) => x.event);
    const outcomes = await deps.events.submit(access.site.id, good);
    // The first page view after consent on a page that was counted without it (tp.js marks it `counted`): the
    // page is one view, so the cookieless count gives that one back. A retry (duplicate) gives back nothing.
    if (consent.beforeConsent !== 'nothing') {
      const again = good.filter(
        (e, i) =>
          e.type === 'page' &&
          e.raw.context?.consent === true &&
          (e.raw.context as { counted?: unknown }).counted === 1 &&
          outcomes[i] === 'accepted',
      ).length;
      if (again) await deps.events.countCookieless(access.site.id, -again);
    }
    let g = 0;
    return checked.map((x, index) =>
      x.ok
        ? {
            index,
            messageId: x.event.messageId,
            status: withoutConsent(x) ? ('accepted' as const) : outcomes[g++],
          }
        : {
            index,
            ...(x.messageId ? { messageId: x.messageId } : {}),
            status: 'rejected' as const,
            error: x.error,
            ...(x.field ? { field: x.field } : {}),
          },
    );
  }

  /** A page's request from a bot or headless browser: counted for the site, stored nowhere (secret key exempt). */
  async function keptApart(c: Context, access: SiteAccess, events: number): Promise<boolean> {
    if (access.secret || !isBotRequest(c.req.header('user-agent'), c.req.header('origin'))) return false;
    await deps.events.countBots(access.site.id, events);
    return true;
  }

  app.post('/batch', async function batch(c) {
    const receivedAt = Date.now();
    const { body, measure } = await readBody(c);
    const access = await authenticate(
      deps.sites,
      body,
      c.req.header('authorization'),
      c.req.header('origin'),
    );
    const envelope = v.safeParse(BatchEnvelopeSchema, body);
    if (!envelope.success) {
      const { field, message } = describeIssues(envelope.issues);
      throw new ApiError(400, 'invalid_batch', message, field);
    }
    deps.admit?.(access.site.id, envelope.output.batch.length);
    if (await keptApart(c, access, envelope.output.batch.length)) {
      const results = envelope.output.batch.map((e, index) => ({
        index,
        ...(typeof (e as { messageId?: unknown })?.messageId === 'string'
          ? { messageId: (e as { messageId: string }).messageId }
          : {}),
        status: 'accepted' as const,
      }));
      return c.json({ results, bot: true } satisfies IngestReply, 200);
    }
    const facts = requestFacts(c);
    const checked = envelope.output.batch.map((e) =>
      checkEvent(e, envelope.output, receivedAt, facts, measure),
    );
    const results = await store(access, checked);
    const reply: IngestReply = { results };
    if (envelope.output.widget && deps.widget) reply.widget = await deps.widget(access.site.id);
    if (results.length > 0 && results.every((r) => r.status === 'rejected')) {
      return c.json(
        { error: { code: 'invalid_events', message: 'every event in the batch was rejected' }, ...reply },
        400,
      );
    }
    return c.json(reply, 200);
  });

  for (const type of ['page', 'screen', 'track', 'identify', 'alias', 'group'] as const) {
    app.post(`/${type}`, async function single(c) {
      const receivedAt = Date.now();
      const { body, measure } = await readBody(c);
      const access = await authenticate(
        deps.sites,
        body,
        c.req.header('authorization'),
        c.req.header('origin'),
      );
      deps.admit?.(access.site.id, 1);
      if (await keptApart(c, access, 1))
        return c.json({ results: [{ index: 0, status: 'accepted' }], bot: true } satisfies IngestReply, 200);
      if (body.type !== undefined && body.type !== type) {
        throw new ApiError(400, 'invalid_event', `type: must be "${type}" on /v1/${type}`, 'type');
      }
      const checked = checkEvent({ ...body, type }, {}, receivedAt, requestFacts(c), measure);
      if (!checked.ok) throw new ApiError(400, 'invalid_event', checked.error, checked.field);
      const billing = billingProblem(checked.event.raw, access.secret);
      if (billing) throw new ApiError(400, 'invalid_event', billing, billing.split(':')[0]);
      const unproven = identifyProblem(access, checked.event.raw, proofOf(access, checked.event.raw));
      if (unproven) throw new ApiError(400, 'invalid_event', unproven, 'context.userHash');
      const results = await store(access, [checked]);
      return c.json({ results } satisfies IngestReply, 200);
    });
  }

  return app;
}
