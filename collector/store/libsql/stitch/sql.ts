// Small SQL helpers of the stitching code: fixed-size chunks, placeholders, and set-wise selects.
import type { Transaction } from '@libsql/client';

export type Arg = string | number | null;
export type Exec = Pick<Transaction, 'execute'>;

export const CHUNK = 100;
export function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
export const qs = (n: number) => Array(n).fill('?').join(', ');
export function rowsOf(n: number, cols: number): string {
  const row = `(${qs(cols)})`;
  return Array(n).fill(row).join(', ');
}

export async function selectIn(
  tx: Exec,
  sql: (marks: string) => string,
  head: Arg[],
  values: Arg[],
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const part of chunks(values, 500)) {
    const rs = await tx.execute({ sql: sql(qs(part.length)), args: [...head, ...part] });
    for (const r of rs.rows) out.push(r as Record<string, unknown>);
  }
  return out;
}
