// One hook for "fetch this when these inputs change": aborts the stale request, keeps the error to show.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, isAbort } from './api.ts';

export type RequestState<T> =
  { status: 'loading' } | { status: 'error'; error: ApiError } | { status: 'ready'; data: T };

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, 'client', err instanceof Error ? err.message : 'Something went wrong.');
}

/** Runs `load` whenever `deps` change; `retry()` runs it again with the same inputs. */
export function useRequest<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: unknown[],
): [RequestState<T>, () => void] {
  const [state, setState] = useState<RequestState<T>>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setState({ status: 'loading' });
    load(controller.signal).then(
      (data) => setState({ status: 'ready', data }),
      (err) => {
        if (!isAbort(err)) setState({ status: 'error', error: toApiError(err) });
      },
    );
    return () => controller.abort();
  }, [...deps, attempt]);
  return [state, () => setAttempt((n) => n + 1)];
}
