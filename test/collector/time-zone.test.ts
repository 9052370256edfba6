// A site's report time zone: every report reads its date-only ranges as whole days in that zone. At any
// instant, Kiritimati (UTC+14) and Pago Pago (UTC−11) are on different dates, so an event "now" belongs to a
// different day depending on the zone: the reports must follow the site's setting.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  dayOf,
  midnight,
  nextDay,
  offsetAt,
  offsetStretches,
  reportRange,
} from '../../collector/reports/zone.ts';
import { type Harness, harness } from './harness.ts';

const EAST = 'Pacific/Kiritimati';
const WEST = 'Pacific/Pago_Pago';
const HOUR = 3_600_000;

describe('zone arithmetic', () => {
  it('finds local midnights and days across a daylight-saving change', () => {
    // New York springs forward on 2026-03-08 at 02:00 and falls back on 2026-11-01 at 02:00.
    expect(new Date(midnight('America/New_York', '2026-03-08')).toISOString()).toBe(
      '2026-03-08T05:00:00.000Z',
    );
    expect(new Date(midnight('America/New_York', '2026-03-09')).toISOString()).toBe(
      '2026-03-09T04:00:00.000Z',
    );
    expect(new Date(midnight('America/New_York', '2026-11-02')).toISOString()).toBe(
      '2026-11-02T05:00:00.000Z',
    );
    expect(dayOf('America/New_York', Date.parse('2026-11-02T04:30:00Z'))).toBe('2026-11-01');
    expect(offsetAt('Asia/Kolkata', Date.parse('2026-06-01T00:00:00Z'))).toBe(5.5 * HOUR);
    expect(nextDay('2028-02-28')).toBe('2028-02-29');
  });

  it('splits a range where the offset changes, to the second', () => {
    const start = midnight('America/New_York', '2026-10-31');
    const end = midnight('America/New_York', '2026-11-03');
    const parts = offsetStretches('America/New_York', start, end);
    expect(parts.map((p) => [new Date(p.from).toISOString(), p.offset / HOUR])).toEqual([
      ['2026-10-31T04:00:00.000Z', -4],
      ['2026-11-01T06:00:00.000Z', -5],
    ]);
    // inside each stretch, (t + offset) / DAY is the local day
    for (const p of parts)
      for (let t = p.from; t < p.to; t += HOUR)
        expect(
          new Date(Math.floor((t + p.offset) / 86_400_000) * 86_400_000).toISOString().slice(0, 10),
        ).toBe(dayOf('America/New_York', t));
    expect(offsetStretches('UTC', 0, 10)).toEqual([{ from: 0, to: 10, offset: 0 }]);
  });

  it('reads ranges: inclusive local days, a default ending today in the zone, bad values named', () => {
    const now = Date.parse('2026-11-27T22:00:00Z'); // already the 28th in Auckland
    const r = reportRange('Pacific/Auckland', undefined, undefined, 30, now);
    expect(r).toMatchObject({ toDay: '2026-11-28', fromDay: '2026-10-30' });
    expect(reportRange('UTC', 'nope', undefined, 30, now)).toEqual({ field: 'from' });
    expect(reportRange('UTC', undefined, '2026-13-01', 30, now)).toEqual({ field: 'to' });
    expect(reportRange('UTC', undefined, '+275760-09-13T00:00:00.000Z', 30, now)).toEqual({ field: 'to' });
    expect(reportRange('UTC', '-271821-04-20T00:00:00.000Z', undefined, 30, now)).toEqual({ field: 'from' });
  });
});

describe('reports follow the site time zone', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(() => h.close());

  async function paidNow() {
    const at = new Date().toISOString();
    const res = await h.post('/v1/batch', {
      writeKey: h.site.secretKey,
      batch: [
        {
          type: 'page',
          messageId: 'tz-1',
          anonymousId: 'tz-visitor',
          timestamp: at,
          context: { page: { url: 'https://shop.example/?utm_source=news&utm_campaign=tz' } },
        },
        {
          type: 'identify',
          messageId: 'tz-2',
          anonymousId: 'tz-visitor',
          timestamp: at,
          traits: { email: 'zoe@example.com' },
        },
        {
          type: 'track',
          event: 'Payment Succeeded',
          messageId: 'tz-3',
          anonymousId: 'tz-visitor',
          timestamp: at,
          properties: { payment_id: 'pi_tz', amount: 40, currency: 'USD' },
        },
      ],
    });
    expect(res.status).toBe(200);
    return Date.parse(at);
  }

  const setZone = (timeZone: string) =>
    h.api(`/api/sites/${h.site.id}/settings`, {
      method: 'PUT',
      body: JSON.stringify({ reports: { timeZone } }),
    });

  async function reports(day: string) {
    const q = `from=${day}&to=${day}&site=${h.site.id}`;
    const overview = (await h.api(`/api/overview?${q}`)).body;
    const attribution = (await h.api(`/api/attribution?${q}`)).body;
    const ltv = (await h.api(`/api/attribution/ltv?${q}`)).body;
    const profiles = (await h.api(`/api/profiles?reached=customer&${q}`)).body;
    return {
      reach: overview.funnel[0].count,
      customers: overview.days.reduce((n: number, d: { customers: number }) => n + d.customers, 0),
      attributed: attribution.models.firstTouch.reduce(
        (n: number, r: { customers: number }) => n + r.customers,
        0,
      ),
      acquired: ltv.rows.reduce((n: number, r: { profiles: number }) => n + r.profiles, 0),
      listed: profiles.profiles.length,
      zones: [overview.timeZone, attribution.timeZone, ltv.timeZone],
    };
  }

  it('answers hostile ranges with a 400 naming the field, in a zone with daylight saving too', async () => {
    await setZone('America/New_York');
    const bad = [
      '2026-02-30',
      '2026-13-01',
      '+275760-09-13T00:00:00.000Z',
      '-271821-04-20T00:00:00.000Z',
      'x',
    ];
    for (const path of ['/api/overview', '/api/attribution', '/api/attribution/ltv', '/api/profiles'])
      for (const field of ['from', 'to'])
        for (const value of bad) {
          const res = await h.api(`${path}?site=${h.site.id}&${field}=${encodeURIComponent(value)}`);
          expect([200, 400], `${path} ${field}=${value}`).toContain(res.status);
          if (res.status === 400) expect(res.body.error.field).toBe(field);
        }
  });

  it('counts a payment made now on the day it is in the site zone, in every report', async () => {
    const at = await paidNow();
    const east = dayOf(EAST, at);
    const west = dayOf(WEST, at);
    expect(east).not.toBe(west);

    const none = { reach: 0, customers: 0, attributed: 0, acquired: 0, listed: 0 };
    for (const [zone, day, other] of [
      [EAST, east, west],
      [WEST, west, east],
    ]) {
      expect((await setZone(zone)).status).toBe(200);
      expect(await reports(day)).toEqual({
        ...none,
        reach: 1,
        customers: 1,
        attributed: 1,
        acquired: 1,
        listed: 1,
        zones: [zone, zone, zone],
      });
      expect(await reports(other)).toMatchObject(none);
      // The default range ends today in the zone and includes the payment.
      const plain = (await h.api(`/api/overview?site=${h.site.id}`)).body;
      expect(plain.to).toBe(day);
      expect(plain.days.at(-1)).toMatchObject({ day, customers: 1 });
    }
  });
});
