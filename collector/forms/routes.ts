// Lead form routes: the authenticated CRUD under /api/sites/:siteId/forms, and the widget's public read
// GET /v1/forms/:formId?key=SITE_KEY.
import { Hono } from 'hono';
import * as v from 'valibot';
import { type FormDefinition, FormInputSchema } from '../../wire.ts';
import { type AuthVars, requireAdmin } from '../admin/auth.ts';
import type { Db } from '../db/client.ts';
import { readJson } from '../http/body.ts';
import { ApiError } from '../http/errors.ts';
import { siteForKey, widgetCors } from '../http/site-key.ts';
import { describeIssues } from '../ingest/routes.ts';
import type { SiteCache } from '../ingest/sites.ts';
import { createForm, deleteForm, getForm, listForms, siteExists, updateForm } from './store.ts';

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
export function formAdminRoutes(db: Db): Hono<AuthVars> {
  const app = new Hono<AuthVars>();
  app.use('*', requireAdmin(db));
  app.use('*', async function knownSite(c, next) {
    if (!(await siteExists(db, c.req.param('siteId')!)))
      throw new ApiError(404, 'not_found', 'no such site', 'siteId');
    return next();
  });
  app.get('/', async (c) => c.json({ forms: await listForms(db, c.req.param('siteId')!) }));
  app.post('/', async (c) =>
    c.json({ form: await createForm(db, c.req.param('siteId')!, await readForm(c)) }, 201),
  );
  app.get('/:formId', async (c) => {
    const form = await getForm(db, c.req.param('siteId')!, c.req.param('formId'));
    if (!form) throw notFound();
    return c.json({ form });
  });
  app.put('/:formId', async (c) => {
    const form = await updateForm(db, c.req.param('siteId')!, c.req.param('formId'), await readForm(c));
    if (!form) throw notFound();
    return c.json({ form });
  });
  app.delete('/:formId', async (c) => {
    if (!(await deleteForm(db, c.req.param('siteId')!, c.req.param('formId')))) throw notFound();
    return c.json({ deleted: true });
  });
  return app;
}

/** Mounted at /v1/forms. */
export function formPublicRoutes(db: Db, sites: SiteCache): Hono {
  const app = new Hono();
  app.use('*', widgetCors(sites));
  app.get('/:formId', async function publicForm(c) {
    const site = await siteForKey(sites, c.req.query('key'), c.req.header('origin'));
    const form = await getForm(db, site.id, c.req.param('formId'));
    if (!form) throw notFound();
    const { id, name, fields, submitText, successMessage } = form;
    c.header('Cache-Control', 'public, max-age=60');
    return c.json({ id, name, fields, submitText, successMessage } satisfies FormDefinition);
  });
  return app;
}
