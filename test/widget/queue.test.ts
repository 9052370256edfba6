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
