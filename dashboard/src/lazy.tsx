// Pages fetched only when first opened (a dynamic import), so the initial download stays small.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.ts';
import { ErrorNotice, Loading } from './components.tsx';

export function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  return function LazyPage(props: P) {
    const [, setTick] = useState(0);
    const [error, setError] = useState<ApiError | null>(null);
    const [attempt, setAttempt] = useState(0);
    useEffect(() => {
      if (loaded) return;
      pending ??= load();
      pending.then(
        (component) => {
          loaded = component;
          setTick((n) => n + 1);
        },
        () => {
          pending = null;
          setError(
            new ApiError(0, 'chunk', 'This page could not be loaded. Check your connection and try again.'),
          );
        },
      );
    }, [attempt]);
    if (loaded) {
      const Page = loaded;
      return <Page {...props} />;
    }
    if (error)
      return (
        <ErrorNotice
          error={error}
          retry={() => {
            setError(null);
            setAttempt((n) => n + 1);
          }}
        />
      );
    return <Loading />;
  };
}
