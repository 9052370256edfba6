// The identity engine's change log over HTTP: every commit appends what it changed about a profile (created,
// stages entered and left, the score crossing the threshold, merged, unmerged, a referral credited), read on
// from a cursor with GET /api/changes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProfileChangeItem } from '../../wire.ts';
import { type Harness, harness, pageEvent } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(() => h.close());

const send = (batch: unknown[]) => h.post('/v1/batch', { writeKey: h.site.siteKey, batch });
const T0 = Date.now() - 3_600_000;
const at = (m: number) => new Date(T0 + m * 60_000).toISOString();
const changes = async (after = 0) =>
  (await h.api(`/api/changes?after=${after}&limit=1000`)).body.changes as ProfileChangeItem[];
const brief = (list: ProfileChangeItem[]) =>
  list.map((c) => `${c.kind}:${String(c.detail.stage ?? c.detail.direction ?? '')}`);

describe('the change log', () => {
  it('records a profile created, its stages and its score crossing, each once, with the evidence', async () => {
    await send([pageEvent({ anonymousId: 'A', originalTimestamp: at(0) })]);
    const first = await changes();
    expect(brief(first)).toEqual(['created:reach', 'stage_entered:reach']);
    const pid = first[0].profileId;
    expect(first.every((c) => c.siteId === h.site.id && c.profileId === pid)).toBe(true);

    // A pricing view and a demo request: a lead, then over the score threshold, so qualified.
    await send([
      pageEvent({
        anonymousId: 'A',
        originalTimestamp: at(1),
        context: { page: { url: 'https://shop.example/pricing', path: '/pricing', referrer: '' } },
      }),
      pageEvent({
        messageId: 'demo-form',
        anonymousId: 'A',
        type: 'track',
        event: 'Form Submitted',
        originalTimestamp: at(2),
        properties: { formId: 'demo', fields: { email: 'ada@acme.com' } },
      }),
    ]);
    const next = await changes(first[first.length - 1].seq);
    // The form itself is a change too (automations fire on it), logged before what it caused.
    expect(brief(next)).toEqual([
      'form_submitted:',
      'stage_left:reach',
      'stage_entered:lead',
      'stage_entered:qualified',
      'score_crossed:up',
    ]);
    const lead = next.find((c) => c.kind === 'stage_entered' && c.detail.stage === 'lead')!;
    expect(lead).toMatchObject({ messageId: 'demo-form', at: at(2) });
    expect(next[0]).toMatchObject({ messageId: 'demo-form', at: at(2), detail: { formId: 'demo' } });
    expect(next[0].seq).toBeGreaterThan(first[first.length - 1].seq);

    // Nothing changed, nothing logged.
    await send([pageEvent({ anonymousId: 'A', originalTimestamp: at(3) })]);
    expect(await changes(next[next.length - 1].seq)).toEqual([]);

    // A marketer's stage is a change too.
    const res = await h.api(`/api/profiles/${pid}/stage`, {
      method: 'POST',
      body: JSON.stringify({ stage: 'customer', reason: 'paid by invoice' }),
    });
    expect(res.status).toBe(200);
    expect(brief(await changes(next[next.length - 1].seq))).toEqual([
      'stage_left:qualified',
      'stage_entered:customer',
    ]);
  });

  it('records merges and unmerges, and a referral credited to the referrer', async () => {
    await send([
      pageEvent({
        anonymousId: 'A',
        type: 'identify',
        originalTimestamp: at(0),
        traits: { email: 'ann@acme.com' },
      }),
      pageEvent({ anonymousId: 'B', originalTimestamp: at(1) }),
    ]);
    const list = (await h.api('/api/profiles')).body.profiles as { id: string; email: string | null }[];
    const ann = list.find((p) => p.email)!;
    const other = list.find((p) => !p.email)!;
    const seen = await changes();
    const cursor = seen[seen.length - 1].seq;

    const merged = await h.api(`/api/profiles/${ann.id}/merge`, {
      method: 'POST',
      body: JSON.stringify({ otherId: other.id, reason: 'same person' }),
    });
    expect(merged.status).toBe(200);
    const m = (await changes(cursor)).filter((c) => c.kind === 'merged');
    expect(m).toHaveLength(1);
    expect(m[0].detail).toMatchObject({ by: 'manual' });
    expect([m[0].profileId, m[0].detail.mergedId].sort()).toEqual([ann.id, other.id].sort());

    const link = merged.body.profile.links.find((l: { decision: string | null }) => l.decision === 'manual');
    await h.api(`/api/links/${link.id}/revoke`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'two people' }),
    });
    const u = (await changes(cursor)).filter((c) => c.kind === 'unmerged');
    expect(u).toHaveLength(1);
    expect((u[0].detail.into as string[]).length).toBe(2);

    // Bob follows Ann's referral link and leaves his address: the credit is logged on Ann.
    const code = (await h.api(`/api/profiles/${ann.id}`)).body.profile.referralCode;
    const before = (await changes()).at(-1)!.seq;
    await send([
      pageEvent({
        anonymousId: 'C',
        originalTimestamp: at(5),
        context: {
          page: { url: `https://shop.example/?ref=${code}`, path: '/', referrer: '' },
          campaign: { ref: code },
        },
      }),
      pageEvent({
        messageId: 'bob-form',
        anonymousId: 'C',
        type: 'track',
        event: 'Form Submitted',
        originalTimestamp: at(6),
        properties: { formId: 'contact', fields: { email: 'bob@acme.com' } },
      }),
    ]);
    const credited = (await changes(before)).filter((c) => c.kind === 'referral_credited');
    expect(credited).toHaveLength(1);
    expect(credited[0]).toMatchObject({ profileId: ann.id, messageId: 'bob-form', at: at(6) });
  });

  it('pages by the cursor and names a bad parameter', async () => {
    for (let i = 0; i < 3; i++) await send([pageEvent({ anonymousId: `V${i}`, originalTimestamp: at(i) })]);
    const all = await changes();
    expect(all).toHaveLength(6);
    const page = (await h.api('/api/changes?limit=2')).body;
    expect(page.changes.map((c: ProfileChangeItem) => c.seq)).toEqual(all.slice(0, 2).map((c) => c.seq));
    const rest = (await h.api(`/api/changes?after=${page.after}`)).body.changes as ProfileChangeItem[];
    expect(rest.map((c) => c.seq)).toEqual(all.slice(2).map((c) => c.seq));
    expect((await h.api(`/api/changes?site=${h.site.id}`)).body.changes).toHaveLength(6);
    expect((await h.api('/api/changes?site=nope')).body.changes).toEqual([]);
    for (const bad of ['after=-1', 'after=x', 'limit=0', 'limit=5000']) {
      const res = await h.api(`/api/changes?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.field).toBe(bad.split('=')[0]);
    }
    const anon = await h.app.request('/api/changes');
    expect(anon.status).toBe(401);
  });
});
