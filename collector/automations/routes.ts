// The automation API, all authenticated: rules per site (with their firing log), follow-up tasks, outbound
// webhook endpoints (secret shown once, rotate, delivery log, redeliver, test event), and what is available.
import { Hono } from 'hono';
import * as v from 'valibot';
import { RuleInputSchema, TaskUpdateSchema, WebhookEndpointInputSchema } from '../../wire.ts';
import { adminOnly, type AuthVars, requireAdmin } from '../admin/auth.ts';
import { readJson } from '../http/body.ts';
import { ApiError } from '../http/errors.ts';
import { describeIssues } from '../ingest/routes.ts';
import type { Store } from '../store/types.ts';
import { refusedUrl } from './webhooks.ts';

function parse<S extends v.GenericSchema>(schema: S, body: unknown, code: string): v.InferOutput<S> {
  const parsed = v.safeParse(schema, body);
  if (!parsed.success) {
    const { field, message } = describeIssues(parsed.issues);
    throw new ApiError(400, code, message, field);
  }
  return parsed.output;
}

const missing = (what: string) => new ApiError(404, 'not_found', `no such ${what}`);

function checkUrl(url: string | undefined, allow: boolean) {
  if (url === undefined) return;
  const refused = refusedUrl(url, allow);
  if (refused) throw new ApiError(400, 'invalid_endpoint', refused, 'url');
}

export interface AutomationDeps {
  store: Store;
  /** Whether an SMTP server is configured (TOUCHPOINT_SMTP_URL): the email action is unavailable otherwise. */
  smtp: boolean;
  /** Private addresses are allowed as endpoints (TOUCHPOINT_WEBHOOK_ALLOW_PRIVATE=1). */
  allowPrivate: boolean;
}

/** Mounted at /api. */
export function automationRoutes({ store, smtp, allowPrivate }: AutomationDeps): Hono<AuthVars> {
  const { automations } = store;
  const app = new Hono<AuthVars>();
  app.use('/sites/:siteId/rules', requireAdmin(store));
  app.use('/sites/:siteId/webhooks', requireAdmin(store), adminOnly);
  app.use('/rules/*', requireAdmin(store));
  app.use('/webhooks/*', requireAdmin(store), adminOnly);
  app.use('/tasks', requireAdmin(store));
  app.use('/tasks/*', requireAdmin(store));
  app.use('/automations', requireAdmin(store));
  const knownSite = async (siteId: string) => {
    if (!(await store.sites.byId(siteId))) throw new ApiError(404, 'not_found', 'no such site', 'siteId');
    return siteId;
  };

  app.get('/automations', (c) =>
    c.json({
      email: smtp
        ? { available: true }
        : { available: false, reason: 'No SMTP server is configured (set TOUCHPOINT_SMTP_URL).' },
    }),
  );

  // ---- Rules ----
  app.get('/sites/:siteId/rules', async (c) =>
    c.json({ rules: await automations.rules(await knownSite(c.req.param('siteId'))) }),
  );
  /** An email action where no SMTP server is configured would never send: refused, naming the action. */
  const checkEmail = (input: { actions: { kind: string }[] }) => {
    const i = input.actions.findIndex((a) => a.kind === 'email_owner');
    if (i >= 0 && !smtp)
      throw new ApiError(
        400,
        'invalid_rule',
        `actions.${i}: email is unavailable: no SMTP server is configured (TOUCHPOINT_SMTP_URL)`,
        `actions.${i}`,
      );
  };
  app.post('/sites/:siteId/rules', async (c) => {
    const siteId = await knownSite(c.req.param('siteId'));
    const input = parse(RuleInputSchema, await readJson(c.req), 'invalid_rule');
    checkEmail(input);
    return c.json({ rule: await automations.createRule(siteId, input) }, 201);
  });
  app.get('/rules/:id', async (c) => {
    const rule = await automations.rule(c.req.param('id'));
    if (!rule) throw missing('rule');
    return c.json({ rule, firings: await automations.firings(rule.id) });
  });
  app.put('/rules/:id', async (c) => {
    const input = parse(RuleInputSchema, await readJson(c.req), 'invalid_rule');
    checkEmail(input);
    const rule = await automations.updateRule(c.req.param('id'), input);
    if (!rule) throw missing('rule');
    return c.json({ rule });
  });
  app.delete('/rules/:id', async (c) => {
    if (!(await automations.deleteRule(c.req.param('id')))) throw missing('rule');
    return c.json({ deleted: true });
  });

  // ---- Tasks ----
  app.get('/tasks', async (c) => {
    const status = c.req.query('status') ?? 'open';
    if (!['open', 'done', 'all'].includes(status))
      throw new ApiError(400, 'invalid_query', 'status must be open, done or all', 'status');
    const siteId = c.req.query('site') || undefined;
    const profileId = c.req.query('profile') || undefined;
    return c.json({
      tasks: await automations.tasks({ siteId, profileId, status: status as 'open' | 'done' | 'all' }),
    });
  });
  app.patch('/tasks/:id', async (c) => {
    const change = parse(TaskUpdateSchema, await readJson(c.req), 'invalid_task');
    const task = await automations.updateTask(c.req.param('id'), change, c.get('user')?.id ?? null);
    if (!task) throw missing('task');
    return c.json({ task });
  });

  // ---- Webhook endpoints ----
  app.get('/sites/:siteId/webhooks', async (c) =>
    c.json({ endpoints: await automations.endpoints(await knownSite(c.req.param('siteId'))) }),
  );
  app.post('/sites/:siteId/webhooks', async (c) => {
    const siteId = await knownSite(c.req.param('siteId'));
    const input = parse(WebhookEndpointInputSchema, await readJson(c.req), 'invalid_endpoint');
    checkUrl(input.url, allowPrivate);
    return c.json({ endpoint: await automations.createEndpoint(siteId, input) }, 201);
  });
  app.get('/webhooks/:id', async (c) => {
    const endpoint = await automations.endpoint(c.req.param('id'));
    if (!endpoint) throw missing('webhook endpoint');
    return c.json({ endpoint, deliveries: await automations.deliveries(endpoint.id) });
  });
  app.patch('/webhooks/:id', async (c) => {
    const input = parse(v.partial(WebhookEndpointInputSchema), await readJson(c.req), 'invalid_endpoint');
    checkUrl(input.url, allowPrivate);
    const endpoint = await automations.updateEndpoint(c.req.param('id'), input);
    if (!endpoint) throw missing('webhook endpoint');
    return c.json({ endpoint });
  });
  app.delete('/webhooks/:id', async (c) => {
    if (!(await automations.deleteEndpoint(c.req.param('id')))) throw missing('webhook endpoint');
    return c.json({ deleted: true });
  });
  app.post('/webhooks/:id/rotate', async (c) => {
    const endpoint = await automations.rotateSecret(c.req.param('id'));
    if (!endpoint) throw missing('webhook endpoint');
    return c.json({ endpoint });
  });
  app.post('/webhooks/:id/test', async (c) => {
    const delivery = await automations.testEvent(c.req.param('id'));
    if (!delivery) throw missing('webhook endpoint');
    return c.json({ delivery }, 201);
  });
  app.get('/webhooks/:id/deliveries', async (c) => {
    if (!(await automations.endpoint(c.req.param('id')))) throw missing('webhook endpoint');
    return c.json({ deliveries: await automations.deliveries(c.req.param('id')) });
  });
  app.post('/webhooks/deliveries/:deliveryId/redeliver', async (c) => {
    const delivery = await automations.redeliver(c.req.param('deliveryId'));
    if (!delivery) throw missing('delivery');
    return c.json({ delivery });
  });
  return app;
}
