import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortableId } from '../../collector/admin/secrets.ts';

describe('sortable ids', () => {
  it('sort as the times they were made, in SQLite’s binary order, at a fixed length', () => {
    const time = fc.integer({ min: 0, max: 3_400_000_000_000 });
    fc.assert(
      fc.property(time, time, (a, b) => {
        const [x, y] = [sortableId(a), sortableId(b)];
        expect(x).toMatch(/^[0-9A-Za-z]{16}$/);
        if (a < b) expect(Buffer.compare(Buffer.from(x), Buffer.from(y))).toBe(-1);
        if (a > b) expect(Buffer.compare(Buffer.from(x), Buffer.from(y))).toBe(1);
        expect(x.slice(0, 7) === y.slice(0, 7)).toBe(a === b);
      }),
    );
  });

  it('differ when made in the same millisecond', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => sortableId(1_790_000_000_000)));
    expect(ids.size).toBe(10_000);
  });
});
