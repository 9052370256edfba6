// `npm run bench` (third part): what the tag costs the page that embeds it, in real Chromium, against Plausible's
// published tracker (npm @plausible-analytics/tracker, bundled into a script tag) measured in the same run.
// Each round loads the same host page once per variant, in a rotating order: no tag, Plausible, tp.js with
// chat off, tp.js with chat on. A new browser context is a new visitor (first page view); a second page in that
// context is a later page view. Main-thread script time is Chromium's own ScriptDuration metric over the page's
// life until its tag has sent its page view (and shown the launcher) and the page has been quiet for a moment.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startCollector } from '../support/collector.ts';
import { serveHostPages } from '../support/pages.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 25);
const QUIET_MS = 600;

// Plausible's tracker as a site would ship it from npm: init() bundled into one minified script. It skips
// localhost and automated browsers unless told not to, so it is told to count this page as a real one.
const plausibleJs = (
  await build({
    stdin: {
      contents: `import { init } from '@plausible-analytics/tracker';
        window.__plausible = true;
        init({ domain: 'shop.example', endpoint: document.currentScript.dataset.api + '/api/event', captureOnLocalhost: true });`,
      resolveDir: join(import.meta.dirname, '../..'),
    },
    bundle: true,
    minify: true,
    format: 'iife',
    write: false,
  })
).outputFiles[0].text;

// Plausible's script and its event endpoint, on an origin of their own (as the collector is).
let plausibleEvents = 0;
const plausible = createServer((req, res) => {
  if (req.url === '/plausible.js') {
    res.writeHead(200, { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-store' });
    return res.end(plausibleJs);
  }
  req.resume();
  req.on('end', () => {
    plausibleEvents++;
    res.writeHead(202, { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'text/plain' });
    res.end('ok');
  });
});
await new Promise<void>((r) => plausible.listen(0, '127.0.0.1', r));
const plausibleUrl = `http://127.0.0.1:${(plausible.address() as AddressInfo).port}`;

// The host: an ordinary article page, no script of its own. Its port is fixed before the sites are made.
const reserve = await serveHostPages({});
const hostPort = Number(new URL(reserve.url).port);
await reserve.close();
const collector = await startCollector({ origins: [`http://127.0.0.1:${hostPort}`] });
const chatSite = (
  await collector.api('/api/sites', {
    method: 'POST',
    body: JSON.stringify({ name: 'Chat on', origins: [`http://127.0.0.1:${hostPort}`] }),
  })
).body.site;
await collector.api(`/api/sites/${chatSite.id}/chat`, {
  method: 'PUT',
  body: JSON.stringify({ enabled: true, greeting: 'Hi!' }),
});

const article = (tag: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Spring collection</title>${tag}<style>body{font:16px/1.5 system-ui;margin:2rem auto;max-width:40rem}</style></head><body>
<h1>Spring collection</h1>${'<p>Linen shirts, canvas shoes and a new range of bags, made to last and priced fairly. <a href="/next">Read on</a></p>'.repeat(20)}
<form><label>Email <input name="email" type="email"></label><button>Subscribe</button></form></body></html>`;

type Variant = 'no tag' | 'Plausible' | 'tp.js, chat off' | 'tp.js, chat on';
const VARIANTS: Variant[] = ['no tag', 'Plausible', 'tp.js, chat off', 'tp.js, chat on'];
const tags: Record<Variant, string> = {
  'no tag': '',
  Plausible: `<script async src="${plausibleUrl}/plausible.js" data-api="${plausibleUrl}"></script>`,
  'tp.js, chat off': `<script async src="${collector.url}/tp.js" data-site="${collector.site.siteKey}"></script>`,
  'tp.js, chat on': `<script async src="${collector.url}/tp.js" data-site="${chatSite.siteKey}"></script>`,
};
const pages: Record<string, string> = {};
VARIANTS.forEach((v, i) => {
  pages[`/v${i}`] = article(tags[v]); // the query is not part of the path the server matches
  pages[`/v${i}/next`] = article(tags[v]);
});
const host = await serveHostPages(pages, hostPort);

interface Sample {
  script: number;
  shift: number;
}

/** Loads one page of the variant and waits until its tag is done; the page's script time and layout shift. */
async function load(page: Page, v: Variant, path: string): Promise<Sample> {
  const cdp = await page.context().newCDPSession(page);
  // wall time: a synchronous call into the browser (a cookie read, opening localStorage) blocks the page
  // as long as it waits, whether or not the CPU is busy
  await cdp.send('Performance.enable');
  const before = await scriptSeconds(cdp);
  const sent =
    v === 'no tag'
      ? Promise.resolve()
      : page.waitForRequest((r) => /\/v1\/batch$|\/api\/event$/.test(r.url()), { timeout: 10_000 });
  await page.goto(host.url + path, { waitUntil: 'load' });
  await sent;
  await page.waitForTimeout(QUIET_MS);
  const script = (await scriptSeconds(cdp)) - before;
  // checked after the reading: polling for it runs script in the page
  if (v === 'tp.js, chat on') await page.waitForSelector('tp-chat', { state: 'attached' });
  const shift = await page.evaluate(() => (window as any).__shift as number);
  await cdp.detach();
  return { script: script * 1000, shift };
}

async function scriptSeconds(cdp: Awaited<ReturnType<BrowserContext['newCDPSession']>>) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'ScriptDuration')!.value;
}

async function round(browser: Browser, v: Variant, i: number) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(() => {
    const w = window as any;
    w.__shift = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as any[]) if (!e.hadRecentInput) w.__shift += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  const page = await context.newPage();
  // a visitor arriving from a campaign, as the first touch the tag exists to keep
  const first = await load(page, v, `/v${i}?utm_source=newsletter&utm_medium=email&utm_campaign=spring`);
  const later = await load(page, v, `/v${i}/next`);
  await context.close();
  return { first, later };
}

const browser = await launchBrowser();
const results = new Map<Variant, { first: Sample[]; later: Sample[] }>(
  VARIANTS.map((v) => [v, { first: [], later: [] }]),
);
// one warm-up round, not counted: the first loads of each script pay for the HTTP cache and code cache misses
for (let i = 0; i < VARIANTS.length; i++) await round(browser, VARIANTS[i], i);
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < VARIANTS.length; k++) {
    const i = (r + k) % VARIANTS.length;
    const s = await round(browser, VARIANTS[i], i);
    results.get(VARIANTS[i])!.first.push(s.first);
    results.get(VARIANTS[i])!.later.push(s.later);
  }
}
await browser.close();
await host.close();
await collector.close();
plausible.close();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;
const page = new Map(VARIANTS.map((v) => [v, results.get(v)!]));
const none = { first: median(page.get('no tag')!.first.map((s) => s.script)), later: 0 };
none.later = median(page.get('no tag')!.later.map((s) => s.script));
const cost = (v: Variant, which: 'first' | 'later') =>
  Math.max(0, median(page.get(v)![which].map((s) => s.script)) - none[which]);

console.log(
  `\nTag cost to the host page: Chromium, ${ROUNDS} interleaved rounds, median main-thread script time`,
);
console.log(
  `(the page's own script time without a tag, ${ms(none.first)} first / ${ms(none.later)} later, taken off)\n`,
);
console.log(
  'variant'.padEnd(18),
  'first page view'.padStart(16),
  'later page view'.padStart(16),
  'layout shift'.padStart(14),
);
for (const v of VARIANTS.slice(1)) {
  const shift = Math.max(
    ...page.get(v)!.first.map((s) => s.shift),
    ...page.get(v)!.later.map((s) => s.shift),
  );
  console.log(
    v.padEnd(18),
    ms(cost(v, 'first')).padStart(16),
    ms(cost(v, 'later')).padStart(16),
    shift.toFixed(4).padStart(14),
  );
}
const base = { first: cost('Plausible', 'first'), later: cost('Plausible', 'later') };
let missed = 0;
for (const v of ['tp.js, chat off', 'tp.js, chat on'] as Variant[]) {
  const f = cost(v, 'first') / base.first;
  const l = cost(v, 'later') / base.later;
  const shift = Math.max(
    ...page.get(v)!.first.map((s) => s.shift),
    ...page.get(v)!.later.map((s) => s.shift),
  );
  const ok = f <= 1 && l < 1 && shift === 0;
  if (!ok) missed++;
  console.log(
    `${v}: first page view ${f.toFixed(2)}× Plausible's (target ≤ 1.0), later ${l.toFixed(2)}× (target < 1.0), ` +
      `layout shift ${shift} (target 0) ${ok ? 'ok' : 'MISSED'}`,
  );
}
console.log(`(Plausible's page views received: ${plausibleEvents})`);
process.exitCode = missed ? 1 : 0;
