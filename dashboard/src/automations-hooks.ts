// Hooks the automation pages share: a write with its busy flag and error, and a read that keeps showing the
// last answer while it reloads (so a refresh after a change does not flash a spinner or drop the form's state).
import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from './api.ts';
import { type RequestState, toApiError, useRequest } from './use-request.ts';

export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = <T>(call: () => Promise<T>, done: (reply: T) => void, failed?: () => void) => {
    setBusy(true);
    setError(null);
    call().then(
      (reply) => {
        setBusy(false);
        done(reply);
      },
      (err) => {
        setBusy(false);
        setError(toApiError(err));
        failed?.();
      },
    );
  };
  return { busy, error, run, clear: () => setError(null) };
}
export type Action = ReturnType<typeof useAction>;

/**
 * useRequest, plus the last answer it got (null until the first), kept while a reload runs and reset when
 * `deps` change; `set` replaces it after a change the page made itself.
 */
export function useKeptRequest<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: unknown[],
): { state: RequestState<T>; data: T | null; reload: () => void; set: (data: T) => void } {
  const [state, reload] = useRequest(load, deps);
  const [kept, setKept] = useState<{ data: T; deps: unknown[] } | null>(null);
  useEffect(() => {
    if (state.status === 'ready') setKept({ data: state.data, deps });
  }, [state]);
  const same = kept !== null && kept.deps.length === deps.length && kept.deps.every((d, i) => d === deps[i]);
  // The kept copy is the newest: the last answer, or what the page set after it (for one frame after a new
  // answer it is the one before, which is what was on screen anyway).
  const data = same ? kept.data : state.status === 'ready' ? state.data : null;
  return { state, data, reload, set: (next) => setKept({ data: next, deps }) };
}
