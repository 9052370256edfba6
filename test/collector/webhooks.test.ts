// Outbound webhooks through the real interfaces: endpoints made over the admin API, events sent to /v1/batch,
// deliveries POSTed to a receiver on loopback and verified with the `standardwebhooks` package, retries on a
// shortened schedule, 410, a receiver that hangs, the delivery log, redelivery, a test event, secret rotation,
// and private addresses refused.
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookDelivery, WebhookPayload } from '../../wire.ts';
import { attempt, isPrivateAddress, nextDelayMs, sign } from '../../collector/automations/webhooks.ts';
import { startCollector, type TestCollector } from '../support/collector.ts';
import { type Received, type Receiver, startReceiver } from '../support/webhook-receiver.ts';
import { harness } from './harness.ts';

let c: TestCollector;
let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
  c = await startCollector({
    env: {
      TOUCHPOINT_WEBHOOK_ALLOW_PRIVATE: '1',
      TOUCHPOINT_WEBHOOK_SCHEDULE: '0.2,0.2,0.2',
      TOUCHPOINT_WEBHOOK_TIMEOUT_MS: '500',
      TOUCHPOINT_AUTOMATION_POLL_MS: '50',
    },
  });
});
afterAll(async () => {
  await c?.close();
  await rx?.close();
});

let n = 0;
const send = (batch: unknown[]) =>
  fetch(`${c.url}/v1/batch`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    body: JSON.stringify({ writeKey: c.site.siteKey, batch }),
  }).then((r) => expect(r.status).toBe(200));
/** A visitor from a campaign who submits a form with an email: a form submitted, and a new lead. */
const lead = (email: string) => {
  const anonymousId = `anon-wh-${++n}`;
  return [
    {
      type: 'page',
      messageId: `wh-page-${n}`,
      anonymousId,
      context: {
        page: { url: 'https://shop.example/?utm_source=news&utm_medium=email&utm_campaign=spring' },
      },
    },
    {
      type: 'track',
      event: 'Form Submitted',
      messageId: `wh-form-${n}`,
      anonymousId,
      properties: { formId: 'contact', fields: { email } },
    },
  ];
};

async function endpoint(path: string, events: string[]) {
  const res = await c.api(`/api/sites/${c.site.id}/webhooks`, {
    method: 'POST',
    body: JSON.stringify({ url: rx.url + path, events }),
  });
  expect(res.status).toBe(201);
  return res.body.endpoint as { id: string; secret: string; url: string; events: string[] };
}

/** Verifies a delivery as a receiver would, with the standardwebhooks package; returns the payload. */
function verified(r: Received, secret: string): WebhookPayload {
  const headers = {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  };
  return new Webhook(secret).verify(r.body, headers) as WebhookPayload;
}

const log = async (id: string) => (await c.api(`/api/webhooks/${id}`)).body.deliveries as WebhookDelivery[];
async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('outbound webhooks', () => {
  it('shows the secret once, signs per Standard Webhooks, and retries a failing receiver with one webhook-id', async () => {
    const ep = await endpoint('/flaky', ['form.submitted']);
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    const leadsEp = await endpoint('/leads', ['lead.created']);
    const listed = (await c.api(`/api/sites/${c.site.id}/webhooks`)).body.endpoints;
    expect(listed).toHaveLength(2);
    expect(listed[0]).not.toHaveProperty('secret');
    expect(JSON.stringify(listed)).not.toContain(ep.secret);

    rx.script('/flaky', [500, 500, 200]);
    await send(lead('ada@acme.example'));
    // The delivery failed twice, then succeeded: three attempts, one webhook-id.
    const hits = await rx.waitFor('/flaky', 3);
    expect(new Set(hits.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const [leadHit] = await rx.waitFor('/leads', 1);
    expect(leadHit.headers['webhook-id']).not.toBe(hits[0].headers['webhook-id']);
    for (const [r, secret] of [
      ...hits.map((x) => [x, ep.secret] as const),
      [leadHit, leadsEp.secret] as const,
    ]) {
      const payload = verified(r, secret);
      expect(payload.data.profile).toMatchObject({ email: 'ada@acme.example', stage: 'lead' });
      expect(payload.data.profile.firstTouch).toMatchObject({ campaign: 'spring', channel: 'Email' });
      expect(Date.parse(payload.timestamp)).not.toBeNaN();
    }
    expect(verified(hits[0], ep.secret)).toMatchObject({
      type: 'form.submitted',
      data: { formId: 'contact' },
    });
    expect(verified(leadHit, leadsEp.secret).type).toBe('lead.created');
    // A tampered body, or another endpoint's secret, fails verification.
    expect(() => verified({ ...hits[0], body: hits[0].body.replace('ada', 'eve') }, ep.secret)).toThrow();
    expect(() => verified(hits[0], leadsEp.secret)).toThrow();

    // The delivery log: status, attempts, response codes and latency.
    const [three] = await until('delivered', async () => {
      const d = await log(ep.id);
      return d.length === 1 && d[0].status === 'delivered' && d;
    });
    expect(three.attempts).toBe(3);
    expect(three.log.map((a) => a.responseStatus)).toEqual([500, 500, 200]);
    expect(three.log.every((a) => a.latencyMs >= 0)).toBe(true);
    expect(three.lastResponseStatus).toBe(200);
    expect(three.deliveredAt).not.toBeNull();
  });

  it('disables an endpoint that answers 410, and keeps what comes later for when it is enabled again', async () => {
    const ep = await endpoint('/gone', ['form.submitted']);
    rx.script('/gone', [410]);
    await send(lead('bob@acme.example'));
    await rx.waitFor('/gone', 1);
    const after = await until('disabled', async () => {
      const e = (await c.api(`/api/webhooks/${ep.id}`)).body.endpoint;
      return !e.enabled && e;
    });
    expect(after.disabledReason).toMatch(/410/);
    expect((await log(ep.id))[0]).toMatchObject({ status: 'failed', attempts: 1, lastResponseStatus: 410 });
    // Nothing more is sent while disabled.
    await send(lead('cat@acme.example'));
    await new Promise((r) => setTimeout(r, 600));
    expect(rx.received.filter((r) => r.path === '/gone')).toHaveLength(1);
    // Enabled again (the receiver is back), the waiting delivery goes out.
    rx.script('/gone', [200]);
    expect(
      (await c.api(`/api/webhooks/${ep.id}`, { method: 'PATCH', body: JSON.stringify({ enabled: true }) }))
        .status,
    ).toBe(200);
    const hits = await rx.waitFor('/gone', 2);
    expect(JSON.parse(hits[1].body).data.profile.email).toBe('cat@acme.example');
  });

  it('times out a receiver that hangs and tries again', async () => {
    const ep = await endpoint('/hang', ['form.submitted']);
    rx.script('/hang', ['hang', 200]);
    await send(lead('dan@acme.example'));
    const hits = await rx.waitFor('/hang', 2);
    expect(hits[0].headers['webhook-id']).toBe(hits[1].headers['webhook-id']);
    const d = await until('delivered', async () => {
      const [x] = await log(ep.id);
      return x?.status === 'delivered' && x;
    });
    expect(d.log[0]).toMatchObject({ responseStatus: null, error: expect.stringMatching(/timed out/) });
    expect(d.log[0].latencyMs).toBeGreaterThanOrEqual(450);
  });

  it('honours Retry-After, redelivers with the same id, sends a test event, and rotates the secret', async () => {
    const ep = await endpoint('/later', ['form.submitted']);
    rx.script('/later', [{ status: 503, retryAfter: '1' }, 200]);
    await send(lead('eve@acme.example'));
    const hits = await rx.waitFor('/later', 2);
    // The schedule says 0.2 s; the receiver asked for 1 s.
    expect(hits[1].at - hits[0].at).toBeGreaterThanOrEqual(900);
    const [d] = await until('delivered', async () => {
      const x = await log(ep.id);
      return x[0]?.status === 'delivered' && x;
    });
    const again = await c.api(`/api/webhooks/deliveries/${d.id}/redeliver`, { method: 'POST' });
    expect(again.status).toBe(200);
    const third = (await rx.waitFor('/later', 3))[2];
    expect(third.headers['webhook-id']).toBe(d.id);
    expect(verified(third, ep.secret).type).toBe('form.submitted');

    const rotated = await c.api(`/api/webhooks/${ep.id}/rotate`, { method: 'POST' });
    expect(rotated.status).toBe(200);
    const secret = rotated.body.endpoint.secret as string;
    expect(secret).not.toBe(ep.secret);
    const test = await c.api(`/api/webhooks/${ep.id}/test`, { method: 'POST' });
    expect(test.status).toBe(201);
    const ping = (await rx.waitFor('/later', 4))[3];
    expect(verified(ping, secret)).toMatchObject({
      type: 'webhook.test',
      data: { profile: { email: 'test@example.com' } },
    });
    expect(() => verified(ping, ep.secret)).toThrow();
  });

  it('refuses bad endpoints with a 400 naming the field, and unknown ones with a 404', async () => {
    const post = (body: unknown) =>
      c.api(`/api/sites/${c.site.id}/webhooks`, { method: 'POST', body: JSON.stringify(body) });
    for (const [body, field] of [
      [{ url: 'not a url', events: ['form.submitted'] }, 'url'],
      [{ url: 'ftp://example.com/x', events: ['form.submitted'] }, 'url'],
      [{ url: 'https://example.com/x', events: [] }, 'events'],
      [{ url: 'https://example.com/x', events: ['nope'] }, 'events.0'],
    ] as const) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.field).toBe(field);
    }
    expect((await c.api('/api/webhooks/ep_nope')).status).toBe(404);
    expect((await c.api('/api/webhooks/deliveries/msg_nope/redeliver', { method: 'POST' })).status).toBe(404);
    expect((await c.api('/api/sites/nope/webhooks')).status).toBe(404);
    const anon = await fetch(`${c.url}/api/sites/${c.site.id}/webhooks`);
    expect(anon.status).toBe(401);
  });
});

describe('private addresses', () => {
  it('are refused when an endpoint is made and when the name resolves inward', async () => {
    const h = await harness();
    try {
      for (const url of [
        'http://127.0.0.1:9/x',
        'http://localhost/x',
        'http://10.1.2.3/',
        'http://[::1]/',
        'http://169.254.169.254/latest',
      ]) {
        const res = await h.api(`/api/sites/${h.site.id}/webhooks`, {
          method: 'POST',
          body: JSON.stringify({ url, events: ['lead.created'] }),
        });
        expect(res.status, url).toBe(400);
        expect(res.body.error.field).toBe('url');
      }
    } finally {
      await h.close();
    }
    // This machine's own name resolves to a private address: a name cannot smuggle the request inward.
    const name = hostname();
    const { address } = await lookup(name);
    expect(isPrivateAddress(address)).toBe(true);
    const r = await attempt(`http://${name}:9/x`, {}, '{}', { timeoutMs: 1000, allowPrivate: false });
    expect(r.status).toBeNull();
    expect(r.error).toMatch(/private address/);
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
    expect(isPrivateAddress('::ffff:192.168.1.1')).toBe(true);
  });

  it('signs as the scheme says and keeps the schedule with jitter', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const wh = new Webhook(secret);
    const body = '{"type":"x"}';
    const ts = Math.floor(Date.now() / 1000);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(ts),
      'webhook-signature': sign(secret, 'msg_1', ts, body),
    };
    expect(wh.verify(body, headers)).toEqual({ type: 'x' });
    const schedule = [5, 300];
    expect(nextDelayMs(schedule, 1, null, () => 0)).toBe(4500);
    expect(nextDelayMs(schedule, 1, null, () => 1)).toBe(5500);
    expect(nextDelayMs(schedule, 2, 600_000, () => 0.5)).toBe(600_000);
    expect(nextDelayMs(schedule, 3, null)).toBeNull();
  });
});
