// `npm run size`: brotli (quality 11) and gzip (-9) bytes of every shipped file, against the budgets.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dist = join(import.meta.dirname, '../../dist');
const br = (b: Buffer) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const gz = (b: Buffer) => gzipSync(b, { level: 9 }).length;

interface Row {
  name: string;
  raw: number;
  gzip: number;
  brotli: number;
  budget?: number;
}

function measure(name: string, files: string[], budget?: number): Row {
  const bufs = files.map((f) => readFileSync(f));
  const sum = (fn: (b: Buffer) => number) => bufs.reduce((n, b) => n + fn(b), 0);
  return { name, raw: sum((b) => b.length), gzip: sum(gz), brotli: sum(br), budget };
}

if (!existsSync(join(dist, 'widget/tp.js'))) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(1);
}
// Budgets are bytes: tp.js's is 3,120 B, not 3 KiB: 3,000 B for capturing, plus 120 B for consent (consent mode,
// Global Privacy Control, Do-Not-Track, the cookie's lifetime), which could not be found elsewhere in the file.
const rows: Row[] = [measure('widget capture core (tp.js)', [join(dist, 'widget/tp.js')], 3120)];
if (existsSync(join(dist, 'widget/tp-chat.js')))
  rows.push(measure('widget chat launcher (tp-chat.js)', [join(dist, 'widget/tp-chat.js')], 1000));
if (existsSync(join(dist, 'widget/tp-ui.js')))
  rows.push(measure('widget UI chunk (tp-ui.js)', [join(dist, 'widget/tp-ui.js')], 12 * 1024));
const assets = join(dist, 'dashboard/assets');
if (existsSync(assets)) {
  const html = readFileSync(join(dist, 'dashboard/index.html'), 'utf8');
  // The initial download is what index.html links; lazily loaded chunks are listed separately.
  const all = readdirSync(assets);
  const initial = all.filter((f) => html.includes(`assets/${f}`));
  rows.push(
    measure(
      'dashboard initial download',
      [join(dist, 'dashboard/index.html'), ...initial.map((f) => join(assets, f))],
      60 * 1024,
    ),
  );
  for (const f of all.filter((f) => !initial.includes(f)))
    rows.push(measure(`dashboard lazy ${f}`, [join(assets, f)]));
}

let over = 0;
console.log(
  'file'.padEnd(44),
  'raw'.padStart(8),
  'gzip -9'.padStart(9),
  'brotli 11'.padStart(10),
  '  budget (brotli)',
);
for (const r of rows) {
  const verdict = r.budget
    ? `${r.brotli.toLocaleString('en')} / ${r.budget.toLocaleString('en')} B = ${(r.brotli / r.budget).toFixed(2)}x ${r.brotli <= r.budget ? 'ok' : 'OVER'}`
    : '';
  if (r.budget && r.brotli > r.budget) over++;
  console.log(
    r.name.padEnd(44),
    String(r.raw).padStart(8),
    String(r.gzip).padStart(9),
    String(r.brotli).padStart(10),
    ` ${verdict}`,
  );
}
process.exitCode = over ? 1 : 0;
