// All SQL for lead forms, and the row ↔ FormDefinition mapping. Ingest checks form submissions against their
// form on every event, so forms are cached per process and dropped when any process changes one.
import type { Db as Client } from './client.ts';
import type { FormDefinition, FormInput } from '../../../wire.ts';
import { newId } from '../../admin/secrets.ts';
import type { FormStore, StoredForm } from '../types.ts';
import { type VersionWatch, writeChanging } from './versions.ts';
import type { Exec, WriteFn } from './writer.ts';

export const DEFAULT_SUBMIT = 'Send';
export const DEFAULT_SUCCESS = 'Thank you! We will be in touch soon.';
const TTL_MS = 60_000;

function formFromRow(row: Record<string, unknown>): StoredForm {
  const def = JSON.parse(String(row.definition)) as FormInput;
  return {
    id: String(row.id),
    siteId: String(row.site_id),
    name: String(row.name),
    kind: def.kind ?? 'contact',
    fields: def.fields as FormDefinition['fields'],
    submitText: def.submitText || DEFAULT_SUBMIT,
    successMessage: def.successMessage || DEFAULT_SUCCESS,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}

async function getForm(db: Exec, siteId: string, formId: string): Promise<StoredForm | null> {
  const rs = await db.execute({
    sql: 'SELECT * FROM forms WHERE id = ? AND site_id = ?',
    args: [formId, siteId],
  });
  return rs.rows[0] ? formFromRow(rs.rows[0]) : null;
}

export function createFormStore(
  client: Client,
  write: <T>(fn: WriteFn<T>) => Promise<T>,
  versions: VersionWatch,
): FormStore {
  const cache = new Map<string, { form: StoredForm | null; until: number }>();
  versions.on('forms', () => cache.clear());

  const changed = <T>(fn: WriteFn<T>) => writeChanging(write, versions, 'forms', fn);

  return {
    async list(siteId) {
      const rs = await client.execute({
        sql: 'SELECT * FROM forms WHERE site_id = ? ORDER BY created_at',
        args: [siteId],
      });
      return rs.rows.map(formFromRow);
    },
    get: (siteId, formId) => getForm(client, siteId, formId),
    async cached(siteId, formId) {
      const key = `${siteId}\u0000${formId}`;
      const hit = cache.get(key);
      if (hit && hit.until > Date.now()) return hit.form;
      const form = await getForm(client, siteId, formId);
      if (cache.size > 5_000) cache.clear();
      cache.set(key, { form, until: Date.now() + TTL_MS });
      return form;
    },
    create(siteId, input) {
      const id = `f_${newId(12)}`;
      const now = Date.now();
      return changed(async (tx) => {
        await tx.execute({
          sql: 'INSERT INTO forms (id, site_id, name, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
          args: [id, siteId, input.name, JSON.stringify(input), now, now],
        });
        return (await getForm(tx, siteId, id))!;
      });
    },
    update(siteId, formId, input) {
      return changed(async (tx) => {
        const rs = await tx.execute({
          sql: 'UPDATE forms SET name = ?, definition = ?, updated_at = ? WHERE id = ? AND site_id = ?',
          args: [input.name, JSON.stringify(input), Date.now(), formId, siteId],
        });
        return rs.rowsAffected ? getForm(tx, siteId, formId) : null;
      });
    },
    async delete(siteId, formId) {
      const rs = await changed((tx) =>
        tx.execute({ sql: 'DELETE FROM forms WHERE id = ? AND site_id = ?', args: [formId, siteId] }),
      );
      return rs.rowsAffected > 0;
    },
  };
}
