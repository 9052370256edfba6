// What the automations put on one profile: its follow-up tasks (open first) with Done. Small, because the
// profile page loads with the dashboard's first download.
import type { FollowUpTask } from '../../wire.ts';
import { automationsApi } from './automations-api.ts';
import { useAction, useKeptRequest } from './automations-hooks.ts';
import { ErrorNotice, Loading, RelativeTime } from './components.tsx';

export function ProfileTasks({ profileId }: { profileId: string }) {
  const { state, data, reload, set } = useKeptRequest(
    (signal) => automationsApi.tasks({ profile: profileId, status: 'all' }, signal),
    [profileId],
  );
  if (!data && state.status === 'error') return <ErrorNotice error={state.error} retry={reload} />;
  if (!data) return <Loading label="Loading tasks…" />;
  if (!data.tasks.length) return <p class="muted small">No follow-up tasks.</p>;
  const changed = (task: FollowUpTask) =>
    set({ tasks: data.tasks.map((t) => (t.id === task.id ? task : t)) });
  return (
    <ul class="unmatched-list" aria-label="Follow-up tasks">
      {data.tasks.map((t) => (
        <ProfileTask key={t.id} task={t} onChanged={changed} />
      ))}
    </ul>
  );
}

function ProfileTask({ task: t, onChanged }: { task: FollowUpTask; onChanged: (t: FollowUpTask) => void }) {
  const action = useAction();
  const due = t.snoozedUntil && t.snoozedUntil > t.dueAt ? t.snoozedUntil : t.dueAt;
  return (
    <li class="small">
      <div>
        <strong class={t.doneAt ? 'muted' : undefined}>{t.title}</strong>
        <div>
          {t.doneAt ? (
            <span class="muted">
              Done <RelativeTime iso={t.doneAt} />
            </span>
          ) : (
            <span class={t.overdue ? 'status status-at_risk' : 'muted'}>
              {t.overdue ? 'Overdue, was due' : 'Due'} <RelativeTime iso={due} />
            </span>
          )}
        </div>
        {t.ownerEmail ? <div class="muted">Owner {t.ownerEmail}</div> : null}
      </div>
      {t.doneAt ? null : (
        <button
          type="button"
          class="button button-small"
          disabled={action.busy}
          aria-label={`Done: ${t.title}`}
          onClick={() =>
            action.run(
              () => automationsApi.updateTask(t.id, { done: true }),
              (reply) => onChanged(reply.task),
            )
          }
        >
          Done
        </button>
      )}
      {action.error ? <ErrorNotice error={action.error} /> : null}
    </li>
  );
}
