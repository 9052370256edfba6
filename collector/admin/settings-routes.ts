// Settings through the admin API: a site's lifecycle and identity rules (the `sites.settings` JSON that
// identity/rules.ts reads), creating a site and changing its name and origins, users, and API tokens.
// Mounted inside the authenticated part of admin/routes.ts, so every route here needs a session or a token.
import { jsonBody } from '../http/body.ts';
import { Hono } from 'hono';
import * as v from 'valibot';
import type {
  SiteCreatedReply,
  SiteRuleSettings,
  SiteSettingsReply,
  SiteSummary,
  TokenCreatedReply,
  TokenSummary,
  UserSummary,
} from '../../wire.ts';
import { COOKIE_DAYS, DEFAULT_CONSENT } from '../../wire.ts';
import { ApiError } from '../http/errors.ts';
import {
  DEFAULT_ATTRIBUTION_WINDOW_DAYS,
  DEFAULT_BLOCKED_VALUES,
  DEFAULT_REFERRAL_DAILY_LIMIT,
  DEFAULT_SCORE,
  consentSettings,
  identitySettings,
  RETENTION_DAYS,
  retentionDays,
} from '../identity/rules.ts';
import type { Site, Store, TokenRow } from '../store/types.ts';
import { DEFAULT_TIME_ZONE, isTimeZone, siteTimeZone } from '../reports/zone.ts';
import { normaliseOrigin } from './origins.ts';
import { adminOnly, type AuthVars } from './auth.ts';

const DEFAULT_SHARED_LIMIT = 3;

const whole = (field: string, min: number, max: number) =>
  v.pipe(
    v.number(`${field} must be a number`),
    v.integer(`${field} must be a whole number`),
    v.minValue(min, `${field} must be at least ${min}`),
    v.maxValue(max, `${field} must be at most ${max}`),
  );

const SettingsSchema = v.object({
  score: v.optional(
    v.object({
      threshold: v.optional(whole('threshold', 1, 10_000)),
      pricingView: v.optional(whole('pricingView', 0, 1000)),
      session: v.optional(whole('session', 0, 1000)),
      chat: v.optional(whole('chat', 0, 1000)),
      forms: v.optional(
        v.pipe(
          v.record(
            v.pipe(
              v.string(),
              v.regex(/^[a-z0-9_-]{1,40}$/i, 'a form kind is 1 to 40 letters, digits, _ or -'),
              v.toLowerCase(),
            ),
            whole('a form weight', 0, 1000),
            'forms must map form kinds to weights',
          ),
          v.check((f) => Object.keys(f).length <= 50, 'forms has at most 50 kinds'),
        ),
      ),
    }),
  ),
  identity: v.optional(
    v.object({
      blockedValues: v.optional(
        v.pipe(
          v.array(
            v.pipe(
              v.string('a blocked value must be a string'),
              v.trim(),
              v.toLowerCase(),
              v.minLength(1, 'a blocked value cannot be empty'),
              v.maxLength(200, 'a blocked value is at most 200 characters'),
            ),
            'blockedValues must be a list of strings',
          ),
          v.maxLength(500, 'blockedValues has at most 500 values'),
        ),
      ),
      sharedLimit: v.optional(whole('sharedLimit', 1, 1000)),
      requireVerifiedIdentify: v.optional(v.boolean('requireVerifiedIdentify must be true or false')),
      attributionWindowDays: v.optional(whole('attributionWindowDays', 1, 3650)),
      referralDailyLimit: v.optional(whole('referralDailyLimit', 1, 10000)),
    }),
  ),
  reports: v.optional(
    v.object({
      timeZone: v.optional(
        v.pipe(
          v.string('timeZone must be a string'),
          v.trim(),
          v.check(
            (z: string) => isTimeZone(z),
            'timeZone must be an IANA time zone name, such as Europe/Paris or UTC',
          ),
        ),
      ),
    }),
  ),
  // Consent: what the tag keeps on the device and what the collector keeps from pages without consent.
  consent: v.optional(
    v.object({
      required: v.optional(v.boolean('consent.required must be true or false')),
      beforeConsent: v.optional(
        v.picklist(['cookieless', 'nothing'], 'consent.beforeConsent must be "cookieless" or "nothing"'),
      ),
      respectDnt: v.optional(v.boolean('consent.respectDnt must be true or false')),
      cookieDays: v.optional(whole('cookieDays', COOKIE_DAYS.min, COOKIE_DAYS.max)),
    }),
  ),
  // Retention: raw events older than this are purged (store.privacy.purge); null keeps them forever.
  privacy: v.optional(
    v.object({
      retentionDays: v.optional(v.nullable(whole('retentionDays', RETENTION_DAYS.min, RETENTION_DAYS.max))),
    }),
  ),
});

/** An http(s) origin as the browser sends it: scheme, host and port, no path, query or credentials. */
function isOrigin(input: string): boolean {
  try {
    const url = new URL(input);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      !url.username &&
      !url.password &&
      url.pathname === '/' &&
      !url.search &&
      !url.hash &&
      !input.endsWith('?') &&
      !input.endsWith('#')
    );
  } catch {
    return false;
  }
}

const OriginsSchema = v.pipe(
  v.array(
    v.pipe(
      v.string('an origin must be a string'),
      v.trim(),
      v.check(isOrigin, 'must be an http(s) origin such as https://www.example.com, without a path'),
      v.transform((o) => normaliseOrigin(o)!),
    ),
    'origins must be a list of origins',
  ),
  v.minLength(1, 'origins needs at least one origin'),
  v.maxLength(50, 'origins has at most 50 origins'),
  v.transform((list) => [...new Set(list)]),
);
const SiteName = v.pipe(
  v.string('name is required'),
  v.trim(),
  v.minLength(1, 'name is required'),
  v.maxLength(200, 'name is at most 200 characters'),
);
const CreateSiteSchema = v.object({ name: SiteName, origins: OriginsSchema });
const PatchSiteSchema = v.pipe(
  v.object({ name: v.optional(SiteName), origins: v.optional(OriginsSchema) }),
  v.check((p) => p.name !== undefined || p.origins !== undefined, 'send a name, origins or both'),
);

const UserSchema = v.object({
  email: v.pipe(
    v.string('email is required'),
    v.trim(),
    v.maxLength(254, 'email is at most 254 characters'),
    v.email('email must be an email address'),
  ),
  password: v.pipe(
    v.string('password is required'),
    v.minLength(10, 'password must have at least 10 characters'),
    v.maxLength(1024, 'password is at most 1024 characters'),
  ),
  /** A new user is a member unless made an admin. */
  role: v.optional(v.picklist(['admin', 'member'], 'role must be admin or member'), 'member'),
});

const RoleSchema = v.object({ role: v.picklist(['admin', 'member'], 'role must be admin or member') });
const TokenSchema = v.object({
  name: v.pipe(
    v.string('name is required'),
    v.trim(),
    v.minLength(1, 'name is required'),
    v.maxLength(100, 'name is at most 100 characters'),
  ),
});

const record = (x: unknown): Record<string, unknown> =>
  x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : {};

/** The editable rules as they apply now: the stored values over the defaults. */
function ruleSettings(site: Site): SiteSettingsReply {
  const applied = identitySettings(site.origins, site.settings);
  const identity = record(site.settings.identity);
  const extra = Array.isArray(identity.blockedValues)
    ? identity.blockedValues
        .filter((s): s is string => typeof s === 'string')
        .map((s) => s.trim().toLowerCase())
    : [];
  const settings: SiteRuleSettings = {
    score: { ...applied.score, forms: { ...applied.score.forms } },
    identity: {
      blockedValues: extra,
      sharedLimit: applied.sharedLimit,
      requireVerifiedIdentify: applied.requireVerifiedIdentify,
      attributionWindowDays: applied.attributionWindowDays,
      referralDailyLimit: applied.referralDailyLimit,
    },
    reports: { timeZone: siteTimeZone(site.settings) },
    consent: consentSettings(site.settings),
    // Shown once the site has privacy settings (null: raw events are kept forever).
    ...(site.settings.privacy ? { privacy: { retentionDays: retentionDays(site.settings) } } : {}),
  };
  return {
    settings,
    defaults: {
      score: { ...DEFAULT_SCORE, forms: { ...DEFAULT_SCORE.forms } },
      identity: {
        blockedValues: [],
        sharedLimit: DEFAULT_SHARED_LIMIT,
        requireVerifiedIdentify: false,
        attributionWindowDays: DEFAULT_ATTRIBUTION_WINDOW_DAYS,
        referralDailyLimit: DEFAULT_REFERRAL_DAILY_LIMIT,
      },
      reports: { timeZone: DEFAULT_TIME_ZONE },
      consent: { ...DEFAULT_CONSENT },
      privacy: { retentionDays: null },
      builtInBlockedValues: identity.replaceDefaults === true ? [] : DEFAULT_BLOCKED_VALUES.filter(Boolean),
    },
  };
}

async function siteOr404(store: Store, id: string): Promise<Site> {
  const site = await store.sites.byId(id);
  if (!site) throw new ApiError(404, 'not_found', 'no site with this id', 'id');
  return site;
}

async function summaryOf(store: Store, id: string): Promise<SiteSummary> {
  return (await store.sites.summaries()).find((s) => s.id === id)!;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function settingsRoutes(store: Store): Hono<AuthVars> {
  const app = new Hono<AuthVars>();

  // ---- Sites ----

  app.post('/sites', adminOnly, async function addSite(c) {
    const body = await jsonBody(c.req, CreateSiteSchema);
    const { site, secretKey } = await store.sites.create(body.name, body.origins);
    const reply: SiteCreatedReply = {
      site: await summaryOf(store, site.id),
      secretKey,
      identitySecret: site.identitySecret,
    };
    return c.json(reply, 201);
  });

  app.patch('/sites/:id', adminOnly, async function changeSite(c) {
    const body = await jsonBody(c.req, PatchSiteSchema);
    const id = c.req.param('id');
    if (!(await store.sites.update(id, body)))
      throw new ApiError(404, 'not_found', 'no site with this id', 'id');
    // Origins decide which pages may send and which domains count as the site's own: apply them at once.
    return c.json({ site: await summaryOf(store, id) });
  });

  app.get('/sites/:id/settings', async (c) =>
    c.json(ruleSettings(await siteOr404(store, c.req.param('id')))),
  );

  app.put('/sites/:id/settings', adminOnly, async function saveSettings(c) {
    const site = await siteOr404(store, c.req.param('id'));
    const body = await jsonBody(c.req, SettingsSchema);
    // Other keys of the JSON (role mailboxes, own domains, the shared window) are kept as they are.
    const stored = { ...site.settings };
    if (body.score) {
      const score = { ...record(stored.score) };
      for (const [k, value] of Object.entries(body.score)) if (value !== undefined) score[k] = value;
      stored.score = score;
    }
    if (body.identity) {
      const identity = { ...record(stored.identity) };
      if (body.identity.blockedValues) identity.blockedValues = [...new Set(body.identity.blockedValues)];
      if (body.identity.sharedLimit !== undefined) identity.sharedLimit = body.identity.sharedLimit;
      if (body.identity.requireVerifiedIdentify !== undefined)
        identity.requireVerifiedIdentify = body.identity.requireVerifiedIdentify;
      if (body.identity.attributionWindowDays !== undefined)
        identity.attributionWindowDays = body.identity.attributionWindowDays;
      if (body.identity.referralDailyLimit !== undefined)
        identity.referralDailyLimit = body.identity.referralDailyLimit;
      stored.identity = identity;
    }
    if (body.reports?.timeZone !== undefined)
      stored.reports = { ...record(stored.reports), timeZone: body.reports.timeZone };
    if (body.consent) {
      const consent = { ...record(stored.consent) };
      for (const [k, value] of Object.entries(body.consent)) if (value !== undefined) consent[k] = value;
      stored.consent = consent;
    }
    if (body.privacy?.retentionDays !== undefined)
      stored.privacy = { ...record(stored.privacy), retentionDays: body.privacy.retentionDays };
    await store.sites.setSettings(site.id, stored);
    // The next event stitched for this site reads the new rules; events already folded keep theirs.
    return c.json(ruleSettings({ ...site, settings: stored }));
  });

  // ---- Users ----

  app.get('/users', async function users(c) {
    const list: UserSummary[] = (await store.accounts.listUsers()).map((u) => ({
      id: u.id,
      email: u.email,
      role: u.role,
      createdAt: iso(u.createdAt),
    }));
    return c.json({ users: list });
  });

  app.post('/users', adminOnly, async function addUser(c) {
    const body = await jsonBody(c.req, UserSchema);
    if (await store.accounts.findUserByEmail(body.email)) {
      throw new ApiError(409, 'email_taken', 'a user with this email already exists', 'email');
    }
    const user = await store.accounts
      .createUser(body.email, body.password, body.role)
      .catch((err: unknown) => {
        if (String(err).includes('UNIQUE')) {
          throw new ApiError(409, 'email_taken', 'a user with this email already exists', 'email');
        }
        throw err;
      });
    const reply: UserSummary = { ...user, createdAt: iso(Date.now()) };
    return c.json({ user: reply }, 201);
  });

  app.delete('/users/:id', adminOnly, async function removeUser(c) {
    const id = c.req.param('id');
    if (c.get('user')?.id === id) {
      throw new ApiError(409, 'cannot_remove_self', 'you cannot remove yourself; ask another user', 'id');
    }
    const result = await store.accounts.deleteUser(id);
    if (result === 'missing') throw new ApiError(404, 'not_found', 'no user with this id', 'id');
    if (result === 'last') {
      throw new ApiError(
        409,
        'last_user',
        'the last user, or the last admin, cannot be removed: nobody could manage users',
        'id',
      );
    }
    return c.json({ deleted: true });
  });

  app.patch('/users/:id', adminOnly, async function changeRole(c) {
    const { role } = await jsonBody(c.req, RoleSchema);
    const result = await store.accounts.setRole(c.req.param('id'), role);
    if (result === 'missing') throw new ApiError(404, 'not_found', 'no user with this id', 'id');
    if (result === 'last')
      throw new ApiError(409, 'last_admin', 'the last admin cannot become a member', 'role');
    const user = (await store.accounts.listUsers()).find((u) => u.id === c.req.param('id'))!;
    const reply: UserSummary = {
      id: user.id,
      email: user.email,
      role: user.role,
      createdAt: iso(user.createdAt),
    };
    return c.json({ user: reply });
  });

  // ---- API tokens ----

  const tokenSummary = (t: TokenRow): TokenSummary => ({
    id: t.id,
    name: t.name,
    createdAt: iso(t.createdAt),
    lastUsedAt: t.lastUsedAt === null ? null : iso(t.lastUsedAt),
  });

  app.get('/tokens', adminOnly, async (c) =>
    c.json({ tokens: (await store.accounts.listTokens()).map(tokenSummary) }),
  );

  app.post('/tokens', adminOnly, async function addToken(c) {
    const { name } = await jsonBody(c.req, TokenSchema);
    const { id, token } = await store.accounts.createToken(name);
    const created = (await store.accounts.listTokens()).find((t) => t.id === id)!;
    const reply: TokenCreatedReply = { token: tokenSummary(created), secret: token };
    return c.json(reply, 201);
  });

  app.delete('/tokens/:id', adminOnly, async function revokeToken(c) {
    if (!(await store.accounts.deleteToken(c.req.param('id')))) {
      throw new ApiError(404, 'not_found', 'no API token with this id', 'id');
    }
    return c.json({ deleted: true });
  });

  return app;
}
