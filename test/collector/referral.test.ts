// Referrals through HTTP: a visitor who lands with ?ref=CODE and becomes a lead credits the referrer, who
// reaches `loyal` with that evidence; arrival order, self-referrals, merge and unmerge keep it consistent.
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
const T0 = Date.now() - 3_600_000;
const at = (m: number) => new Date(T0 + m * 60_000).toISOString();
const detail = async (id: string) => (await h.api(`/api/profiles/${id}`)).body.profile;
const profileOf = async (email: string) => {
  const list = (await h.api(`/api/profiles?q=${encodeURIComponent(email)}`)).body.profiles as {
    id: string;
    email: string;
  }[];
  const hit = list.find((p) => p.email === email);
  expect(hit, `a profile with ${email}`).toBeTruthy();
  return detail(hit!.id);
};

/** A browser landing with ?ref=CODE (the widget's first touch and the page's campaign context), then a form. */
function referredVisit(anon: string, code: string, email: string, m: number, formId = `form-${anon}`) {
  const url = `https://shop.example/?ref=${encodeURIComponent(code)}`;
  return [
    pageEvent({
      anonymousId: anon,
      originalTimestamp: at(m),
      context: {
        page: { url, path: '/', referrer: '' },
        campaign: { ref: code },
        firstTouch: { at: at(m), landingUrl: url, ref: code },
      },
    }),
    pageEvent({
      messageId: formId,
      anonymousId: anon,
      type: 'track',
      event: 'Form Submitted',
      originalTimestamp: at(m + 1),
      properties: { formId: 'contact', fields: { email } },
    }),
  ];
}

const referrer = (m: number, extra: Record<string, unknown> = {}) =>
  pageEvent({
    anonymousId: 'A',
    type: 'identify',
    originalTimestamp: at(m),
    traits: { email: 'ann@acme.com', name: 'Ann' },
    ...extra,
  });

describe('referrals', () => {
  it('credits the referrer with its referral code; the referrer reaches loyal with the evidence', async () => {
    await send([pageEvent({ anonymousId: 'A', originalTimestamp: at(0) }), referrer(1)]);
    const ann = await profileOf('ann@acme.com');
    expect(ann.stage).toBe('lead');
    expect(ann.referralCode).toMatch(/^r_/);
    expect(ann.referrals).toEqual([]);
    // The code is stable.
    expect((await detail(ann.id)).referralCode).toBe(ann.referralCode);

    await send(referredVisit('B', ann.referralCode, 'bob@acme.com', 5, 'bob-form'));
    const bob = await profileOf('bob@acme.com');
    expect(bob.referredBy).toBe(ann.referralCode);
    expect(bob.firstTouch.channel).toBe('Affiliate/Referral program');
    expect(bob.stage).toBe('lead');

    const credited = await detail(ann.id);
    expect(credited.referrals).toEqual([{ profileId: bob.id, at: at(6), messageId: 'bob-form' }]);
    expect(credited.stage).toBe('loyal');
    const loyal = credited.stageHistory.find((s: { stage: string }) => s.stage === 'loyal');
    expect(loyal).toMatchObject({ messageId: 'bob-form', at: at(6) });
    expect(loyal.rule).toContain('referral');
    expect(loyal.rule).toContain(bob.id);
    // Stages jumped over are recorded as skipped at the same evidence.
    expect(credited.stageHistory.find((s: { stage: string }) => s.stage === 'customer')).toMatchObject({
      skipped: true,
      messageId: 'bob-form',
    });
    expect((await h.api('/api/profiles?stage=loyal')).body.profiles.map((p: { id: string }) => p.id)).toEqual(
      [ann.id],
    );
    // Nothing is credited to the referred visitor.
    expect((await detail(bob.id)).referrals).toEqual([]);
  });

  it('credits by user id whatever the arrival order, and by profile id', async () => {
    // The referred visitor's events come first: the credit waits for the referrer's user id.
    await send(referredVisit('B', 'ann-1', 'bob@acme.com', 5, 'bob-form'));
    const bob = await profileOf('bob@acme.com');
    expect(bob.referredBy).toBe('ann-1');
    await send([referrer(1, { userId: 'ann-1' })]);
    const ann = await profileOf('ann@acme.com');
    expect(ann.referrals).toEqual([{ profileId: bob.id, at: at(6), messageId: 'bob-form' }]);
    expect(ann.stage).toBe('loyal');

    // A profile id works as a code too (and keeps pointing at that person once used).
    await send([pageEvent({ anonymousId: 'C', originalTimestamp: at(2) })]);
    const list = (await h.api('/api/profiles')).body.profiles as { id: string; email: string | null }[];
    const carl = list.find((p) => !p.email)!;
    await send(referredVisit('D', carl.id, 'dan@acme.com', 8, 'dan-form'));
    const dan = await profileOf('dan@acme.com');
    const c = await detail(carl.id);
    expect(c.referrals).toEqual([{ profileId: dan.id, at: at(9), messageId: 'dan-form' }]);
    expect(c.stage).toBe('loyal');
  });

  it('ignores a referral to the visitor’s own profile and a visitor who was a lead before the referral', async () => {
    await send([referrer(1)]);
    const ann = await profileOf('ann@acme.com');
    // Ann follows her own link and fills a form.
    await send(referredVisit('A', ann.referralCode, 'ann@acme.com', 5));
    const self = await detail(ann.id);
    expect(self.referredBy).toBe(ann.referralCode);
    expect(self.referrals).toEqual([]);
    expect(self.stage).not.toBe('loyal');

    // Bob was a lead before he followed Ann's link: nothing to credit.
    await send([
      pageEvent({
        anonymousId: 'B',
        type: 'identify',
        originalTimestamp: at(2),
        traits: { email: 'bob@acme.com' },
      }),
      ...referredVisit('B', ann.referralCode, 'bob@acme.com', 6),
    ]);
    expect((await detail(ann.id)).referrals).toEqual([]);
  });

  it('recomputes the credit on merge and unmerge', async () => {
    await send([referrer(1)]);
    const ann = await profileOf('ann@acme.com');
    await send(referredVisit('B', ann.referralCode, 'bob@acme.com', 5, 'bob-form'));
    const bob = await profileOf('bob@acme.com');
    const before = await detail(ann.id);
    expect(before.stage).toBe('loyal');
    expect(before.referrals).toEqual([{ profileId: bob.id, at: at(6), messageId: 'bob-form' }]);

    // Bob's browser turns out to be Ann's (her browser says it was B before): the referral is now her own.
    await send([pageEvent({ anonymousId: 'A', type: 'alias', previousId: 'B', originalTimestamp: at(8) })]);
    const merged = await detail(ann.id);
    expect(merged.identifiers.map((i: { value: string }) => i.value)).toContain('B');
    expect(merged.referrals).toEqual([]);
    expect(merged.stage).not.toBe('loyal');
    expect(await h.count('SELECT COUNT(*) FROM referral_credits')).toBe(0);

    // Undo: the link is revoked and the credit comes back exactly.
    const link = merged.links.find(
      (l: { a: { value: string }; b: { value: string } }) =>
        [l.a.value, l.b.value].includes('B') && [l.a.value, l.b.value].includes('A'),
    );
    expect(link).toBeTruthy();
    const res = await h.api(`/api/links/${link.id}/revoke`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'two people' }),
    });
    expect(res.status).toBe(200);
    const after = await detail(ann.id);
    const bobAfter = await profileOf('bob@acme.com');
    expect(bobAfter.referredBy).toBe(ann.referralCode);
    expect(after.referrals).toEqual([{ profileId: bobAfter.id, at: at(6), messageId: 'bob-form' }]);
    expect(after.stage).toBe('loyal');
    // Ann's stage history is as before the merge (the referred profile named by its current id).
    const history = (d: { stageHistory: { rule: string }[] }, id: string) =>
      d.stageHistory.map((x) => ({ ...x, rule: x.rule.replace(id, 'BOB') }));
    expect(history(after, bobAfter.id)).toEqual(history(before, bob.id));

    // A manual merge of the two makes it a self-referral again; a marketer's stage keeps the credit in view.
    const m = await h.api(`/api/profiles/${ann.id}/merge`, {
      method: 'POST',
      body: JSON.stringify({ otherId: bobAfter.id, reason: 'same person' }),
    });
    expect(m.status).toBe(200);
    expect(m.body.profile.referrals).toEqual([]);
    expect(m.body.profile.stage).not.toBe('loyal');
  });
});
