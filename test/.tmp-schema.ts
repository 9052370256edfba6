import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { openStore } from '/work/main/collector/store/open.ts';
const dir = mkdtempSync(join(tmpdir(), 'tp-schema-'));
const url = `file:${join(dir, 's.db')}`;
const s = await openStore({ url });
await s.close();
const db = createClient({ url });
const rs = await db.execute(
  "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index','trigger') ORDER BY tbl_name, type",
);
for (const r of rs.rows)
  console.log(
    r.type,
    r.tbl_name,
    r.name,
    r.type === 'trigger'
      ? String(r.sql).replace(/\s+/g, ' ').slice(0, 400)
      : String(r.sql).replace(/\s+/g, ' '),
  );
