// Settings → Privacy: consent (what the tag keeps on the device, what is counted without consent, Do-Not-Track,
// the cookie's lifetime) with the snippet that carries it, and how long raw events are kept. Part of the lazy
// settings chunk; admins only, like every settings page.
import { useEffect, useState } from 'preact/hooks';
import { COOKIE_DAYS, type ConsentSettings, type SiteSummary } from '../../wire.ts';
import { CopyButton, ErrorNotice, Loading } from './components.tsx';
import { snippetFor } from './onboarding.tsx';
import { invalid, useAction } from './settings-admin.tsx';
import { settingsApi } from './settings-api.ts';
import { useRequest } from './use-request.ts';

/** The retention periods offered (days); a stored period outside the list is kept as an option. */
const PERIODS = [30, 90, 180, 365, 730, 1095, 1825, 3650];

const periodLabel = (days: number) =>
  days % 365 === 0 ? `${days / 365} year${days === 365 ? '' : 's'}` : `${days} days`;

export function PrivacySettings({ site, onSaved }: { site: SiteSummary; onSaved: () => void }) {
  const [rules, retry] = useRequest((signal) => settingsApi.rules(site.id, signal), [site.id]);
  const [consent, setConsent] = useState<ConsentSettings | null>(null);
  const [cookieDays, setCookieDays] = useState('');
  const [retention, setRetention] = useState<string>('');
  const [saved, setSaved] = useState<'consent' | 'retention' | null>(null);
  const consentAction = useAction();
  const retentionAction = useAction();
  useEffect(() => {
    if (rules.status !== 'ready') return;
    setConsent(rules.data.settings.consent);
    setCookieDays(String(rules.data.settings.consent.cookieDays));
    setRetention(String(rules.data.settings.privacy?.retentionDays ?? ''));
  }, [rules]);
  if (rules.status === 'error') return <ErrorNotice error={rules.error} retry={retry} />;
  if (rules.status === 'loading' || !consent) return <Loading label="Loading privacy settings…" />;

  const change = (next: Partial<ConsentSettings>) => {
    setSaved(null);
    setConsent({ ...consent, ...next });
  };
  const days = Number(retention) || null;
  const periods = days && !PERIODS.includes(days) ? [...PERIODS, days].sort((a, b) => a - b) : PERIODS;
  // The snippet as it will be once saved: what the site owner pastes after changing these settings.
  const preview: SiteSummary = {
    ...site,
    consent: { ...consent, cookieDays: Number(cookieDays) || consent.cookieDays },
  };

  return (
    <div class="settings-stack">
      <form
        class="card"
        aria-labelledby="consent-title"
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(null);
          consentAction.run(
            () =>
              settingsApi.saveRules(site.id, {
                consent: {
                  required: consent.required,
                  beforeConsent: consent.beforeConsent,
                  respectDnt: consent.respectDnt,
                  cookieDays: Number(cookieDays),
                },
              }),
            (reply) => {
              setConsent(reply.settings.consent);
              setCookieDays(String(reply.settings.consent.cookieDays));
              setSaved('consent');
              onSaved();
            },
          );
        }}
      >
        <h2 id="consent-title">Consent</h2>
        <p class="muted">
          Browsers that send Global Privacy Control are always honoured: the tag keeps nothing on the device
          and sends nothing that identifies the visitor.
        </p>
        <label class="check">
          <input
            type="checkbox"
            checked={consent.required}
            aria-invalid={invalid(consentAction.error, 'consent.required')}
            onChange={(e) => change({ required: e.currentTarget.checked })}
          />
          Ask for consent first
        </label>
        <p class="muted small check-note">
          Until the page calls <code>touchpoint('consent', true)</code> (from your consent banner), the tag
          keeps nothing on the device, and the collector keeps no event from {site.name}'s pages that lacks
          that consent. <code>touchpoint('consent', false)</code> clears what the device holds.
        </p>
        <fieldset class="choice-group">
          <legend>Without consent, count</legend>
          <label class="check">
            <input
              type="radio"
              name="before-consent"
              checked={consent.beforeConsent === 'cookieless'}
              onChange={() => change({ beforeConsent: 'cookieless' })}
            />
            Page views, without cookies or identifiers
          </label>
          <label class="check">
            <input
              type="radio"
              name="before-consent"
              checked={consent.beforeConsent === 'nothing'}
              onChange={() => change({ beforeConsent: 'nothing' })}
            />
            Nothing
          </label>
        </fieldset>
        <label class="check">
          <input
            type="checkbox"
            checked={consent.respectDnt}
            onChange={(e) => change({ respectDnt: e.currentTarget.checked })}
          />
          Treat Do-Not-Track like Global Privacy Control
        </label>
        <label class="field privacy-days">
          Cookie lifetime, in days
          <input
            type="number"
            inputMode="numeric"
            min={COOKIE_DAYS.min}
            max={COOKIE_DAYS.max}
            step={1}
            required
            value={cookieDays}
            aria-invalid={invalid(consentAction.error, 'consent.cookieDays')}
            aria-describedby="cookie-days-note"
            onInput={(e) => {
              setSaved(null);
              setCookieDays(e.currentTarget.value);
            }}
          />
        </label>
        <p id="cookie-days-note" class="muted small">
          The anonymous-id cookie on {site.name}'s own domain; 395 days (13 months) unless you choose less.
        </p>
        <div class="form-actions">
          <button type="submit" class="button button-primary" disabled={consentAction.busy}>
            Save consent settings
          </button>
          {saved === 'consent' ? (
            <span class="saved" role="status">
              Saved. Paste the snippet below into your pages again.
            </span>
          ) : null}
        </div>
        {consentAction.error ? <ErrorNotice error={consentAction.error} /> : null}
        <h3>Snippet with these settings</h3>
        <div class="snippet">
          <pre>
            <code>{snippetFor(preview)}</code>
          </pre>
          <CopyButton text={snippetFor(preview)} label={`Copy the snippet for ${site.name}`} />
        </div>
      </form>

      <form
        class="card"
        aria-labelledby="retention-title"
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(null);
          retentionAction.run(
            () => settingsApi.saveRules(site.id, { privacy: { retentionDays: days } }),
            (reply) => {
              setRetention(String(reply.settings.privacy?.retentionDays ?? ''));
              setSaved('retention');
            },
          );
        }}
      >
        <h2 id="retention-title">Retention</h2>
        <p class="muted">
          Raw events older than this are deleted automatically. Profiles, stages, payments, the overview and
          the attribution tables stay as they were.
        </p>
        <div class="inline-form">
          <label class="field retention-pick">
            Keep raw events for
            <select
              value={retention}
              aria-invalid={invalid(retentionAction.error, 'privacy.retentionDays')}
              onChange={(e) => {
                setSaved(null);
                setRetention(e.currentTarget.value);
              }}
            >
              <option value="">Forever</option>
              {periods.map((d) => (
                <option key={d} value={String(d)}>
                  {periodLabel(d)}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" class="button button-primary" disabled={retentionAction.busy}>
            Save retention
          </button>
          {saved === 'retention' ? (
            <span class="saved" role="status">
              Saved
            </span>
          ) : null}
        </div>
        {retentionAction.error ? <ErrorNotice error={retentionAction.error} /> : null}
      </form>
    </div>
  );
}
