// All SQL for lead forms, and the row ↔ FormDefinition mapping.
import type { FormDefinition, FormInput } from '../../wire.ts';
import { newId } from '../admin/secrets.ts';
import type { Db } from '../db/client.ts';

export const DEFAULT_SUBMIT = 'Send';
export const DEFAULT_SUCCESS = 'Thank you! We will be in touch soon.';

function formFromRow(row: Record<string, unknown>): FormDefinition & { siteId: string } {
  const def = JSON.parse(String(row.definition)) as FormInput;
  return {
    id: String(row.id),
    siteId: String(row.site_id),
    name: String(row.name),
    fields: def.fields as FormDefinition['fields'],
    submitText: def.submitText || DEFAULT_SUBMIT,
    successMessage: def.successMessage || DEFAULT_SUCCESS,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}

export async function siteExists(db: Db, siteId: string): Promise<boolean> {
  const rs = await db.execute({ sql: 'SELECT 1 FROM sites WHERE id = ?', args: [siteId] });
  return rs.rows.length > 0;
}

export async function listForms(db: Db, siteId: string) {
  const rs = await db.execute({
    sql: 'SELECT * FROM forms WHERE site_id = ? ORDER BY created_at',
    args: [siteId],
  });
  return rs.rows.map(formFromRow);
}

export async function getForm(db: Db, siteId: string, formId: string) {
  const rs = await db.execute({
    sql: 'SELECT * FROM forms WHERE id = ? AND site_id = ?',
    args: [formId, siteId],
  });
  return rs.rows[0] ? formFromRow(rs.rows[0]) : null;
}

export async function createForm(db: Db, siteId: string, input: FormInput) {
  const id = `f_${newId(12)}`;
  const now = Date.now();
  await db.execute({
    sql: 'INSERT INTO forms (id, site_id, name, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    args: [id, siteId, input.name, JSON.stringify(input), now, now],
  });
  return (await getForm(db, siteId, id))!;
}

export async function updateForm(db: Db, siteId: string, formId: string, input: FormInput) {
  const rs = await db.execute({
    sql: 'UPDATE forms SET name = ?, definition = ?, updated_at = ? WHERE id = ? AND site_id = ?',
    args: [input.name, JSON.stringify(input), Date.now(), formId, siteId],
  });
  return rs.rowsAffected ? getForm(db, siteId, formId) : null;
}

export async function deleteForm(db: Db, siteId: string, formId: string): Promise<boolean> {
  const rs = await db.execute({
    sql: 'DELETE FROM forms WHERE id = ? AND site_id = ?',
    args: [formId, siteId],
  });
  return rs.rowsAffected > 0;
}
