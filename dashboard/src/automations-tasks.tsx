// Follow-up tasks of a site: open ones first (soonest due first, overdue ones marked), each with its profile,
// owner and due time, and Done and Snooze; a filter for open, done or all.
import type { FollowUpTask, SiteSummary } from '../../wire.ts';
import { automationsApi, type TaskStatus } from './automations-api.ts';
import { useAction, useKeptRequest } from './automations-hooks.ts';
import { ErrorNotice, Loading, RelativeTime } from './components.tsx';
import { formatExact, formatMoment } from './format.ts';
import { BASE, Link, navigate, useLocation } from './router.tsx';

const FILTERS: [TaskStatus, string][] = [
  ['open', 'Open'],
  ['done', 'Done'],
  ['all', 'All'],
];

const SNOOZES: [number, string][] = [
  [1, '1 hour'],
  [24, '1 day'],
];

/** Who the task is about: email, else name, else an anonymous visitor. */
export function taskWho(t: Pick<FollowUpTask, 'profileEmail' | 'profileName'>): string {
  return t.profileEmail ?? t.profileName ?? 'Anonymous visitor';
}

/** When the task is due: its due time, or the end of its snooze when that is later. */
export const dueOf = (t: FollowUpTask): string =>
  t.snoozedUntil && t.snoozedUntil > t.dueAt ? t.snoozedUntil : t.dueAt;

export function TasksSection({ site }: { site: SiteSummary }) {
  const { query } = useLocation();
  const raw = query.get('status');
  const status: TaskStatus = FILTERS.some(([s]) => s === raw) ? (raw as TaskStatus) : 'open';
  const { state, data, reload, set } = useKeptRequest(
    (signal) => automationsApi.tasks({ site: site.id, status }, signal),
    [site.id, status],
  );
  const setStatus = (next: TaskStatus) => {
    const search = new URLSearchParams(location.search);
    if (next === 'open') search.delete('status');
    else search.set('status', next);
    const qs = search.toString();
    navigate(`${location.pathname}${qs ? `?${qs}` : ''}`, { replace: true });
  };
  const tasks = data?.tasks ?? null;
  const overdue = tasks?.filter((t) => t.overdue).length ?? 0;
  const changed = (task: FollowUpTask) => {
    if (!tasks) return;
    // A task that no longer fits the filter leaves it; a snoozed one moves to its new place.
    const fits = status === 'all' || (status === 'done') === (task.doneAt !== null);
    const next = tasks.map((t) => (t.id === task.id ? task : t)).filter((t) => t.id !== task.id || fits);
    next.sort(
      (a, b) =>
        Number(a.doneAt !== null) - Number(b.doneAt !== null) ||
        dueOf(a).localeCompare(dueOf(b)) ||
        a.id.localeCompare(b.id),
    );
    set({ tasks: next });
  };

  return (
    <section class="card" aria-labelledby="tasks-title">
      <div class="card-head">
        <h2 id="tasks-title">
          Follow-up tasks
          {status === 'open' && tasks?.length ? (
            <span class="muted">
              {' '}
              · {tasks.length} open{overdue ? `, ${overdue} overdue` : ''}
            </span>
          ) : null}
        </h2>
        <div class="segmented" role="group" aria-label="Show tasks">
          {FILTERS.map(([s, label]) => (
            <button
              key={s}
              type="button"
              class={`button button-small${s === status ? ' button-current' : ''}`}
              aria-pressed={s === status}
              onClick={() => setStatus(s)}
            >
              {label}
            </button>
          ))}
        </div>
      </div>
      {state.status === 'error' ? <ErrorNotice error={state.error} retry={reload} /> : null}
      {!tasks && state.status === 'loading' ? <Loading label="Loading tasks…" /> : null}
      {tasks && tasks.length === 0 ? (
        <p class="empty-line">
          {status === 'open'
            ? 'No open tasks. A rule with the “Create a follow-up task” action adds them here.'
            : status === 'done'
              ? 'No task is done yet.'
              : 'No tasks yet. A rule with the “Create a follow-up task” action adds them here.'}
        </p>
      ) : null}
      {tasks && tasks.length ? (
        <ul class="task-list" aria-label="Tasks">
          {tasks.map((t) => (
            <TaskItem key={t.id} task={t} onChanged={changed} />
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function TaskItem({ task: t, onChanged }: { task: FollowUpTask; onChanged: (t: FollowUpTask) => void }) {
  const action = useAction();
  const update = (change: { done?: boolean; snoozeHours?: number }) =>
    action.run(
      () => automationsApi.updateTask(t.id, change),
      (reply) => onChanged(reply.task),
    );
  const due = dueOf(t);
  const who = taskWho(t);
  return (
    <li
      class={`task${t.overdue ? ' task-overdue' : ''}${t.doneAt ? ' task-done' : ''}`}
      aria-label={`${t.title}: ${who}`}
    >
      <div class="task-main">
        <p class="task-title">
          {t.overdue ? <span class="overdue-badge">Overdue</span> : null}
          {t.doneAt ? <span class="done-badge">Done</span> : null}
          <strong>{t.title}</strong>
        </p>
        <p class="task-meta small">
          <Link href={`${BASE}/profiles/${encodeURIComponent(t.profileId)}`}>{who}</Link>
          {t.profileEmail && t.profileName ? <span class="muted"> · {t.profileName}</span> : null}
          <span class="muted"> · </span>
          {t.ownerEmail ? <span>Owner {t.ownerEmail}</span> : <span class="muted">No owner</span>}
        </p>
        <p class="task-due small">
          {t.doneAt ? (
            <>
              Done <RelativeTime iso={t.doneAt} />
            </>
          ) : (
            <>
              {t.overdue ? 'Was due ' : 'Due '}
              <time dateTime={due} title={formatExact(due)}>
                {formatMoment(due)}
              </time>
              <span class="muted">
                {' '}
                (<RelativeTime iso={due} />)
              </span>
              {t.snoozedUntil && t.snoozedUntil === due ? <span class="muted"> · snoozed</span> : null}
            </>
          )}
        </p>
      </div>
      <div class="task-tools">
        {t.doneAt ? (
          <button
            type="button"
            class="button button-small"
            disabled={action.busy}
            aria-label={`Reopen “${t.title}” for ${who}`}
            onClick={() => update({ done: false })}
          >
            Reopen
          </button>
        ) : (
          <>
            <button
              type="button"
              class="button button-small button-primary"
              disabled={action.busy}
              aria-label={`Done: “${t.title}” for ${who}`}
              onClick={() => update({ done: true })}
            >
              Done
            </button>
            {SNOOZES.map(([hours, label]) => (
              <button
                key={hours}
                type="button"
                class="button button-small"
                disabled={action.busy}
                aria-label={`Snooze “${t.title}” for ${who} by ${label}`}
                onClick={() => update({ snoozeHours: hours })}
              >
                Snooze {label}
              </button>
            ))}
          </>
        )}
      </div>
      {action.error ? <ErrorNotice error={action.error} /> : null}
    </li>
  );
}
