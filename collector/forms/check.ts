// Ingest's check of a `Form Submitted` event that names a Touchpoint form: its fields must pass the same
// schema the widget validated with. Forms come from the store's per-process cache, so ingest does not read
// them per event; each form's schema is built once per version of it.
import * as v from 'valibot';
import { EVENTS, formValuesSchema, type WireEvent } from '../../wire.ts';
import type { FormStore, StoredForm } from '../store/types.ts';

/** Returns the rejection message naming the field, or null when the event is fine (or names no known form). */
export function formSubmissionCheck(forms: Pick<FormStore, 'cached'>) {
  const schemas = new WeakMap<StoredForm, ReturnType<typeof formValuesSchema>>();
  async function schemaOf(siteId: string, formId: string) {
    const form = await forms.cached(siteId, formId);
    if (!form) return null;
    let schema = schemas.get(form);
    if (!schema) schemas.set(form, (schema = formValuesSchema(form)));
    return schema;
  }
  return async function checkFormSubmission(siteId: string, e: WireEvent): Promise<string | null> {
    const formId = e.properties?.formId;
    if (e.type !== 'track' || e.event !== EVENTS.form || typeof formId !== 'string') return null;
    const schema = await schemaOf(siteId, formId);
    if (!schema) return null;
    const fields = e.properties?.fields;
    const parsed = v.safeParse(schema, fields && typeof fields === 'object' ? fields : {});
    if (parsed.success) return null;
    const issue = parsed.issues[0];
    const path = ['properties', 'fields', ...(issue.path ?? []).map((p) => String(p.key))].join('.');
    return `${path}: ${issue.message}`;
  };
}
