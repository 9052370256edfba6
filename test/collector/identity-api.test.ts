// The identity API through HTTP: merge by a form email, unmerge by revoking the link, manual merge, stage, filters.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, harness, pageEvent } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const send = (batch: unknown[]) => h.post('/v1/batch', { writeKey: h.site.siteKey, batch });
const at = (m: number) => new Date(Date.now() - 3_600_000 + m * 60_000).toISOString();
const profiles = async () =>
  ((await h.api('/api/profiles')).body.profiles as { id: string }[]).sort((a, b) => (a.id < b.id ? -1 : 1));
const details = async () =>
  Promise.all(
    (await profiles()).map(async (p) => {
      const { profile, timeline } = (await h.api(`/api/profiles/${p.id}`)).body;
      const { links: _l, merges: _m, warnings: _w, status: _s, ...rest } = profile;
      return { ...rest, timeline: timeline.map((t: { id: string }) => t.id) };
    }),
  );

describe('merge and unmerge through HTTP', () => {
  it('merges two browsers by a form email and splits them by revoking the link, every field as before', async () => {
    await send([
      pageEvent({
        anonymousId: 'A',
        originalTimestamp: at(0),
        context: {
          page: { url: 'https://shop.example/?utm_source=newsletter&utm_medium=email', referrer: '' },
          campaign: { source: 'newsletter', medium: 'email' },
        },
      }),
      pageEvent({
        anonymousId: 'A',
        type: 'identify',
        originalTimestamp: at(1),
        traits: { email: 'ada@acme.com', name: 'Ada' },
      }),
      pageEvent({
        anonymousId: 'B',
        originalTimestamp: at(2),
        context: {
          page: {
            url: 'https://shop.example/pricing',
            path: '/pricing',
            referrer: 'https://www.google.com/',
          },
        },
      }),
      pageEvent({
        anonymousId: 'B',
        type: 'track',
        event: 'Order Completed',
        originalTimestamp: at(3),
        properties: { orderId: 'o1', revenue: 20 },
      }),
    ]);
    const before = await details();
    expect(before).toHaveLength(2);

    await send([
      pageEvent({
        anonymousId: 'B',
        type: 'track',
        event: 'Form Submitted',
        originalTimestamp: at(4),
        properties: { formId: 'contact', fields: { email: 'ada@acme.com' } },
      }),
    ]);
    const merged = await profiles();
    expect(merged).toHaveLength(1);
    const one = (await h.api(`/api/profiles/${merged[0].id}`)).body.profile;
    expect(one.stage).toBe('customer');
    expect(one.firstTouch.channel).toBe('Email');
    expect(one.merges).toHaveLength(1);
    const link = one.links.find((l: { rule: string }) => l.rule.startsWith('Form Submitted'));
    expect(link).toMatchObject({ status: 'active', b: { kind: 'email', value: 'ada@acme.com' } });

    const bad = await h.api(`/api/links/${link.id}/revoke`, { method: 'POST', body: '{}' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('reason');
    const revoked = await h.api(`/api/links/${link.id}/revoke`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'two people' }),
    });
    expect(revoked.status).toBe(200);

    const after = await details();
    expect(after).toHaveLength(2);
    // As if the form's link had never existed. B keeps its own form event (one more event, a lead touch and
    // score from it); every other field, the stage and the identifiers are as before.
    const strip = (d: Record<string, unknown>[]) =>
      d.map(
        ({
          lastSeen: _a,
          eventCount: _b,
          timeline: _t,
          scoreParts: _s,
          leadScore: _c,
          stageHistory: _h,
          leadTouch: _l,
          ...r
        }) => r,
      );
    expect(strip(after)).toEqual(strip(before));
    const again = await profiles();
    const bSide = (
      await h.api(
        `/api/profiles/${again.find((p) => !before.some((b) => b.id === p.id && b.email))?.id ?? again[1].id}`,
      )
    ).body.profile;
    expect(bSide.merges[0].undoneAt).not.toBeNull();
  });

  it('merges by hand with a reason, proposes what the rules refuse, and filters the list', async () => {
    await send([
      pageEvent({ anonymousId: 'A', originalTimestamp: at(0) }),
      pageEvent({
        anonymousId: 'B',
        originalTimestamp: at(1),
        context: { page: { url: 'https://shop.example/', referrer: 'https://www.google.com/' } },
      }),
    ]);
    const [p1, p2] = await profiles();
    const missing = await h.api(`/api/profiles/${p1.id}/merge`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'x' }),
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.field).toBe('otherId');
    const res = await h.api(`/api/profiles/${p1.id}/merge`, {
      method: 'POST',
      body: JSON.stringify({ otherId: p2.id, reason: 'same person, said on the phone' }),
    });
    expect(res.status).toBe(200);
    expect(res.body.profile.merges[0]).toMatchObject({
      kind: 'manual',
      reason: 'manual: same person, said on the phone',
    });
    expect(await profiles()).toHaveLength(1);

    const stage = await h.api(`/api/profiles/${p1.id}/stage`, {
      method: 'POST',
      body: JSON.stringify({ stage: 'qualified', reason: 'good call' }),
    });
    expect(stage.body.profile.stage).toBe('qualified');
    expect((await h.api('/api/profiles?stage=qualified')).body.profiles).toHaveLength(1);
    expect((await h.api('/api/profiles?stage=lead')).body.profiles).toHaveLength(0);
    expect((await h.api('/api/profiles?status=active')).body.profiles).toHaveLength(1);
    expect((await h.api('/api/profiles?status=churned')).body.profiles).toHaveLength(0);
    const badStatus = await h.api('/api/profiles?status=gone');
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error.field).toBe('status');
  });

  it('turns a claimed phone joining two verified people into a proposal a marketer answers', async () => {
    const server = (batch: unknown[]) =>
      h.post('/v1/batch', { batch }, { Authorization: `Basic ${btoa(`${h.site.secretKey}:`)}` });
    await server([
      pageEvent({
        anonymousId: 'A',
        type: 'identify',
        originalTimestamp: at(0),
        traits: { email: 'ann@acme.com' },
      }),
      pageEvent({
        anonymousId: 'B',
        type: 'identify',
        originalTimestamp: at(1),
        traits: { email: 'bob@acme.com' },
      }),
    ]);
    await send([
      pageEvent({
        anonymousId: 'A',
        type: 'track',
        event: 'Form Submitted',
        originalTimestamp: at(2),
        properties: { fields: { phone: '+44 20 7946 0958' } },
      }),
      pageEvent({
        anonymousId: 'B',
        type: 'track',
        event: 'Form Submitted',
        originalTimestamp: at(3),
        properties: { fields: { phone: '+44 20 7946 0958' } },
      }),
    ]);
    expect(await profiles()).toHaveLength(2);
    const list = await h.api('/api/merge-proposals');
    expect(list.body.proposals).toHaveLength(1);
    const ok = await h.api(`/api/merge-proposals/${list.body.proposals[0].id}`, {
      method: 'POST',
      body: JSON.stringify({ accept: true }),
    });
    expect(ok.status).toBe(200);
    expect(await profiles()).toHaveLength(1);
    expect((await h.api('/api/merge-proposals')).body.proposals).toHaveLength(0);
  });
});
