// Table-driven tests of the referral rules (collector/identity/referrals.ts) and their lifecycle evidence.
import { describe, expect, it } from 'vitest';
import { eventIdentity } from '../../collector/identity/identifiers.ts';
import {
  derive,
  type FoldEvent,
  isAdvocate,
  lifecycle,
  type ProfileState,
} from '../../collector/identity/profile.ts';
import {
  type CodeLookups,
  type CreditContext,
  creditFor,
  creditStatuses,
  referralClaim,
  referralEvidence,
  resolveCode,
} from '../../collector/identity/referrals.ts';
import { identitySettings } from '../../collector/identity/rules.ts';
import type { WireEvent } from '../../wire.ts';

const settings = identitySettings(['https://shop.example'], {});
const T = Date.parse('2024-03-01T00:00:00Z');
const min = (m: number) => T + m * 60_000;

type Step =
  | ['land', number, string]
  | ['landFirstTouch', number, string]
  | ['page', number]
  | ['form', number, string]
  | ['identify', number, string]
  | ['pay', number, string];

function ev(step: Step, i: number): FoldEvent {
  const [kind, m] = step;
  const messageId = `m${i}`;
  const base = { messageId, anonymousId: 'A' };
  let raw: WireEvent;
  switch (kind) {
    case 'land': {
      const url = `https://shop.example/?ref=${step[2]}`;
      raw = { ...base, type: 'page', context: { page: { url, referrer: '' }, campaign: { ref: step[2] } } };
      break;
    }
    case 'landFirstTouch': {
      // The widget's stored first touch, carried by a form submitted on the landing page.
      const url = `https://shop.example/?ref=${step[2]}`;
      raw = {
        ...base,
        type: 'track',
        event: 'Form Submitted',
        properties: { fields: { email: 'bob@acme.com' } },
        context: { firstTouch: { at: new Date(min(m)).toISOString(), landingUrl: url, ref: step[2] } },
      };
      break;
    }
    case 'page':
      raw = { ...base, type: 'page', context: { page: { url: 'https://shop.example/', referrer: '' } } };
      break;
    case 'form':
      raw = { ...base, type: 'track', event: 'Form Submitted', properties: { fields: { email: step[2] } } };
      break;
    case 'identify':
      raw = { ...base, type: 'identify', traits: { email: step[2] } };
      break;
    default:
      raw = {
        ...base,
        type: 'track',
        event: 'Order Completed',
        properties: { orderId: step[2], revenue: 10 },
      };
  }
  return {
    messageId,
    type: raw.type,
    event: raw.event ?? null,
    ts: min(m),
    raw,
    identity: eventIdentity(raw, null, settings),
  };
}

function state(steps: Step[]): ProfileState {
  const events = steps.map(ev);
  const keys = new Set(events.flatMap((e) => e.identity.ids.map((i) => i.key)));
  return derive(events, keys, settings);
}

describe('a referral claim: referred at or before becoming a lead', () => {
  it.each<[string, Step[], { code: string; at: number; messageId: string } | null]>([
    [
      'no referral',
      [
        ['page', 0],
        ['form', 1, 'bob@acme.com'],
      ],
      null,
    ],
    ['referred, never a lead', [['land', 0, 'ann-1']], null],
    [
      'referred, then a lead by a form',
      [
        ['land', 0, 'ann-1'],
        ['page', 1],
        ['form', 2, 'bob@acme.com'],
      ],
      { code: 'ann-1', at: min(2), messageId: 'm2' },
    ],
    [
      'referred, then a lead by identify with an email',
      [
        ['land', 0, 'r_abc'],
        ['identify', 3, 'bob@acme.com'],
      ],
      { code: 'r_abc', at: min(3), messageId: 'm1' },
    ],
    [
      'referral and lead in one event (the stored first touch names the ref)',
      [['landFirstTouch', 0, 'ann-1']],
      { code: 'ann-1', at: min(0), messageId: 'm0' },
    ],
    [
      'a lead before the referral earns nothing',
      [
        ['form', 0, 'bob@acme.com'],
        ['land', 1, 'ann-1'],
      ],
      null,
    ],
    [
      'the first referral counts, whatever arrives later',
      [
        ['land', 0, 'ann-1'],
        ['land', 1, 'cat-2'],
        ['form', 2, 'bob@acme.com'],
      ],
      { code: 'ann-1', at: min(2), messageId: 'm2' },
    ],
    [
      'event time decides, not the order given',
      [
        ['form', 2, 'bob@acme.com'],
        ['land', 0, 'ann-1'],
      ],
      { code: 'ann-1', at: min(2), messageId: 'm0' },
    ],
  ])('%s', (_name, steps, want) => {
    expect(referralClaim(state(steps))).toEqual(want);
  });

  it('reads a state stored before referrals were credited (no leadReferredBy) by its referral', () => {
    const p = state([
      ['form', 0, 'bob@acme.com'],
      ['land', 1, 'ann-1'],
    ]);
    delete p.leadReferredBy;
    expect(referralClaim(p)).toEqual({ code: 'ann-1', at: min(0), messageId: 'm0' });
  });
});

describe('what a code resolves to', () => {
  const lookups: CodeLookups = {
    codes: new Map([
      ['r_ann', 'a:ann-browser'],
      ['both', 'u:bound'],
    ]),
    profiles: new Map([
      ['P123', 'a:p-browser'],
      ['both', 'a:profile'],
    ]),
  };
  it.each([
    ['a handed-out code', 'r_ann', { key: 'a:ann-browser', pin: false }],
    ['a profile id, pinned to its oldest identifier', 'P123', { key: 'a:p-browser', pin: true }],
    ['a bound code before a profile id', 'both', { key: 'u:bound', pin: false }],
    ['anything else is the site’s user id', 'ann-1', { key: 'u:ann-1', pin: false }],
  ])('%s', (_name, code, want) => expect(resolveCode(code, lookups)).toEqual(want));
});

describe('the credit', () => {
  const referred = state([
    ['land', 0, 'ann-1'],
    ['form', 1, 'bob@acme.com'],
  ]);
  const none: CodeLookups = { codes: new Map(), profiles: new Map() };
  const browsers: Record<string, string[]> = {
    'P-bob': ['a:B'],
    'P-ann': ['a:A'],
    'P-ann-on-B': ['a:A', 'a:B'],
  };
  const ctx = (holder: string | null, taken = false): CreditContext => ({
    profileOf: () => holder,
    browsersOf: (pid) => new Set(browsers[pid] ?? []),
    contactTaken: () => taken,
  });
  const credit = {
    referredId: 'P-bob',
    referrerKey: 'u:ann-1',
    code: 'ann-1',
    at: min(1),
    messageId: 'm1',
    contact: 'e:bob@acme.com',
  };
  it.each<[string, ProfileState, CreditContext, boolean]>([
    ['to another profile', referred, ctx('P-ann'), true],
    ['while no profile holds the referrer’s identifier yet (it waits)', referred, ctx(null), true],
    ['to the visitor’s own profile: ignored', referred, ctx('P-bob'), false],
    ['from a browser the referrer uses: refused', referred, ctx('P-ann-on-B'), false],
    ['with a contact another credited lead used: refused', referred, ctx('P-ann', true), false],
    [
      'a lead without a contact identifier earns nothing',
      state([
        ['land', 0, 'ann-1'],
        ['identify', 1, 'not-an-address'],
      ]),
      ctx('P-ann'),
      false,
    ],
  ])('%s', (_name, p, c, credited) => {
    expect(creditFor('P-bob', p, none, c)).toEqual(credited ? credit : null);
  });
});

describe('the daily limit and reviews', () => {
  const c = (m: number, id: string, review: 'approved' | 'rejected' | null = null) => ({
    referredId: `P-${id}`,
    at: min(m),
    messageId: id,
    review,
  });
  it.each<[string, ReturnType<typeof c>[], number, Record<string, string>]>([
    [
      'up to the limit per day counts',
      [c(1, 'a'), c(2, 'b'), c(3, 'c')],
      2,
      { a: 'credited', b: 'credited', c: 'review' },
    ],
    [
      'a new UTC day starts a new count',
      [c(1, 'a'), c(2, 'b'), c(24 * 60 + 1, 'c')],
      2,
      { a: 'credited', b: 'credited', c: 'credited' },
    ],
    [
      'evidence order, not arrival order',
      [c(3, 'c'), c(2, 'b'), c(1, 'a')],
      1,
      { a: 'credited', b: 'review', c: 'review' },
    ],
    [
      'an approval counts over the limit',
      [c(1, 'a'), c(2, 'b', 'approved')],
      1,
      { a: 'credited', b: 'credited' },
    ],
    [
      'a rejection never counts and frees its place',
      [c(1, 'a', 'rejected'), c(2, 'b')],
      1,
      { a: 'rejected', b: 'credited' },
    ],
    ['a self-credit is left out', [c(1, 'ann'), c(2, 'b')], 1, { b: 'credited' }],
  ])('%s', (_name, credits, limit, want) => {
    expect(Object.fromEntries(creditStatuses('P-ann', credits, limit))).toEqual(want);
    expect(referralEvidence('P-ann', credits, limit).map((e) => e.messageId)).toEqual(
      Object.entries(want)
        .filter(([, s]) => s === 'credited')
        .map(([id]) => id)
        .sort(
          (x, y) => credits.find((k) => k.messageId === x)!.at - credits.find((k) => k.messageId === y)!.at,
        ),
    );
  });
});

describe('loyal from a credited referral', () => {
  const reach = state([['page', 0]]);
  const paying = state([
    ['page', 0],
    ['pay', 2, 'o1'],
  ]);
  const payingLate = state([
    ['page', 0],
    ['pay', 8, 'o1'],
  ]);
  const credit = (id: string, m: number, msg: string) => ({
    referredId: id,
    at: min(m),
    messageId: msg,
    review: null,
  });

  it.each<[string, ProfileState, ReturnType<typeof credit>[], string, string | null, boolean]>([
    [
      'a referrer who never paid is an advocate, not loyal',
      reach,
      [credit('P-bob', 5, 'bob-form')],
      'reach',
      null,
      true,
    ],
    [
      'a paying referrer becomes loyal with the credit',
      paying,
      [credit('P-bob', 5, 'bob-form')],
      'loyal',
      'bob-form',
      false,
    ],
    [
      'a credit before the first payment makes loyal at the payment',
      payingLate,
      [credit('P-bob', 5, 'bob-form')],
      'loyal',
      'm1',
      false,
    ],
    [
      'the earliest credit is the evidence',
      paying,
      [credit('P-cat', 9, 'cat-form'), credit('P-bob', 5, 'bob-form')],
      'loyal',
      'bob-form',
      false,
    ],
    ['a credit from itself never counts', paying, [credit('P-ann', 5, 'x')], 'customer', null, false],
    [
      'a third payment earlier than the credit stays the evidence',
      state([
        ['page', 0],
        ['pay', 1, 'o1'],
        ['pay', 2, 'o2'],
        ['pay', 3, 'o3'],
      ]),
      [credit('P-bob', 5, 'bob-form')],
      'loyal',
      'm3',
      false,
    ],
    ['no credit, no loyal', paying, [], 'customer', null, false],
  ])('%s', (_name, p, credits, stage, evidence, advocate) => {
    const ev = referralEvidence('P-ann', credits, 5);
    const { stage: got, history } = lifecycle(p, null, ev);
    expect(got).toBe(stage);
    expect(isAdvocate(p, ev)).toBe(advocate);
    const loyal = history.find((h) => h.stage === 'loyal' && !h.skipped);
    expect(loyal?.messageId ?? null).toBe(evidence);
    if (stage === 'loyal' && evidence !== 'm3') {
      expect(loyal!.rule).toMatch(/^referral: referred visitor P-bob became a lead/);
      // Loyal never skips customer: it needs a payment.
      expect(history.some((h) => h.stage === 'customer' && !h.skipped)).toBe(true);
    }
  });

  it('a manual stage holds until the credit moves a paying profile past it', () => {
    const over = { stage: 'lead' as const, reason: 'call', at: min(1) };
    const { stage, history } = lifecycle(
      paying,
      over,
      referralEvidence('P-ann', [credit('P-bob', 5, 'b')], 5),
    );
    expect(stage).toBe('loyal');
    expect(history.map((h) => [h.stage, !!h.manual, !!h.skipped])).toEqual([
      ['reach', false, false],
      ['lead', true, false],
      ['qualified', false, true],
      ['customer', false, false],
      ['retained', false, true],
      ['loyal', false, false],
    ]);
  });
});
