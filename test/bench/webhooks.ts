// `npm run bench` (last part): speed to lead for other tools. A collector in its own process with a webhook
// endpoint for `form.submitted`; 10 senders post form submissions (one lead each) to /v1/batch while a
// receiver on loopback takes the deliveries. It prints the p50 and p95 time from the submission's request to
// its signed delivery, beside the baseline measured in the same run: the time to the submission's own 2xx.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../collector/store/open.ts';
import { startCollectorProcess } from '../support/collector-process.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

const LEADS = Number(process.env.BENCH_LEADS ?? 300);
const SENDERS = 10;
const dir = mkdtempSync(join(tmpdir(), 'tp-bench-wh-'));
const url = `file:${join(dir, 'bench.db')}`;

const rx = await startReceiver();
const store = await openStore({ url });
const { site } = await store.sites.create('Bench', ['https://shop.example']);
await store.automations.createEndpoint(site.id, { url: `${rx.url}/hook`, events: ['form.submitted'] });
await store.close();
const collector = await startCollectorProcess({
  DATABASE_URL: url,
  TOUCHPOINT_ADMIN_EMAIL: 'bench@example.com',
  TOUCHPOINT_ADMIN_PASSWORD: 'bench password long',
  TOUCHPOINT_WEBHOOK_ALLOW_PRIVATE: '1',
});

const sentAt = new Map<string, number>();
const acked: number[] = [];
let next = 0;
await Promise.all(
  Array.from({ length: SENDERS }, async () => {
    while (next < LEADS) {
      const i = next++;
      const email = `lead${i}@bench.example`;
      const started = performance.now();
      sentAt.set(email, started);
      const res = await fetch(`${collector.url}/v1/batch`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify({
          writeKey: site.siteKey,
          batch: [
            {
              type: 'track',
              event: 'Form Submitted',
              messageId: `bench-form-${i}`,
              anonymousId: `bench-anon-${i}`,
              properties: { formId: 'contact', fields: { email } },
            },
          ],
        }),
      });
      await res.arrayBuffer();
      acked.push(performance.now() - started);
      // A lead every 20 ms per sender at most: a busy site's pace, not a flood.
      await new Promise((r) => setTimeout(r, 20));
    }
  }),
);
const hits = await rx.waitFor('/hook', LEADS, 120_000);
const delivered: number[] = [];
const seen = new Set<string>();
for (const h of hits) {
  const email = JSON.parse(h.body).data.profile.email as string;
  if (seen.has(email)) continue;
  seen.add(email);
  delivered.push(h.at - performance.timeOrigin - sentAt.get(email)!);
}
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const ms = (x: number) => `${x.toFixed(0)} ms`;
console.log(
  `webhooks: ${LEADS} form submissions, each delivered to a receiver on loopback: submission to delivery ` +
    `p50 ${ms(pct(delivered, 0.5))}, p95 ${ms(pct(delivered, 0.95))} ` +
    `(baseline, submission to its 2xx: p50 ${ms(pct(acked, 0.5))}, p95 ${ms(pct(acked, 0.95))})`,
);
collector.child.kill('SIGTERM');
await collector.exited;
await rx.close();
rmSync(dir, { recursive: true, force: true });
