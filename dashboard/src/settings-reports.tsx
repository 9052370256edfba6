// Settings → Reports: the site's time zone, in which every report counts its days (the overview, attribution,
// lifetime value, the profiles' first-seen range). Part of the lazy settings chunk.
import { useEffect, useState } from 'preact/hooks';
import type { SiteSummary } from '../../wire.ts';
import { ErrorNotice, Loading } from './components.tsx';
import { invalid, useAction } from './settings-admin.tsx';
import { settingsApi } from './settings-api.ts';
import { useRequest } from './use-request.ts';

/** Every zone this browser knows, UTC first; a stored zone the list lacks is kept as an option. */
function zones(current: string): string[] {
  const known =
    (Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  return [...new Set(['UTC', current, ...known])];
}

/** What the time is there now, so the choice can be checked at a glance. */
function nowIn(zone: string): string {
  try {
    return new Intl.DateTimeFormat(undefined, {
      timeZone: zone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    }).format(Date.now());
  } catch {
    return '';
  }
}

export function ReportSettings({ site, onSaved }: { site: SiteSummary; onSaved: () => void }) {
  const [rules, retry] = useRequest((signal) => settingsApi.rules(site.id, signal), [site.id]);
  const [zone, setZone] = useState('');
  const [saved, setSaved] = useState(false);
  const action = useAction();
  useEffect(() => {
    if (rules.status === 'ready') setZone(rules.data.settings.reports.timeZone);
  }, [rules]);
  if (rules.status === 'error') return <ErrorNotice error={rules.error} retry={retry} />;
  if (rules.status === 'loading' || !zone) return <Loading label="Loading report settings…" />;
  return (
    <form
      class="card"
      aria-labelledby="zone-title"
      onSubmit={(e) => {
        e.preventDefault();
        setSaved(false);
        action.run(
          () => settingsApi.saveRules(site.id, { reports: { timeZone: zone } }),
          (reply) => {
            setZone(reply.settings.reports.timeZone);
            setSaved(true);
            onSaved();
          },
        );
      }}
    >
      <h2 id="zone-title">Report days</h2>
      <p class="muted">
        Reports for {site.name} count whole days in this time zone: a payment at 11 pm is in today's numbers,
        not tomorrow's. It applies to the overview, the attribution and lifetime value tables and the
        profiles' date filters, from the next time they load; nothing stored changes.
      </p>
      <div class="inline-form">
        <label class="field">
          Time zone
          <select
            value={zone}
            aria-invalid={invalid(action.error, 'reports.timeZone')}
            onChange={(e) => {
              setSaved(false);
              setZone(e.currentTarget.value);
            }}
          >
            {zones(zone).map((z) => (
              <option key={z} value={z}>
                {z.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="button button-primary" disabled={action.busy}>
          Save time zone
        </button>
        {saved ? (
          <span class="saved" role="status">
            Saved
          </span>
        ) : null}
      </div>
      <p class="muted" aria-live="polite">
        Now there: {nowIn(zone)}
      </p>
      {action.error ? <ErrorNotice error={action.error} /> : null}
    </form>
  );
}
