import { beforeEach, describe, expect, test } from 'vitest';
import type { Ev } from '../../widget/core/queue.ts';
import { blockStorage, cleanPage, fresh, stored } from './helpers.ts';

beforeEach(cleanPage);

/** Properties of about `kb` KB: strings stay under the 2048-character cap. */
const pad = (kb: number, ch = 'x') =>
  Object.fromEntries(Array.from({ length: kb }, (_, i) => [`p${i}`, ch.repeat(1000)]));

const ev = (n: number, extra: Partial<Ev> = {}): Ev => ({
  type: 'track',
  event: `E${n}`,
  messageId: `m${n}`,
  anonymousId: 'a',
  ...extra,
});

describe('queue', () => {
  test('every push is stored; a re-init (next page load) gets the same events in order', async () => {
    const a = await fresh();
    a.queue.load();
    for (let i = 0; i < 3; i++) a.queue.push(ev(i));
    expect(stored('tp_q').map((e: Ev) => e.messageId)).toEqual(['m0', 'm1', 'm2']);

    const b = await fresh();
    expect(b.queue.q).toEqual([]);
    b.queue.load();
    expect(b.queue.q.map((e) => e.messageId)).toEqual(['m0', 'm1', 'm2']);
    b.queue.push(ev(3));
    b.queue.remove(['m1']);
    expect(stored('tp_q').map((e: Ev) => e.messageId)).toEqual(['m0', 'm2', 'm3']);
  });

  test('capped at 500 events: the oldest go first', async () => {
    const { queue } = await fresh();
    queue.load();
    for (let i = 0; i < 510; i++) queue.push(ev(i));
    expect(queue.q).toHaveLength(500);
    expect(queue.q[0].messageId).toBe('m10');
    expect(stored('tp_q')).toHaveLength(500);
  });

  test('capped at ~400 KB of JSON: the oldest go first', async () => {
    const { queue } = await fresh();
    queue.load();
    for (let i = 0; i < 30; i++) queue.push(ev(i, { properties: pad(20) }));
    const json = localStorage.getItem('tp_q')!;
    expect(json.length).toBeLessThanOrEqual(queue.MAX_CHARS);
    expect(queue.q.length).toBeGreaterThan(15);
    expect(queue.q.at(-1)!.messageId).toBe('m29');
    expect(queue.q[0].messageId).not.toBe('m0');
  });

  test('an event over 32 KB is refused, the rest kept', async () => {
    const { queue } = await fresh();
    queue.load();
    queue.push(ev(1));
    queue.push(ev(2, { properties: pad(17, 'é') })); // 34 KB in UTF-8, 17 K characters
    queue.push(ev(4, { properties: pad(31) })); // 31 KB fits
    queue.push(ev(3));
    expect(queue.q.map((e) => e.messageId)).toEqual(['m1', 'm4', 'm3']);
  });

  test.each([
    ['not JSON', '{oops'],
    ['not an array', '{"a":1}'],
    ['null', 'null'],
  ])('a corrupt stored queue (%s) starts empty', async (_name, raw) => {
    localStorage.setItem('tp_q', raw);
    const { queue } = await fresh();
    queue.load();
    expect(queue.q).toEqual([]);
  });

  test('stored items without a messageId are dropped', async () => {
    localStorage.setItem('tp_q', JSON.stringify([ev(1), null, { type: 'track' }, 7, ev(2)]));
    const { queue } = await fresh();
    queue.load();
    expect(queue.q.map((e) => e.messageId)).toEqual(['m1', 'm2']);
  });

  test('two tabs share the stored queue: each write is the union, so neither loses the other’s events', async () => {
    const a = await fresh();
    a.queue.load();
    const b = await fresh(); // another tab of the site, started at the same time
    b.queue.load();
    a.queue.push(ev(1));
    b.queue.push(ev(2)); // before, this write replaced a's m1
    a.queue.push(ev(3));
    expect(stored('tp_q').map((e: Ev) => e.messageId)).toEqual(['m1', 'm2', 'm3']);
    // a sends what it holds: m1 and m2 are delivered; b still holds both and writes them back on its next change
    a.queue.remove(['m1', 'm2']);
    expect(stored('tp_q').map((e: Ev) => e.messageId)).toEqual(['m3']);
    b.queue.push(ev(4));
    expect(stored('tp_q').map((e: Ev) => e.messageId)).toEqual(['m1', 'm2', 'm3', 'm4']);
    // b sends them again; the collector answers `duplicate` and they are gone from both tabs
    b.queue.remove(['m1', 'm2']);
    a.queue.remove([]);
    expect(stored('tp_q').map((e: Ev) => e.messageId)).toEqual(['m3', 'm4']);
    expect(a.queue.q.map((e) => e.messageId)).toEqual(['m3', 'm4']);
  });

  test('a write that fails (storage full) keeps the event in the page’s queue', async () => {
    const { queue } = await fresh();
    queue.load();
    queue.push(ev(1));
    const full = Object.getPrototypeOf(localStorage).setItem;
    Object.getPrototypeOf(localStorage).setItem = () => {
      throw new DOMException('quota', 'QuotaExceededError');
    };
    try {
      queue.push(ev(2));
      queue.push(ev(3));
    } finally {
      Object.getPrototypeOf(localStorage).setItem = full;
    }
    expect(queue.q.map((e) => e.messageId)).toEqual(['m1', 'm2', 'm3']);
    queue.push(ev(4)); // space again: everything is written
    expect(stored('tp_q').map((e: Ev) => e.messageId)).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  test('keeps working in memory when storage throws', async () => {
    const restore = blockStorage();
    try {
      const { queue } = await fresh();
      queue.load();
      queue.push(ev(1));
      queue.push(ev(2));
      queue.remove(['m1']);
      expect(queue.q.map((e) => e.messageId)).toEqual(['m2']);
    } finally {
      restore();
    }
  });
});
