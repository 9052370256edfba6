// Small shared pieces: stage badge, times, loading and error notices, key/value lists, safe links.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Stage } from '../../wire.ts';
import type { ApiError } from './api.ts';
import { formatExact, formatRelative, safeHref, valueText } from './format.ts';

export function StageBadge({ stage }: { stage: Stage }) {
  return <span class={`badge badge-${stage}`}>{stage}</span>;
}

/** A relative time ("3 hours ago") whose tooltip and datetime carry the exact moment. */
export function RelativeTime({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={formatExact(iso)}>
      {formatRelative(iso)}
    </time>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="notice" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function ErrorNotice({ error, retry }: { error: ApiError; retry?: () => void }) {
  return (
    <div class="notice notice-error" role="alert">
      <p>
        {error.message}
        {error.code && error.status ? <span class="muted"> ({error.code})</span> : null}
      </p>
      {retry ? (
        <button type="button" class="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** The page's <h1>: names the browser tab and, after an in-app navigation, takes focus so screen readers announce it. */
let firstPage = true;
export function PageTitle({ children, title }: { children: ComponentChildren; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Touchpoint`;
  }, [title]);
  useEffect(() => {
    if (firstPage) firstPage = false;
    else ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

/** A URL as a link when it is http(s), else as plain text; never interpreted as markup. */
export function UrlText({ url }: { url: string | null | undefined }) {
  if (!url) return <span class="muted">—</span>;
  const href = safeHref(url);
  if (!href)
    return (
      <span class="url" title={url}>
        {url}
      </span>
    );
  return (
    <a class="url" href={href} title={url} target="_blank" rel="noopener noreferrer nofollow">
      {url}
    </a>
  );
}

/** Visitor-sent properties or traits as a small definition list. */
export function Fields({
  values,
  label,
}: {
  values: Record<string, unknown> | [string, unknown][];
  label?: string;
}) {
  const entries = Array.isArray(values) ? values : Object.entries(values);
  if (!entries.length) return null;
  return (
    <dl class="fields" aria-label={label}>
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>{valueText(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <button
      type="button"
      class="button button-small"
      aria-label={copied ? 'Copied' : label}
      onClick={() => {
        // The clipboard needs a secure context; on plain http the snippet stays selectable by hand.
        navigator.clipboard?.writeText(text).then(
          () => setCopied(true),
          () => {},
        );
      }}
    >
      <span aria-live="polite">{copied ? 'Copied' : 'Copy'}</span>
    </button>
  );
}
