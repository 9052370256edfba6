// Lead form routes: the authenticated CRUD under /api/sites/:siteId/forms, and the widget's public read
// GET /v1/forms/:formId?key=SITE_KEY.
import { Hono } from 'hono';
import * as v from 'valibot';
import { type FormDefinition, FormInputSchema } from '../../wire.ts';
import { type AuthVars, requireAdmin } from '../admin/auth.ts';
import { readJson } from '../http/body.ts';
import { ApiError } from '../http/errors.ts';
import { siteForKey, widgetCors } from '../http/site-key.ts';
import { describeIssues } from '../ingest/routes.ts';
import type { Store } from '../store/types.ts';

async function readForm(c: { req: { text(): Promise<string> } }) {
  const parsed = v.safeParse(FormInputSchema, await readJson(c.req));
  if (!parsed.success) {
    const { field, message } = describeIssues(parsed.issues);
    throw new ApiError(400, 'invalid_form', message, field);
  }
  return parsed.output;
}

const notFound = () => new ApiError(404, 'not_found', 'no such form');

/** Mounted at /api/sites/:siteId/forms. */
export function formAdminRoutes(store: Store): Hono<AuthVars> {
  const { forms } = store;
  const app = new Hono<AuthVars>();
  app.use('*', requireAdmin(store));
  app.use('*', async function knownSite(c, next) {
    if (!(await store.sites.byId(c.req.param('siteId')!)))
      throw new ApiError(404, 'not_found', 'no such site', 'siteId');
    return next();
  });
  app.get('/', async (c) => c.json({ forms: await forms.list(c.req.param('siteId')!) }));
  app.post('/', async (c) =>
    c.json({ form: await forms.create(c.req.param('siteId')!, await readForm(c)) }, 201),
  );
  app.get('/:formId', async (c) => {
    const form = await forms.get(c.req.param('siteId')!, c.req.param('formId'));
    if (!form) throw notFound();
    return c.json({ form });
  });
  app.put('/:formId', async (c) => {
    const form = await forms.update(c.req.param('siteId')!, c.req.param('formId'), await readForm(c));
    if (!form) throw notFound();
    return c.json({ form });
  });
  app.delete('/:formId', async (c) => {
    if (!(await forms.delete(c.req.param('siteId')!, c.req.param('formId')))) throw notFound();
    return c.json({ deleted: true });
  });
  return app;
}

/** Mounted at /v1/forms. */
export function formPublicRoutes(store: Store): Hono {
  const { sites } = store;
  const app = new Hono();
  app.use('*', widgetCors(sites));
  app.get('/:formId', async function publicForm(c) {
    const site = await siteForKey(sites, c.req.query('key'), c.req.header('origin'));
    const form = await store.forms.get(site.id, c.req.param('formId'));
    if (!form) throw notFound();
    const { id, name, kind, fields, submitText, successMessage } = form;
    c.header('Cache-Control', 'public, max-age=60');
    return c.json({ id, name, kind, fields, submitText, successMessage } satisfies FormDefinition);
  });
  return app;
}
