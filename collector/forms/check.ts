// Ingest's check of a `Form Submitted` event that names a Touchpoint form: its fields must pass the same
// schema the widget validated with. Forms are cached briefly so ingest does not read them per event.
import * as v from 'valibot';
import { EVENTS, type FormDefinition, formValuesSchema, type WireEvent } from '../../wire.ts';
import type { Db } from '../db/client.ts';
import { getForm } from './store.ts';

const TTL_MS = 5_000;

type Entry = { schema: ReturnType<typeof formValuesSchema> | null; until: number };

/** Returns the rejection message naming the field, or null when the event is fine (or names no known form). */
export function formSubmissionCheck(db: Db) {
  const cache = new Map<string, Entry>();
  async function schemaOf(siteId: string, formId: string) {
    const key = `${siteId}\u0000${formId}`;
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.schema;
    const form: FormDefinition | null = await getForm(db, siteId, formId);
    const schema = form ? formValuesSchema(form) : null;
    if (cache.size > 5_000) cache.clear();
    cache.set(key, { schema, until: Date.now() + TTL_MS });
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
