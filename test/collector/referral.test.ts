// Referrals through HTTP: a visitor who lands with ?ref=CODE and becomes a lead credits the referrer, who
// reaches `loyal` with that evidence once paying (an advocate until then); arrival order, self-referrals,
// merge and unmerge keep it consistent.
import { createClient } from '@libsql/client';
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
// Yesterday at 10:00 UTC: every event lies in one UTC day whatever time the suite runs, so the daily referral
// limit below never straddles midnight.
const T0 = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 14 * 3_600_000;
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

/** A payment from the browser's owner (a completed order). */
const pay = (anon: string, m: number, orderId: string) =>
  pageEvent({
    messageId: `pay-${orderId}`,
    anonymousId: anon,
    type: 'track',
    event: 'Order Completed',
    originalTimestamp: at(m),
    properties: { orderId, revenue: 30 },
  });

const referrer = (m: number, extra: Record<string, unknown> = {}) =>
  pageEvent({
    anonymousId: 'A',
    type: 'identify',
    originalTimestamp: at(m),
    traits: { email: 'ann@acme.com', name: 'Ann' },
    ...extra,
  });

describe('referrals', () => {
  it('makes a referral code on first ask through the writer, waiting out another process holding the lock', async () => {
    await send([pageEvent({ anonymousId: 'A', originalTimestamp: at(0) }), referrer(1)]);
    const list = (await h.api('/api/profiles?q=ann%40acme.com')).body.profiles as { id: string }[];
    // Another collector on the same file holds the write lock for 300 ms: the read must not write behind the
    // writer's back (it failed with "database is locked"); the code is made once the lock is free.
    const other = createClient({ url: h.url });
    const held = await other.transaction('write');
    await held.execute("INSERT INTO automation_state (name, value) VALUES ('held', 1)");
    const asked = h.api(`/api/profiles/${list[0].id}`);
    await new Promise((r) => setTimeout(r, 300));
    await held.commit();
    other.close();
    const res = await asked;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.profile.referralCode).toMatch(/^r_/);
    // asked again, the same code; one row
    expect((await detail(list[0].id)).referralCode).toBe(res.body.profile.referralCode);
    expect(await h.count('SELECT COUNT(*) FROM referral_codes')).toBe(1);
  });

  it('credits the referrer with its referral code; a paying referrer reaches loyal with the evidence', async () => {
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

    // Credited, but Ann never paid: she is an advocate, not loyal.
    const advocate = await detail(ann.id);
    expect(advocate.referrals).toEqual([
      { profileId: bob.id, at: at(6), messageId: 'bob-form', status: 'credited' },
    ]);
    expect(advocate.stage).toBe('lead');
    expect(advocate.advocate).toBe(true);
    expect((await h.api('/api/profiles?stage=loyal')).body.profiles).toEqual([]);

    // Ann pays: loyal from that payment, with the referral as the reason.
    await send([pay('A', 7, 'o1')]);
    const credited = await detail(ann.id);
    expect(credited.stage).toBe('loyal');
    expect(credited.advocate).toBe(false);
    const loyal = credited.stageHistory.find((s: { stage: string }) => s.stage === 'loyal');
    expect(loyal).toMatchObject({ messageId: 'pay-o1', at: at(7) });
    expect(loyal.rule).toContain('referral');
    expect(loyal.rule).toContain(bob.id);
    // Customer is entered by the payment; retained is jumped over and recorded as skipped.
    expect(credited.stageHistory.find((s: { stage: string }) => s.stage === 'customer')).toMatchObject({
      messageId: 'pay-o1',
    });
    expect(credited.stageHistory.find((s: { stage: string }) => s.stage === 'retained')).toMatchObject({
      skipped: true,
    });
    expect((await h.api('/api/profiles?stage=loyal')).body.profiles.map((p: { id: string }) => p.id)).toEqual(
      [ann.id],
    );
    // Nothing is credited to the referred visitor.
    expect((await detail(bob.id)).referrals).toEqual([]);
  });

  it('erasing the referred lead takes the credit away: the referrer is restaged at once', async () => {
    await send([pageEvent({ anonymousId: 'A', originalTimestamp: at(0) }), referrer(1), pay('A', 2, 'o1')]);
    const ann = await profileOf('ann@acme.com');
    expect(ann.stage).toBe('customer');
    await send(referredVisit('B', ann.referralCode, 'bob@acme.com', 5, 'bob-form'));
    const bob = await profileOf('bob@acme.com');
    expect((await detail(ann.id)).stage).toBe('loyal');

    const erased = await h.api(`/api/profiles/${bob.id}/erase`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'asked by the person' }),
    });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    const after = await detail(ann.id);
    expect(after.referrals).toEqual([]);
    expect(after.stage).toBe('customer');
    expect((await h.api('/api/profiles?stage=loyal')).body.profiles).toEqual([]);
    // the change log says she left loyal, for automations and live views
    const left = await h.count(
      "SELECT COUNT(*) FROM profile_changes WHERE profile_id = ? AND kind = 'stage_left' AND json_extract(detail, '$.stage') = 'loyal'",
      [ann.id],
    );
    expect(left).toBe(1);
  });

  it('credits by user id whatever the arrival order, and by profile id', async () => {
    // The referred visitor's events come first: the credit waits for the referrer's user id.
    await send(referredVisit('B', 'ann-1', 'bob@acme.com', 5, 'bob-form'));
    const bob = await profileOf('bob@acme.com');
    expect(bob.referredBy).toBe('ann-1');
    await send([referrer(1, { userId: 'ann-1' }), pay('A', 2, 'o1')]);
    const ann = await profileOf('ann@acme.com');
    expect(ann.referrals).toEqual([
      { profileId: bob.id, at: at(6), messageId: 'bob-form', status: 'credited' },
    ]);
    expect(ann.stage).toBe('loyal');

    // A profile id works as a code too (and keeps pointing at that person once used).
    await send([pageEvent({ anonymousId: 'C', originalTimestamp: at(2) })]);
    const list = (await h.api('/api/profiles')).body.profiles as { id: string; email: string | null }[];
    const carl = list.find((p) => !p.email)!;
    await send(referredVisit('D', carl.id, 'dan@acme.com', 8, 'dan-form'));
    const dan = await profileOf('dan@acme.com');
    const c = await detail(carl.id);
    expect(c.referrals).toEqual([
      { profileId: dan.id, at: at(9), messageId: 'dan-form', status: 'credited' },
    ]);
    expect(c.stage).toBe('reach');
    expect(c.advocate).toBe(true);
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
    await send([referrer(1), pay('A', 2, 'o1')]);
    const ann = await profileOf('ann@acme.com');
    await send(referredVisit('B', ann.referralCode, 'bob@acme.com', 5, 'bob-form'));
    const bob = await profileOf('bob@acme.com');
    const before = await detail(ann.id);
    expect(before.stage).toBe('loyal');
    expect(before.referrals).toEqual([
      { profileId: bob.id, at: at(6), messageId: 'bob-form', status: 'credited' },
    ]);

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
    expect(after.referrals).toEqual([
      { profileId: bobAfter.id, at: at(6), messageId: 'bob-form', status: 'credited' },
    ]);
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

describe('referral trust', () => {
  it('counts a referrer’s credits up to the daily limit; the rest wait for a marketer’s review', async () => {
    const put = await h.api(`/api/sites/${h.site.id}/settings`, {
      method: 'PUT',
      body: JSON.stringify({ identity: { referralDailyLimit: 3 } }),
    });
    expect(put.status).toBe(200);
    expect(put.body.settings.identity.referralDailyLimit).toBe(3);
    await send([referrer(1), pay('A', 2, 'o1')]);
    const ann = await profileOf('ann@acme.com');
    // Twenty scripted visitors follow the link, each with an address of its own.
    for (let i = 0; i < 20; i++)
      await send(referredVisit(`S${i}`, ann.referralCode, `bot${i}@spam.test`, 10 + i, `bot-${i}`));
    const d = await detail(ann.id);
    expect(d.referrals).toHaveLength(20);
    const statuses = d.referrals.map((r: { status: string }) => r.status);
    expect(statuses.filter((s: string) => s === 'credited')).toHaveLength(3);
    expect(statuses.filter((s: string) => s === 'review')).toHaveLength(17);
    expect(statuses.slice(0, 3)).toEqual(['credited', 'credited', 'credited']);

    // A marketer approves one waiting credit and rejects a counted one.
    const waiting = d.referrals[5].messageId;
    const ok = await h.api(`/api/profiles/${ann.id}/referrals/${waiting}/review`, {
      method: 'POST',
      body: JSON.stringify({ approve: true }),
    });
    expect(ok.status).toBe(200);
    const no = await h.api(`/api/profiles/${ann.id}/referrals/${d.referrals[0].messageId}/review`, {
      method: 'POST',
      body: JSON.stringify({ approve: false }),
    });
    expect(no.status).toBe(200);
    const after = (await detail(ann.id)).referrals as { messageId: string; status: string }[];
    expect(after.find((r) => r.messageId === waiting)!.status).toBe('credited');
    expect(after[0].status).toBe('rejected');
    // The rejected one frees its place for the next in line.
    expect(after.filter((r) => r.status === 'credited')).toHaveLength(4);

    // Bad input names the field; an unknown credit is a 404.
    const bad = await h.api(`/api/profiles/${ann.id}/referrals/${waiting}/review`, {
      method: 'POST',
      body: JSON.stringify({ approve: 'yes' }),
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('approve');
    const missing = await h.api(`/api/profiles/${ann.id}/referrals/nope/review`, {
      method: 'POST',
      body: JSON.stringify({ approve: true }),
    });
    expect(missing.status).toBe(404);
  });

  it('credits one lead per contact: scripted visitors typing the same mailbox earn one credit', async () => {
    await send([referrer(1), pay('A', 2, 'o1')]);
    const ann = await profileOf('ann@acme.com');
    // A role mailbox never links the browsers, so each stays a lead of its own with the same contact.
    for (let i = 0; i < 4; i++)
      await send(referredVisit(`R${i}`, ann.referralCode, 'info@spam.test', 10 + i, `role-${i}`));
    const d = await detail(ann.id);
    expect(d.referrals.map((r: { messageId: string }) => r.messageId)).toEqual(['role-0']);
  });

  it('refuses a credit from a browser the referrer uses', async () => {
    await send([referrer(1), pay('A', 2, 'o1')]);
    const ann = await profileOf('ann@acme.com');
    // Ann opens her own link on her own browser and signs up with another address: nothing is credited.
    await send(referredVisit('A', ann.referralCode, 'ann.alt@acme.com', 5, 'alt-form'));
    const alt = await profileOf('ann.alt@acme.com');
    expect(alt.id).not.toBe(ann.id);
    expect((await detail(ann.id)).referrals).toEqual([]);
    expect((await detail(ann.id)).stage).toBe('customer');

    // Bob signs up through her link on his browser: credited.
    await send(referredVisit('B', ann.referralCode, 'bob@acme.com', 10, 'bob-form'));
    expect((await detail(ann.id)).referrals).toHaveLength(1);
    // Later Ann says who she is on that same browser: it is one of hers too, so the credit is withdrawn.
    await send([
      pageEvent({
        anonymousId: 'B',
        type: 'identify',
        originalTimestamp: at(20),
        traits: { email: 'ann@acme.com' },
      }),
    ]);
    const bob = await profileOf('bob@acme.com');
    expect(bob.id).not.toBe(ann.id);
    expect((await detail(ann.id)).referrals).toEqual([]);
    expect((await detail(ann.id)).stage).toBe('customer');
  });
});
