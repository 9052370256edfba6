// Two people on one browser, over HTTP: the second person to identify gets a profile of their own, the
// browser's later events go to whoever identified last, and neither person's identifiers attach to the other.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, harness, ORIGIN } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(() => h.close());

const T0 = Date.now() - 3_600_000;
let n = 0;
const browser = (minute: number, event: object) =>
  h.post(
    '/v1/batch',
    {
      writeKey: h.site.siteKey,
      batch: [
        {
          messageId: `web-${++n}`,
          anonymousId: 'family-pc',
          timestamp: new Date(T0 + minute * 60_000).toISOString(),
          ...event,
        },
      ],
    },
    { Origin: ORIGIN },
  );
const page = (minute: number, path: string) =>
  browser(minute, { type: 'page', name: path, properties: { path, url: `${ORIGIN}${path}` } });
const form = (minute: number, email: string, name: string) =>
  browser(minute, {
    type: 'track',
    event: 'Form Submitted',
    properties: { formId: 'contact', fields: { email, name } },
  });

type Item = { event: string | null; type: string; properties?: { path?: string } };
async function person(email: string) {
  const list = await h.api(`/api/profiles?q=${encodeURIComponent(email)}`);
  expect(list.body.profiles).toHaveLength(1);
  const d = await h.api(`/api/profiles/${list.body.profiles[0].id}`);
  return {
    id: d.body.profile.id as string,
    email: d.body.profile.email as string,
    name: d.body.profile.name as string,
    identifiers: (d.body.profile.identifiers as { kind: string; value: string }[]).map(
      (i) => `${i.kind}:${i.value}`,
    ),
    paths: (d.body.timeline as Item[]).filter((t) => t.type === 'page').map((t) => t.properties?.path),
  };
}

describe('shared devices', () => {
  it('two people on one browser stay two profiles, each with their own events', async () => {
    await page(0, '/erin-browsing');
    await form(1, 'erin@family.test', 'Erin');
    await page(2, '/erin-again');
    // Later, Frank identifies on the same computer with his own address.
    await browser(10, { type: 'identify', traits: { email: 'frank@family.test', name: 'Frank' } });
    await page(11, '/frank-browsing');

    const erin = await person('erin@family.test');
    const frank = await person('frank@family.test');
    expect(erin.id).not.toBe(frank.id);
    expect(erin).toMatchObject({ email: 'erin@family.test', name: 'Erin' });
    expect(frank).toMatchObject({ email: 'frank@family.test', name: 'Frank' });
    expect(erin.paths).toEqual(['/erin-browsing', '/erin-again']);
    expect(frank.paths).toEqual(['/frank-browsing']);
    expect(erin.identifiers).not.toContain('email:frank@family.test');
    expect(frank.identifiers).not.toContain('email:erin@family.test');
    // Both used the browser.
    expect(erin.identifiers).toContain('anonymous:family-pc');
    expect(frank.identifiers).toContain('anonymous:family-pc');

    // Erin comes back and submits again: the browser is hers from then on.
    await form(20, 'erin@family.test', 'Erin');
    await page(21, '/erin-returns');
    expect((await person('erin@family.test')).paths).toEqual([
      '/erin-browsing',
      '/erin-again',
      '/erin-returns',
    ]);
    expect((await person('frank@family.test')).paths).toEqual(['/frank-browsing']);
  });

  it("keeps a summary of the browser's acts in step with the acts, whatever order they arrive in", async () => {
    // A browser that identifies on every page: the summary (everyone named, the latest act) is what a new
    // act reads, so it must equal a recomputation from every act kept.
    await form(5, 'erin@family.test', 'Erin');
    for (const m of [1, 9, 3, 7])
      await browser(m, { type: 'identify', traits: { email: 'erin@family.test' } });
    await browser(6, { type: 'identify', traits: { email: 'frank@family.test' } });
    await form(2, 'erin@family.test', 'Erin'); // an earlier act, arriving last
    const acts = await h.db.execute({
      sql: 'SELECT ts, message_id, persons FROM browser_acts WHERE site_id = ? AND browser = ? ORDER BY ts, message_id',
      args: [h.site.id, 'a:family-pc'],
    });
    const sum = await h.db.execute({
      sql: 'SELECT persons, last_ts, last_message_id FROM browser_act_summary WHERE site_id = ? AND browser = ?',
      args: [h.site.id, 'a:family-pc'],
    });
    expect(acts.rows).toHaveLength(7);
    const named = new Set(
      acts.rows.flatMap((r) => (JSON.parse(String(r.persons)) as [string][]).map(([p]) => p)),
    );
    const last = acts.rows.at(-1)!;
    expect(sum.rows[0]).toMatchObject({
      persons: JSON.stringify([...named].sort()),
      last_ts: Number(last.ts),
      last_message_id: String(last.message_id),
    });
    expect([...named].sort()).toEqual(['e:erin@family.test', 'e:frank@family.test']);
    // Frank's part is where it was cut: his identify at minute 6, Erin's again from minute 7.
    expect((await person('frank@family.test')).id).not.toBe((await person('erin@family.test')).id);
  });

  it('places a late event in the part of the browser its time falls in', async () => {
    await form(1, 'erin@family.test', 'Erin');
    await browser(10, { type: 'identify', traits: { email: 'frank@family.test' } });
    await page(12, '/frank-late');
    await page(5, '/erin-late'); // arrives last, happened before Frank took over
    expect((await person('erin@family.test')).paths).toEqual(['/erin-late']);
    expect((await person('frank@family.test')).paths).toEqual(['/frank-late']);
  });

  it('keeps one person when a logged-in user changes address', async () => {
    await browser(1, { type: 'identify', userId: 'u-ann', traits: { email: 'ann@old.test' } });
    await browser(5, { type: 'identify', userId: 'u-ann', traits: { email: 'ann@new.test' } });
    await page(6, '/after');
    const list = await h.api('/api/profiles');
    expect(list.body.profiles).toHaveLength(1);
    const ann = await person('ann@new.test');
    expect(ann.identifiers).toEqual(
      expect.arrayContaining(['email:ann@old.test', 'email:ann@new.test', 'user:u-ann']),
    );
  });

  it('a different login on the same browser is a different person', async () => {
    await browser(1, { type: 'identify', userId: 'u-erin', traits: { email: 'erin@family.test' } });
    await page(2, '/erin');
    await browser(5, { type: 'identify', userId: 'u-frank', traits: { email: 'frank@family.test' } });
    await page(6, '/frank');
    const erin = await person('erin@family.test');
    const frank = await person('frank@family.test');
    expect(erin.id).not.toBe(frank.id);
    expect(erin.paths).toEqual(['/erin']);
    expect(frank.paths).toEqual(['/frank']);
    expect(frank.identifiers).not.toContain('user:u-erin');
  });
});
