// Lead form routes: admin CRUD, the widget's public read, and ingest checking a submission against its form.
import { afterEach, beforeEach, expect, test } from 'vitest';
import { formValuesSchema } from '../../wire.ts';
import * as v from 'valibot';
import { type Harness, harness, ORIGIN } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(() => h.close());

export const LEAD_FORM = {
  name: 'Demo request',
  fields: [
    { name: 'email', type: 'email', label: 'Work email', required: true },
    { name: 'name', type: 'name', label: 'Name' },
    { name: 'phone', type: 'phone', label: 'Phone' },
    { name: 'company', type: 'company', label: 'Company' },
    { name: 'size', type: 'select', label: 'Team size', options: ['1-10', '11-50', '51+'], required: true },
    { name: 'message', type: 'message', label: 'Message' },
    { name: 'consent', type: 'consent', label: 'I agree to be contacted', required: true },
    { name: 'ref', type: 'text', label: 'How did you hear about us?' },
  ],
  submitText: 'Book a demo',
  successMessage: 'Thanks, talk soon!',
};

const formsPath = () => `/api/sites/${h.site.id}/forms`;

test('CRUD: create, list, read, replace, delete; bad definitions name the field', async () => {
  const created = await h.api(formsPath(), { method: 'POST', body: JSON.stringify(LEAD_FORM) });
  expect(created.status).toBe(201);
  const id = created.body.form.id;
  expect(created.body.form).toMatchObject({
    name: 'Demo request',
    submitText: 'Book a demo',
    kind: 'contact',
  });
  expect((await h.api(formsPath())).body.forms).toHaveLength(1);
  const put = await h.api(`${formsPath()}/${id}`, {
    method: 'PUT',
    body: JSON.stringify({ ...LEAD_FORM, name: 'Renamed', submitText: undefined }),
  });
  expect(put.body.form).toMatchObject({ name: 'Renamed', submitText: 'Send' });
  const bad = await h.api(formsPath(), {
    method: 'POST',
    body: JSON.stringify({ ...LEAD_FORM, fields: [{ name: 'x', type: 'colour', label: 'X' }] }),
  });
  expect(bad.status).toBe(400);
  expect(bad.body.error.field).toBe('fields.0.type');
  const noOptions = await h.api(formsPath(), {
    method: 'POST',
    body: JSON.stringify({ name: 'S', fields: [{ name: 's', type: 'select', label: 'S' }] }),
  });
  expect(noOptions.body.error.message).toContain('select needs options');
  const badKind = await h.api(formsPath(), {
    method: 'POST',
    body: JSON.stringify({ ...LEAD_FORM, kind: 'webinar' }),
  });
  expect(badKind.status).toBe(400);
  expect(badKind.body.error.field).toBe('kind');
  expect((await h.api(`${formsPath()}/${id}`, { method: 'DELETE' })).status).toBe(200);
  expect((await h.api(`${formsPath()}/${id}`)).status).toBe(404);
  expect((await h.api('/api/sites/nope/forms')).status).toBe(404);
  expect((await h.app.request(formsPath())).status).toBe(401);
});

test('public read with the site key and CORS for the site origin', async () => {
  const id = (
    await h.api(formsPath(), { method: 'POST', body: JSON.stringify({ ...LEAD_FORM, kind: 'demo' }) })
  ).body.form.id;
  const res = await h.app.request(`/v1/forms/${id}?key=${h.site.siteKey}`, { headers: { Origin: ORIGIN } });
  expect(res.status).toBe(200);
  expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  const form = await res.json();
  // The widget sends the kind with each submission, and the lead score weighs it (demo: 40 by default).
  expect(form).toMatchObject({
    id,
    name: 'Demo request',
    kind: 'demo',
    successMessage: 'Thanks, talk soon!',
  });
  expect(form.fields).toHaveLength(8);
  const other = await h.app.request(`/v1/forms/${id}?key=${h.site.siteKey}`, {
    headers: { Origin: 'https://evil.example' },
  });
  expect(other.status).toBe(403);
  expect((await h.app.request(`/v1/forms/${id}?key=pk_nope`)).status).toBe(401);
  expect((await h.app.request(`/v1/forms/f_missing?key=${h.site.siteKey}`)).status).toBe(404);
});

test('the shared schema: required, email, select, consent, optional empty', () => {
  const schema = formValuesSchema(LEAD_FORM as any);
  const ok = v.safeParse(schema, { email: 'a@b.co', size: '1-10', consent: 'yes', phone: '' });
  expect(ok.success).toBe(true);
  const bad = (x: object) => {
    const r = v.safeParse(schema, { email: 'a@b.co', size: '1-10', consent: 'yes', ...x });
    return r.success ? null : `${r.issues[0].path?.map((p) => p.key).join('.')}: ${r.issues[0].message}`;
  };
  expect(bad({ email: 'nope' })).toBe('email: Enter a valid email address');
  expect(bad({ email: '' })).toBe('email: Work email is required');
  expect(bad({ size: '2' })).toContain('size: Choose one of the options');
  expect(bad({ consent: '' })).toBe('consent: I agree to be contacted is required');
  expect(bad({ phone: 'call me' })).toBe('phone: Enter a valid phone number');
});

test('ingest rejects a submission that breaks its form, naming the field; accepts a good one', async () => {
  const id = (await h.api(formsPath(), { method: 'POST', body: JSON.stringify(LEAD_FORM) })).body.form.id;
  const ev = (fields: object, n: string) => ({
    type: 'track',
    event: 'Form Submitted',
    messageId: `form-${n}`,
    anonymousId: 'anon-f',
    properties: { formId: id, formName: 'Demo request', fields, email: (fields as any).email },
  });
  const res = await h.post(
    '/v1/batch',
    {
      writeKey: h.site.siteKey,
      batch: [
        ev({ email: 'bad', size: '1-10', consent: 'yes' }, '1'),
        ev({ email: 'lead@acme.example', size: '11-50', consent: 'yes', name: 'Lee' }, '2'),
        { ...ev({}, '3'), properties: { formId: 'host-form-id', fields: { anything: 'x' } } },
      ],
    },
    { Origin: ORIGIN },
  );
  expect(res.status).toBe(200);
  expect(res.body.results.map((r: any) => r.status)).toEqual(['rejected', 'accepted', 'accepted']);
  expect(res.body.results[0].error).toBe('properties.fields.email: Enter a valid email address');
  const profiles = (await h.api('/api/profiles?q=lead@acme.example')).body.profiles;
  expect(profiles[0].email).toBe('lead@acme.example');
});
