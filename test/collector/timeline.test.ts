// A profile of any size shows its latest activity: the newest page of events first, older pages by a cursor.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { TIMELINE_PAGE } from '../../wire.ts';
import { type Harness, harness } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(() => h.close());

it('returns the newest events, oldest first, and pages back to the first by a cursor', async () => {
  const total = TIMELINE_PAGE + 30;
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  for (let from = 0; from < total; from += 100) {
    const batch = Array.from({ length: Math.min(100, total - from) }, (_, i) => ({
      type: 'track',
      event: 'Tick',
      messageId: `tick-${from + i}`,
      anonymousId: 'anon-long',
      timestamp: new Date(t0 + (from + i) * 60_000).toISOString(),
    }));
    const res = await h.post('/v1/batch', { writeKey: h.site.secretKey, batch });
    expect(res.status).toBe(200);
  }
  const list = await h.api('/api/profiles');
  const id = list.body.profiles[0].id;
  const first = await h.api(`/api/profiles/${id}`);
  expect(first.body.timeline).toHaveLength(TIMELINE_PAGE);
  expect(first.body.timeline.at(-1).id).toBe(`tick-${total - 1}`); // the latest is there
  expect(first.body.timeline[0].id).toBe(`tick-${total - TIMELINE_PAGE}`);
  expect(first.body.olderCursor).toEqual(expect.any(String));

  const older = await h.api(`/api/profiles/${id}/timeline?before=${first.body.olderCursor}&limit=20`);
  expect(older.status).toBe(200);
  expect(older.body.timeline.map((t: { id: string }) => t.id)).toEqual(
    Array.from({ length: 20 }, (_, i) => `tick-${total - TIMELINE_PAGE - 20 + i}`),
  );
  const oldest = await h.api(`/api/profiles/${id}/timeline?before=${older.body.olderCursor}`);
  expect(oldest.body.timeline.map((t: { id: string }) => t.id)).toEqual(
    Array.from({ length: 10 }, (_, i) => `tick-${i}`),
  );
  expect(oldest.body.olderCursor).toBeNull();

  // bad cursors and limits are refused, naming the field
  expect((await h.api(`/api/profiles/${id}/timeline?before=nonsense`)).body.error.field).toBe('before');
  expect((await h.api(`/api/profiles/${id}/timeline`)).body.error.field).toBe('before');
  const badLimit = await h.api(`/api/profiles/${id}/timeline?before=${first.body.olderCursor}&limit=0`);
  expect(badLimit.status).toBe(400);
  expect((await h.api(`/api/profiles/nobody/timeline?before=${first.body.olderCursor}`)).status).toBe(404);
});

it('a small profile has everything on its first page and no cursor', async () => {
  await h.post('/v1/batch', {
    writeKey: h.site.secretKey,
    batch: [{ type: 'track', event: 'Only', messageId: 'only-1', anonymousId: 'anon-small' }],
  });
  const id = (await h.api('/api/profiles')).body.profiles[0].id;
  const reply = await h.api(`/api/profiles/${id}`);
  expect(reply.body.timeline.map((t: { id: string }) => t.id)).toEqual(['only-1']);
  expect(reply.body.olderCursor).toBeNull();
});
