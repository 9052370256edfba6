import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { Ev } from '../../widget/core/queue.ts';
import { cleanPage, fresh, mockCollector, stored } from './helpers.ts';

const ev = (n: number, extra: Partial<Ev> = {}): Ev => ({
  type: 'track',
  event: `E${n}`,
  messageId: `m${n}`,
  anonymousId: 'a',
  ...extra,
});

async function withQueued(n: number) {
  const m = await fresh();
  m.queue.load();
  for (let i = 0; i < n; i++) m.queue.push(ev(i));
  return m;
}
const ids = (q: Ev[]) => q.map((e) => e.messageId);

beforeEach(() => {
  cleanPage();
  vi.spyOn(Math, 'random').mockReturnValue(0); // no jitter: back-off delays are exact
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('flush and the reply', () => {
  test('POSTs a text/plain batch (no preflight) to {api}/v1/batch with writeKey and sentAt', async () => {
    const c = mockCollector();
    const { transport } = await withQueued(2);
    await transport.flush();
    expect(c.fetch).toHaveBeenCalledOnce();
    const [url, init] = c.fetch.mock.calls[0];
    expect(url).toBe('https://collector.test/v1/batch');
    expect(init.method).toBe('POST');
    expect(typeof init.body).toBe('string'); // fetch sends a string as text/plain;charset=UTF-8
    expect(init.headers).toBeUndefined(); // a custom header would trigger a CORS preflight
    expect(init.keepalive).toBe(true); // small enough to outlive the page
    const body = c.sent[0].body;
    expect(body.writeKey).toBe('site_key');
    expect(Math.abs(Date.parse(body.sentAt) - Date.now())).toBeLessThan(5000);
    expect(ids(body.batch)).toEqual(['m0', 'm1']);
  });

  test('accepted, duplicate and rejected events all leave the queue; nothing is retried', async () => {
    vi.useFakeTimers();
    const statuses = ['accepted', 'duplicate', 'rejected'];
    const c = mockCollector((b) => [
      200,
      {
        results: b.batch.map((e, index) => ({
          index,
          messageId: e.messageId,
          status: statuses[index],
          error: index === 2 ? 'event: too long' : undefined,
        })),
      },
    ]);
    const { transport, queue } = await withQueued(3);
    await transport.flush();
    expect(queue.q).toEqual([]);
    expect(stored('tp_q')).toEqual([]);
    // data-debug shows the reply, with the reason a rejected event was refused
    expect(console.warn).toHaveBeenCalledWith(
      '[touchpoint]',
      200,
      expect.arrayContaining([expect.objectContaining({ index: 2, error: 'event: too long' })]),
    );
    await vi.advanceTimersByTimeAsync(120_000);
    expect(c.fetch).toHaveBeenCalledOnce();
  });

  test('400 with results (all rejected): removed, not retried', async () => {
    vi.useFakeTimers();
    const c = mockCollector((b) => [
      400,
      { results: b.batch.map((_e, index) => ({ index, status: 'rejected', error: 'type' })) },
    ]);
    const { transport, queue } = await withQueued(2);
    await transport.flush();
    expect(queue.q).toEqual([]);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(c.fetch).toHaveBeenCalledOnce();
  });

  test('events the reply does not list stay queued and are retried', async () => {
    vi.useFakeTimers();
    let first = true;
    const c = mockCollector((b) => {
      const all = b.batch.map((e, index) => ({ index, messageId: e.messageId, status: 'accepted' }));
      const results = first ? all.slice(0, 1) : all;
      first = false;
      return [200, { results }];
    });
    const { transport, queue } = await withQueued(3);
    await transport.flush();
    expect(ids(queue.q)).toEqual(['m1', 'm2']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(ids(c.sent[1].body.batch)).toEqual(['m1', 'm2']);
    expect(queue.q).toEqual([]);
  });

  test.each([401, 403, 413, 400])('%s without results: the batch is dropped, not retried', async (status) => {
    vi.useFakeTimers();
    const c = mockCollector(() => [status, { error: { code: 'x', message: 'no' } }]);
    const { transport, queue } = await withQueued(2);
    await transport.flush();
    expect(queue.q).toEqual([]);
    expect(stored('tp_q')).toEqual([]);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(c.fetch).toHaveBeenCalledOnce();
  });

  test('2xx without a results body counts as delivered', async () => {
    mockCollector(() => [204]);
    const { transport, queue } = await withQueued(2);
    await transport.flush();
    expect(queue.q).toEqual([]);
  });

  test.each([
    ['500', 500],
    ['503', 503],
    ['429', 429],
    ['408', 408],
    ['a network error', 0],
  ])('%s: kept (also in storage) and retried with exponential back-off up to 60 s', async (_name, status) => {
    vi.useFakeTimers();
    const c = mockCollector(() => [
      status,
      status ? { error: { code: 'busy', message: 'later' } } : undefined,
    ]);
    const { transport, queue } = await withQueued(2);
    await transport.flush();
    expect(ids(queue.q)).toEqual(['m0', 'm1']);
    expect(ids(stored('tp_q'))).toEqual(['m0', 'm1']);
    // with no jitter each wait is half the back-off: 1 s, 2 s, 4 s ... 60 s
    const waits = [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000];
    for (const [i, wait] of waits.entries()) {
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(c.fetch).toHaveBeenCalledTimes(i + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(c.fetch).toHaveBeenCalledTimes(i + 2);
    }
    expect(ids(queue.q)).toEqual(['m0', 'm1']);
  });

  test('jitter spreads a wait between half and all of the back-off', async () => {
    vi.useFakeTimers();
    vi.mocked(Math.random).mockReturnValue(0.999);
    const c = mockCollector(() => [503]);
    const { transport } = await withQueued(1);
    await transport.flush();
    await vi.advanceTimersByTimeAsync(998);
    expect(c.fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(c.fetch).toHaveBeenCalledTimes(2);
  });

  test('a success resets the back-off', async () => {
    vi.useFakeTimers();
    let fail = 3;
    const c = mockCollector((b) =>
      fail-- > 0 ? [500] : [200, { results: b.batch.map((_e, index) => ({ index, status: 'accepted' })) }],
    );
    const { transport, queue } = await withQueued(1);
    await transport.flush(); // fails; retries after 0.5 s, 1 s, then succeeds
    await vi.advanceTimersByTimeAsync(500 + 1000 + 2000);
    expect(c.fetch).toHaveBeenCalledTimes(4);
    expect(queue.q).toEqual([]);
    fail = 1;
    queue.push(ev(9));
    await transport.flush();
    await vi.advanceTimersByTimeAsync(499);
    expect(c.fetch).toHaveBeenCalledTimes(5);
    await vi.advanceTimersByTimeAsync(1);
    expect(c.fetch).toHaveBeenCalledTimes(6);
  });

  test.each([
    ['seconds', '30', 30_000],
    ['seconds, shorter than the backoff', '0', 500],
    // the collector sends seconds; a date (from some proxy) is not read, and the backoff applies
    ['an HTTP date', new Date(Date.UTC(2030, 0, 1, 0, 0, 45)).toUTCString(), 500],
  ])('Retry-After in %s: the retry waits for it, or the backoff if longer', async (_name, header, wait) => {
    vi.useFakeTimers({ now: Date.UTC(2030, 0, 1) });
    const c = mockCollector(() => [429, undefined, { 'Retry-After': header }]);
    const { transport, queue } = await withQueued(1);
    await transport.flush();
    queue.push(ev(5)); // new events do not cut the wait short
    transport.soon();
    await vi.advanceTimersByTimeAsync(wait - 10);
    expect(c.fetch).toHaveBeenCalledOnce();
    await vi.advanceTimersByTimeAsync(10);
    expect(c.fetch).toHaveBeenCalledTimes(2);
  });

  test('the online event retries at once', async () => {
    vi.useFakeTimers();
    let down = true;
    const c = mockCollector((b) =>
      down ? [0] : [200, { results: b.batch.map((_e, index) => ({ index, status: 'accepted' })) }],
    );
    const { transport, queue } = await withQueued(1);
    await transport.flush();
    for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(60_000); // back-off now long
    const calls = c.fetch.mock.calls.length;
    down = false;
    transport.online();
    await vi.advanceTimersByTimeAsync(0);
    expect(c.fetch).toHaveBeenCalledTimes(calls + 1);
    expect(queue.q).toEqual([]);
  });

  test('one flush in flight at a time; events queued meanwhile go in the next request, none twice', async () => {
    const c = mockCollector();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const real = c.fetch.getMockImplementation()!;
    c.fetch.mockImplementation(async (url, init) => {
      await gate;
      return real(url, init);
    });
    const { transport, queue } = await withQueued(2);
    const first = transport.flush();
    queue.push(ev(7));
    const second = transport.flush();
    const third = transport.flush();
    await new Promise((r) => setTimeout(r, 10));
    expect(c.fetch).toHaveBeenCalledOnce();
    release();
    await Promise.all([first, second, third]);
    expect(c.sent.map((s) => ids(s.body.batch))).toEqual([['m0', 'm1'], ['m7']]);
    expect(queue.q).toEqual([]);
  });

  test('more than one request can carry (400 KB) goes in the next one, unasked', async () => {
    vi.useFakeTimers();
    const c = mockCollector();
    const { transport, queue } = await withQueued(0);
    // 10 K characters but 20 KB each: 30 of them fit the queue, not one request
    const props = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`p${i}`, 'é'.repeat(1000)]));
    for (let i = 0; i < 30; i++) queue.push(ev(i, { properties: props }));
    await transport.flush();
    expect(c.sent).toHaveLength(1);
    const first = c.sent[0].body.batch.length;
    expect(first).toBeLessThan(30);
    await vi.advanceTimersByTimeAsync(1000);
    expect(c.sent).toHaveLength(2);
    expect(first + c.sent[1].body.batch.length).toBe(30);
    expect(queue.q).toEqual([]);
  });

  test('flush with nothing queued sends nothing', async () => {
    const c = mockCollector();
    const { transport } = await withQueued(0);
    await transport.flush();
    expect(c.fetch).not.toHaveBeenCalled();
  });

  test('flush never rejects, even when fetch throws synchronously', async () => {
    vi.stubGlobal('fetch', () => {
      throw new Error('CSP blocked');
    });
    const { transport, queue } = await withQueued(1);
    await expect(transport.flush()).resolves.toBeUndefined();
    expect(queue.q).toHaveLength(1);
  });
});

describe('soon', () => {
  test('flushes after 1 s of quiet', async () => {
    vi.useFakeTimers();
    const c = mockCollector();
    const { transport, queue } = await withQueued(0);
    queue.push(ev(1));
    transport.soon();
    await vi.advanceTimersByTimeAsync(600);
    queue.push(ev(2));
    transport.soon();
    await vi.advanceTimersByTimeAsync(999);
    expect(c.fetch).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(ids(c.sent[0].body.batch)).toEqual(['m1', 'm2']);
  });

  test('flushes at once when 20 events wait', async () => {
    vi.useFakeTimers();
    const c = mockCollector();
    const { transport } = await withQueued(20);
    transport.soon();
    await vi.advanceTimersByTimeAsync(0);
    expect(c.sent[0].body.batch).toHaveLength(20);
  });
});

describe('page hide', () => {
  const beacon = () => vi.spyOn(navigator, 'sendBeacon').mockReturnValue(true);
  const beaconBody = (spy: ReturnType<typeof beacon>, i = 0) => {
    const [url, body] = spy.mock.calls[i] as [string, string];
    expect(url).toBe('https://collector.test/v1/batch');
    // a string: the Beacon spec sends it as text/plain;charset=UTF-8, a CORS-safelisted type (no preflight)
    expect(typeof body).toBe('string');
    return JSON.parse(body);
  };

  test('beacons the queue as text/plain and keeps it stored (no reply can be read)', async () => {
    const spy = beacon();
    const c = mockCollector();
    const { transport, queue } = await withQueued(3);
    transport.hide();
    const body = beaconBody(spy);
    expect(body.writeKey).toBe('site_key');
    expect(ids(body.batch)).toEqual(['m0', 'm1', 'm2']);
    expect(ids(queue.q)).toEqual(['m0', 'm1', 'm2']);
    expect(ids(stored('tp_q'))).toEqual(['m0', 'm1', 'm2']);
    expect(c.fetch).not.toHaveBeenCalled();
  });

  test('pagehide after visibilitychange does not beacon twice; visible again re-arms it', async () => {
    const spy = beacon();
    mockCollector();
    const { transport } = await withQueued(1);
    transport.hide();
    transport.hide();
    expect(spy).toHaveBeenCalledOnce();
    transport.show();
    transport.hide();
    expect(spy).toHaveBeenCalledTimes(2);
  });

  test('events in a request still in flight are not beaconed', async () => {
    const spy = beacon();
    const c = mockCollector();
    c.fetch.mockImplementation(() => new Promise(() => {})); // never answers
    const { transport, queue } = await withQueued(2);
    void transport.flush();
    queue.push(ev(5));
    transport.hide();
    expect(ids(beaconBody(spy).batch)).toEqual(['m5']);
  });

  test('the beacon body stays under 64 KB; the rest waits in the queue', async () => {
    const spy = beacon();
    mockCollector();
    const { transport, queue } = await withQueued(0);
    // 10 KB each (strings stay under the 2048-character cap)
    const props = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`p${i}`, 'p'.repeat(1000)]));
    for (let i = 0; i < 20; i++) queue.push(ev(i, { properties: props }));
    transport.hide();
    const [, body] = spy.mock.calls[0] as [string, string];
    expect(new Blob([body]).size).toBeLessThan(64 * 1024);
    const n = beaconBody(spy).batch.length;
    expect(n).toBeGreaterThan(3);
    expect(n).toBeLessThan(7);
    expect(queue.q).toHaveLength(20);
  });

  test('when sendBeacon refuses, fetch with keepalive carries it', async () => {
    vi.spyOn(navigator, 'sendBeacon').mockReturnValue(false);
    const c = mockCollector();
    const { transport, queue } = await withQueued(1);
    transport.hide();
    await vi.waitFor(() => expect(c.fetch).toHaveBeenCalledOnce());
    expect(c.sent[0].keepalive).toBe(true);
    expect(queue.q).toHaveLength(1); // its reply is not trusted to be read
  });
});
