// Table-driven tests of the pure identity, attribution and lifecycle rules (collector/identity/).
import { describe, expect, it } from 'vitest';
import { classify, eventTouches } from '../../collector/identity/channels.ts';
import { type GraphLink, type GraphNode, resolveGraph } from '../../collector/identity/graph.ts';
import { eventIdentity, normalisePhone } from '../../collector/identity/identifiers.ts';
import { derive, type FoldEvent, lifecycle, stageTimes } from '../../collector/identity/profile.ts';
import { blockReason, identitySettings } from '../../collector/identity/rules.ts';
import type { WireEvent } from '../../wire.ts';

const settings = identitySettings(['https://shop.example'], {});

describe('blocked values', () => {
  it.each([
    ['user', '0', true],
    ['user', '-1', true],
    ['user', 'null', true],
    ['user', 'undefined', true],
    ['anonymous', 'anonymous', true],
    ['user', '[object Object]', true],
    ['user', '', true],
    ['email', 'info@acme.com', true],
    ['email', 'sales+eu@acme.com', true],
    ['email', 'no-reply@acme.com', true],
    ['email', 'noreply@acme.com', true],
    ['email', 'ada@shop.example', true],
    ['email', 'ada@eu.shop.example', true],
    ['email', 'ada@acme.com', false],
    ['user', 'u_123', false],
  ])('%s %j blocked: %s', (kind, value, blocked) => {
    expect(blockReason(kind, value, settings) !== null).toBe(blocked);
  });

  it('takes extra values and role mailboxes from the site settings', () => {
    const s = identitySettings([], { identity: { blockedValues: ['guest'], roleMailboxes: ['orders'] } });
    expect(blockReason('user', 'Guest', s)).toContain('placeholder');
    expect(blockReason('email', 'orders@acme.com', s)).toContain('role mailbox');
  });

  it('keeps a blocked value out of the links and reports it', () => {
    const e = {
      type: 'identify',
      messageId: 'm',
      anonymousId: 'A',
      userId: '0',
      traits: { email: 'info@acme.com' },
    } as WireEvent;
    const id = eventIdentity(e, null, settings);
    expect(id.ids.map((i) => i.key)).toEqual(['a:A']);
    expect(id.owner).toBe('a:A');
    expect(id.blocked.map((b) => b.value)).toEqual(['0', 'info@acme.com']);
  });
});

describe('identifiers', () => {
  it.each([
    ['+44 20 7946 0958', '+442079460958'],
    ['0044 (20) 7946-0958', '+442079460958'],
    ['020 7946 0958', null],
    ['+1', null],
  ])('phone %j → %j', (input, out) => expect(normalisePhone(input)).toBe(out));

  it.each([
    [
      'identify sent with the secret key: user and email verified',
      'secret',
      { 'u:u1': true, 'e:ada@acme.com': true },
    ],
    ['identify with an HMAC: only the user id verified', 'hmac', { 'u:u1': true, 'e:ada@acme.com': false }],
    [
      'identify from the page: everything claimed, and the event stays with its browser',
      null,
      { 'u:u1': false, 'e:ada@acme.com': false },
    ],
    [
      'track sent with the secret key: verified too',
      'secret',
      { 'u:u1': true, 'e:ada@acme.com': true },
      'track',
    ],
    [
      'track with an HMAC: claimed, and the event stays with its browser',
      'hmac',
      { 'u:u1': false, 'e:ada@acme.com': false },
      'track',
    ],
  ] as const)('%s', (_name, proof, want, type: string = 'identify') => {
    const e = {
      type,
      event: 'Signed Up',
      context: { traits: { email: 'Ada@Acme.com' } },
      messageId: 'm',
      anonymousId: 'A',
      userId: 'u1',
      traits: { email: 'Ada@Acme.com', phone: '+442079460958', stripe_customer_id: 'cus_1' },
    } as WireEvent;
    const id = eventIdentity(e, proof, settings);
    // A user id owns the event only when it is verified; a claimed one leaves it with the browser.
    const owner = want['u:u1'] ? 'u:u1' : 'a:A';
    expect(id.owner).toBe(owner);
    expect(id.ids.map((i) => i.key)).toEqual([
      owner,
      owner === 'u:u1' ? 'a:A' : 'u:u1',
      'e:ada@acme.com',
      'p:+442079460958',
      'b:cus_1',
    ]);
    for (const [k, v] of Object.entries(want)) expect(id.ids.find((i) => i.key === k)?.verified).toBe(v);
  });
});

const node = (key: string, verified = false): GraphNode => ({ key, verified, sharedAt: null });
let seq = 0;
const link = (a: string, b: string, ts: number, over: Partial<GraphLink> = {}): GraphLink => ({
  id: `l${++seq}`,
  a,
  b,
  rule: 'test',
  messageId: `m${ts}`,
  ts,
  verified: false,
  decision: null,
  revokedAt: null,
  ...over,
});
const sorted = (groups: string[][]) =>
  groups.map((g) => [...g].sort()).sort((x, y) => (x[0] < y[0] ? -1 : 1));
const G = { sharedLimit: 3, sharedWindowDays: 30 };

describe('identity graph rules', () => {
  it.each([
    {
      name: 'a login links the browser to the user',
      nodes: ['a:A', 'u:u1'],
      links: [['a:A', 'u:u1', 1]],
      profiles: [['a:A', 'u:u1']],
      statuses: ['active'],
    },
    {
      name: 'shared device: the second person to log in on a browser keeps a profile of their own',
      nodes: ['a:A', 'u:ann', 'u:bob'],
      links: [
        ['a:A', 'u:ann', 1],
        ['a:A', 'u:bob', 2],
      ],
      // The browser's part from Bob's login on is his: later events there go to him.
      profiles: [
        ['a:A', 'u:ann'],
        ['s:A~m2', 'u:bob'],
      ],
      statuses: ['active', 'active'],
    },
    {
      name: 'shared device: without logins, a second person is a different email on the browser',
      nodes: ['a:A', 'e:erin@acme.com', 'e:frank@acme.com'],
      links: [
        ['a:A', 'e:erin@acme.com', 1],
        ['a:A', 'e:frank@acme.com', 2],
      ],
      profiles: [
        ['a:A', 'e:erin@acme.com'],
        ['e:frank@acme.com', 's:A~m2'],
      ],
      statuses: ['active', 'active'],
    },
    {
      name: 'shared device: whoever identified last owns the browser, and a return is found again',
      nodes: ['a:A', 'e:erin@acme.com', 'e:frank@acme.com'],
      links: [
        ['a:A', 'e:erin@acme.com', 1],
        ['a:A', 'e:frank@acme.com', 2],
        ['a:A', 'e:erin@acme.com', 3],
      ],
      profiles: [
        ['a:A', 'e:erin@acme.com', 's:A~m3'],
        ['e:frank@acme.com', 's:A~m2'],
      ],
      statuses: ['active', 'active', 'active'],
    },
    {
      name: 'the same user id with a new email is the same person (an address change)',
      nodes: ['a:A', 'u:ann', 'e:ann@old.test', 'e:ann@new.test'],
      links: [
        ['a:A', 'u:ann', 1],
        ['a:A', 'e:ann@old.test', 1],
        ['a:A', 'u:ann', 2],
        ['a:A', 'e:ann@new.test', 2],
      ],
      profiles: [['a:A', 'e:ann@new.test', 'e:ann@old.test', 'u:ann']],
      statuses: ['active', 'active', 'active', 'active'],
    },
    {
      name: 'two components with different user ids never merge through an email',
      nodes: ['u:ann', 'u:bob', 'e:x@acme.com'],
      links: [
        ['u:ann', 'e:x@acme.com', 1],
        ['u:bob', 'e:x@acme.com', 2],
      ],
      profiles: [['e:x@acme.com', 'u:ann'], ['u:bob']],
      statuses: ['active', 'conflict'],
    },
    {
      name: 'two browsers with the same form email merge',
      nodes: ['a:A', 'a:B', 'e:ada@acme.com'],
      links: [
        ['a:A', 'e:ada@acme.com', 1],
        ['a:B', 'e:ada@acme.com', 2],
      ],
      profiles: [['a:A', 'a:B', 'e:ada@acme.com']],
      statuses: ['active', 'active'],
    },
    {
      name: "shared inbox: a family address typed on two people's browsers is a person of its own",
      nodes: [['e:ann@acme.com', true], ['e:bob@acme.com', true], 'a:A', 'a:B', 'e:family@acme.com'],
      links: [
        // each person's own browser, linked by their site's server (verified)
        ['a:A', 'e:ann@acme.com', 1, true],
        ['a:B', 'e:bob@acme.com', 2, true],
        ['a:A', 'e:family@acme.com', 3],
        ['a:B', 'e:family@acme.com', 4],
      ],
      profiles: [
        ['a:A', 'e:ann@acme.com'],
        ['a:B', 'e:bob@acme.com'],
        ['e:family@acme.com', 's:A~m3', 's:B~m4'],
      ],
      statuses: ['active', 'active', 'active', 'active'],
    },
    {
      name: 'shared phone: a claimed identifier joining two verified people becomes a proposal',
      nodes: [['e:ann@acme.com', true], ['e:bob@acme.com', true], 'a:A', 'a:B', 'p:+442079460958'],
      links: [
        ['a:A', 'e:ann@acme.com', 1, true],
        ['a:B', 'e:bob@acme.com', 2, true],
        ['a:A', 'p:+442079460958', 3],
        ['a:B', 'p:+442079460958', 4],
      ],
      profiles: [
        ['a:A', 'e:ann@acme.com', 'p:+442079460958'],
        ['a:B', 'e:bob@acme.com'],
      ],
      statuses: ['active', 'active', 'active', 'proposal'],
    },
    {
      name: 'hijack: a browser claiming a verified user id stays its own profile, as a proposal',
      nodes: [['u:cust-ada-7', true], 'a:ada', 'a:mallory', 'e:mallory@evil.test'],
      links: [
        ['a:ada', 'u:cust-ada-7', 1, true],
        ['a:mallory', 'u:cust-ada-7', 2],
        ['a:mallory', 'e:mallory@evil.test', 2],
      ],
      profiles: [
        ['a:ada', 'u:cust-ada-7'],
        ['a:mallory', 'e:mallory@evil.test'],
      ],
      statuses: ['active', 'proposal', 'active'],
    },
    {
      name: 'a claimed form email that a server verified for someone else does not merge into them',
      nodes: [['e:ada@acme.com', true], 'u:ada', 'a:stranger'],
      links: [
        ['u:ada', 'e:ada@acme.com', 1, true],
        ['a:stranger', 'e:ada@acme.com', 2],
      ],
      profiles: [['e:ada@acme.com', 'u:ada'], ['a:stranger']],
      statuses: ['active', 'proposal'],
    },
    {
      name: 'a claim of a verified id is no proposal once a proven link already joined the two',
      nodes: [['u:u1', true], 'a:A'],
      links: [
        ['a:A', 'u:u1', 5],
        ['a:A', 'u:u1', 1, true],
      ],
      profiles: [['a:A', 'u:u1']],
      statuses: ['active', 'active'],
    },
    {
      name: 'a claim that came before the proof is no proposal once the proof joins the two',
      nodes: [['u:u1', true], 'a:A'],
      links: [
        ['a:A', 'u:u1', 1],
        ['a:A', 'u:u1', 5, true],
      ],
      profiles: [['a:A', 'u:u1']],
      statuses: ['active', 'active'],
    },
    {
      name: 'an identifier joining more than 3 people in 30 days is quarantined and links nothing',
      nodes: ['a:A', 'a:B', 'a:C', 'a:D', 'e:desk@acme.com'],
      links: ['a:A', 'a:B', 'a:C', 'a:D'].map((a, i) => [a, 'e:desk@acme.com', i + 1]),
      profiles: [['a:A'], ['a:B'], ['a:C'], ['a:D'], ['e:desk@acme.com']],
      statuses: ['quarantined', 'quarantined', 'quarantined', 'quarantined'],
    },
    {
      name: 'the same identifier over more than 30 days is not shared',
      nodes: ['a:A', 'a:B', 'a:C', 'a:D', 'e:me@acme.com'],
      links: ['a:A', 'a:B', 'a:C', 'a:D'].map((a, i) => [a, 'e:me@acme.com', i * 20 * 86_400_000]),
      profiles: [['a:A', 'a:B', 'a:C', 'a:D', 'e:me@acme.com']],
      statuses: ['active', 'active', 'active', 'active'],
    },
    {
      name: 'a user id on many browsers is one person, not shared',
      nodes: ['a:A', 'a:B', 'a:C', 'a:D', 'u:u1'],
      links: ['a:A', 'a:B', 'a:C', 'a:D'].map((a, i) => [a, 'u:u1', i + 1]),
      profiles: [['a:A', 'a:B', 'a:C', 'a:D', 'u:u1']],
      statuses: ['active', 'active', 'active', 'active'],
    },
  ])('$name', ({ nodes, links, profiles, statuses }) => {
    const ns = nodes.map((n) => (Array.isArray(n) ? node(n[0] as string, n[1] as boolean) : node(n)));
    const ls = links.map(([a, b, ts, verified]) =>
      link(a as string, b as string, ts as number, { verified: verified === true }),
    );
    const r = resolveGraph(ns, ls, G);
    expect(sorted(r.profiles)).toEqual(sorted(profiles));
    expect(ls.map((l) => r.status.get(l.id))).toEqual(statuses);
    // The decision depends on the links, not on the order they are handed in.
    const again = resolveGraph([...ns].reverse(), [...ls].reverse(), G);
    expect(sorted(again.profiles)).toEqual(sorted(profiles));
  });

  it('a manual or accepted link joins what the rules refused; a revoked one joins nothing', () => {
    const ns = ['a:A', 'u:ann', 'u:bob'].map((k) => node(k));
    const forced = resolveGraph(
      ns,
      [link('u:ann', 'a:A', 1), link('u:bob', 'a:A', 2, { decision: 'manual' })],
      G,
    );
    expect(forced.profiles).toHaveLength(1);
    const revoked = resolveGraph(ns, [link('u:ann', 'a:A', 1, { revokedAt: 5 })], G);
    expect(revoked.profiles).toHaveLength(3);
  });
});

describe('channels (rule table v1)', () => {
  it.each([
    [{}, 'Direct', 'v1.direct'],
    [{ referrer: 'https://www.google.com/' }, 'Organic Search', 'v1.search-referrer'],
    [{ gclid: 'x' }, 'Paid Search', 'v1.search-click-id'],
    [{ source: 'google', medium: 'cpc' }, 'Paid Search', 'v1.paid-search-utm'],
    [{ source: 'facebook', medium: 'paid-social' }, 'Paid Social', 'v1.paid-social-utm'],
    [{ referrer: 'https://t.co/abc' }, 'Organic Social', 'v1.social-referrer'],
    [{ referrer: 'https://l.facebook.com/' }, 'Organic Social', 'v1.social-referrer'],
    [{ source: 'newsletter', medium: 'email' }, 'Email', 'v1.email-utm'],
    [{ referrer: 'https://blog.example/post' }, 'Referral', 'v1.referrer'],
    [{ ref: 'ANN10' }, 'Affiliate/Referral program', 'v1.ref-code'],
    [{ source: 'podcast', campaign: 'spring' }, 'Other campaigns', 'v1.other-utm'],
  ])('%j → %s', (t, channel, ruleId) => {
    expect(classify({ at: '2024-01-01T00:00:00Z', ...t })).toMatchObject({
      channel,
      ruleId,
      rulesVersion: 1,
    });
  });

  it.each([
    ['a page reached from the site itself', 'https://shop.example/pricing', 0],
    ['a return from the checkout', 'https://checkout.stripe.com/c/pay', 0],
    ['an outside referrer', 'https://blog.example/', 1],
    ['no referrer (typed or bookmarked)', '', 1],
  ])('%s is %i touch(es)', (_n, referrer, count) => {
    const e = {
      type: 'page',
      messageId: 'm',
      anonymousId: 'A',
      context: { page: { url: 'https://shop.example/', referrer } },
    } as WireEvent;
    expect(eventTouches(e, 1, 'm', settings)).toHaveLength(count);
  });
});

const fe = (ts: number, over: Partial<WireEvent>): FoldEvent => {
  const raw = { type: 'track', messageId: `m${ts}`, anonymousId: 'A', ...over } as WireEvent;
  return {
    messageId: raw.messageId,
    type: raw.type,
    event: raw.event ?? null,
    ts,
    raw,
    identity: eventIdentity(raw, null, settings),
  };
};

describe('lifecycle', () => {
  const keys = new Set(['a:A', 'e:ada@acme.com']);
  it('records each stage with its evidence and skipped stages as skipped', () => {
    const p = derive(
      [
        fe(1, { type: 'page', context: { page: { url: 'https://shop.example/', referrer: '' } } }),
        fe(2, { type: 'identify', traits: { email: 'ada@acme.com' } }),
        fe(3, { event: 'Order Completed', properties: { orderId: 'o1', revenue: 10 } }),
      ],
      keys,
      settings,
    );
    const h = lifecycle(p, null).history;
    expect(h.map((x) => [x.stage, x.at, !!x.skipped])).toEqual([
      ['reach', 1, false],
      ['lead', 2, false],
      ['qualified', 3, true],
      ['customer', 3, false],
    ]);
    expect(lifecycle(p, null).stage).toBe('customer');
  });

  it('goes back when the only payment is refunded', () => {
    const p = derive(
      [
        fe(1, { event: 'Order Completed', properties: { orderId: 'o1' } }),
        fe(2, { event: 'Order Refunded', properties: { orderId: 'o1' } }),
      ],
      keys,
      settings,
    );
    expect(lifecycle(p, null).stage).toBe('reach');
  });

  it('qualifies at the site threshold from the configured weights', () => {
    const s = identitySettings([], { score: { threshold: 20, pricingView: 10 } });
    const pricing = (ts: number) =>
      fe(ts, {
        type: 'page',
        context: {
          page: { url: 'https://shop.example/pricing', path: '/pricing', referrer: 'https://shop.example/' },
        },
      });
    const p = derive([pricing(1), pricing(2), pricing(3)], keys, s);
    expect(p.qualified).toMatchObject({ at: 2 });
    expect(lifecycle(p, null).stage).toBe('qualified');
  });

  describe('stageTimes: when qualified, retained and loyal were entered (the overview medians)', () => {
    const s = identitySettings([], { score: { threshold: 20, pricingView: 10 } });
    const pricing = (ts: number) =>
      fe(ts, { type: 'page', context: { page: { url: 'https://shop.example/pricing', path: '/pricing' } } });
    const lead = fe(1, { type: 'identify', traits: { email: 'ada@acme.com' } });
    const order = (ts: number, id: string) =>
      fe(ts, { event: 'Order Completed', properties: { orderId: id } });
    const times = (events: FoldEvent[], override: Parameters<typeof lifecycle>[1] = null) => {
      const { stage, history } = lifecycle(derive(events, keys, s), override);
      return { stage, ...stageTimes(stage, history) };
    };

    it('each stage at the evidence that moved the profile there', () => {
      expect(times([lead, pricing(2), pricing(3), order(5, 'a'), order(7, 'b'), order(9, 'c')])).toEqual({
        stage: 'loyal',
        qualifiedAt: 3,
        retainedAt: 7,
        loyalAt: 9,
      });
    });

    it('a skipped stage has no time of its own; a stage not reached has none', () => {
      expect(times([lead, order(5, 'a'), order(7, 'b')])).toEqual({
        stage: 'retained',
        qualifiedAt: null,
        retainedAt: 7,
        loyalAt: null,
      });
    });

    it('a stage set by hand is entered when it was set; a refund that takes a stage away takes its time', () => {
      expect(times([lead], { stage: 'qualified', reason: 'call', at: 4 })).toMatchObject({ qualifiedAt: 4 });
      const refunded = times([
        lead,
        order(5, 'a'),
        order(7, 'b'),
        fe(8, { event: 'Order Refunded', properties: { orderId: 'b' } }),
      ]);
      expect(refunded).toEqual({ stage: 'customer', qualifiedAt: null, retainedAt: null, loyalAt: null });
    });
  });

  it('keeps a manual stage until later evidence moves past it', () => {
    const p = derive([fe(1, { type: 'identify', traits: { email: 'ada@acme.com' } })], keys, settings);
    expect(lifecycle(p, { stage: 'qualified', reason: 'call went well', at: 5 }).stage).toBe('qualified');
    expect(lifecycle(p, { stage: 'reach', reason: 'test account', at: 5 }).stage).toBe('reach');
    const paid = derive(
      [
        fe(1, { type: 'identify', traits: { email: 'ada@acme.com' } }),
        fe(9, { event: 'Order Completed', properties: { orderId: 'o' } }),
      ],
      keys,
      settings,
    );
    expect(lifecycle(paid, { stage: 'reach', reason: 'test', at: 5 }).stage).toBe('customer');
  });
});
