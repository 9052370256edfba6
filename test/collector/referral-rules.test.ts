// Table-driven tests of the referral rules (collector/identity/referrals.ts) and their lifecycle evidence.
import { describe, expect, it } from 'vitest';
import { eventIdentity } from '../../collector/identity/identifiers.ts';
import { derive, type FoldEvent, lifecycle, type ProfileState } from '../../collector/identity/profile.ts';
import {
  type CodeLookups,
  creditFor,
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
  it.each<[string, string | null, boolean]>([
    ['to another profile', 'P-ann', true],
    ['while no profile holds the referrer’s identifier yet (it waits)', null, true],
    ['to the visitor’s own profile: ignored', 'P-bob', false],
  ])('%s', (_name, holder, credited) => {
    const c = creditFor('P-bob', referred, none, () => holder);
    expect(c).toEqual(
      credited
        ? { referredId: 'P-bob', referrerKey: 'u:ann-1', code: 'ann-1', at: min(1), messageId: 'm1' }
        : null,
    );
  });
});

describe('loyal from a credited referral', () => {
  const reach = state([['page', 0]]);
  const credit = (id: string, m: number, msg: string) => ({ referredId: id, at: min(m), messageId: msg });

  it.each<[string, ProfileState, ReturnType<typeof credit>[], string, string | null]>([
    ['a reach profile jumps to loyal', reach, [credit('P-bob', 5, 'bob-form')], 'loyal', 'bob-form'],
    [
      'the earliest credit is the evidence',
      reach,
      [credit('P-cat', 9, 'cat-form'), credit('P-bob', 5, 'bob-form')],
      'loyal',
      'bob-form',
    ],
    ['a credit from itself never counts', reach, [credit('P-ann', 5, 'x')], 'reach', null],
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
    ],
    ['no credit, no loyal', reach, [], 'reach', null],
  ])('%s', (_name, p, credits, stage, evidence) => {
    const { stage: got, history } = lifecycle(p, null, referralEvidence('P-ann', credits));
    expect(got).toBe(stage);
    const loyal = history.find((h) => h.stage === 'loyal' && !h.skipped);
    expect(loyal?.messageId ?? null).toBe(evidence);
    if (stage === 'loyal' && evidence !== 'm3') {
      expect(loyal!.rule).toMatch(/^referral: referred visitor P-bob became a lead/);
      expect(history.filter((h) => h.skipped).map((h) => h.stage)).toEqual([
        'lead',
        'qualified',
        'customer',
        'retained',
      ]);
    }
  });

  it('a manual stage holds until the credit moves the profile past it', () => {
    const over = { stage: 'lead' as const, reason: 'call', at: min(2) };
    const { stage, history } = lifecycle(reach, over, referralEvidence('P-ann', [credit('P-bob', 5, 'b')]));
    expect(stage).toBe('loyal');
    expect(history.map((h) => [h.stage, !!h.manual, !!h.skipped])).toEqual([
      ['reach', false, false],
      ['lead', true, false],
      ['qualified', false, true],
      ['customer', false, true],
      ['retained', false, true],
      ['loyal', false, false],
    ]);
  });
});
