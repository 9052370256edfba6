// One customer: who they are, where they stand and why, how they arrived, what they paid, why their
// identifiers are one person, and their journey; with merge, undo merge and stage override.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  type Identifier,
  type LinkSummary,
  type ProfileDetail,
  type ProfileReferral,
  type ProfileReply,
  type ProfileSummary,
  STAGES,
  type Stage,
  type TimelineItem,
  type TouchSummary,
} from '../../wire.ts';
import { type ApiError, api, isAbort, request } from './api.ts';
import { ProfileTasks } from './automations-profile.tsx';
import { ErrorNotice, Loading, PageTitle, RelativeTime, StageBadge, UrlText } from './components.tsx';
import { ConfirmDialog } from './dialog.tsx';
import {
  channelLabel,
  daysBetween,
  formatExact,
  formatMoment,
  formatMinor,
  plainText,
  STATUS_LABEL,
  touchLabel,
  who,
} from './format.ts';
import { profilesListHref } from './profiles.tsx';
import { BASE, Link, navigate } from './router.tsx';
import { evidenceLabels, isChatReply, Timeline } from './timeline.tsx';
import { toApiError, useRequest } from './use-request.ts';

/** The entries at or after `from` (all of them when there is no bound). */
function since<T extends { at: string }>(list: T[] | undefined, from: string | undefined): T[] | undefined {
  return list && from ? list.filter((x) => x.at >= from) : list;
}

export function ProfilePage({ id }: { id: string }) {
  const [state, retry] = useRequest((signal) => api.profile(id, signal), [id]);
  // A merge or stage change answers with the profile as it is now; shown without a reload.
  const [fresh, setFresh] = useState<ProfileReply | null>(null);
  // Older events loaded on demand: the profile comes with its newest page only.
  const [older, setOlder] = useState<{ items: TimelineItem[]; cursor: string | null } | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<ApiError | null>(null);
  useEffect(() => {
    setFresh(null);
    setOlder(null);
  }, [state]);
  const back = (
    <Link class="back-link" href={profilesListHref()}>
      <span aria-hidden="true">←</span> All profiles
    </Link>
  );

  if (state.status === 'loading' && !fresh) {
    return (
      <>
        {back}
        <Loading label="Loading profile…" />
      </>
    );
  }
  if (state.status === 'error') {
    if (state.error.status === 404) {
      return (
        <>
          {back}
          <PageTitle title="Profile not found">Profile not found</PageTitle>
          <p>
            There is no profile with the id <code>{id}</code>. It may have been merged into another profile;
            search for the visitor's email or id on the profiles page.
          </p>
        </>
      );
    }
    return (
      <>
        {back}
        <PageTitle title="Profile">Profile</PageTitle>
        <ErrorNotice error={state.error} retry={retry} />
      </>
    );
  }

  const data = fresh ?? (state.status === 'ready' ? state.data : null);
  if (!data) return null;
  const { profile } = data;
  const timeline = older ? [...older.items, ...data.timeline] : data.timeline;
  const olderCursor = older ? older.cursor : data.olderCursor;
  const loadOlder = () => {
    if (!olderCursor) return;
    setLoadingOlder(true);
    setOlderError(null);
    api.olderEvents(profile.id, olderCursor).then(
      (page) => {
        setLoadingOlder(false);
        setOlder({ items: [...page.timeline, ...(older?.items ?? [])], cursor: page.olderCursor });
      },
      (err) => {
        setLoadingOlder(false);
        setOlderError(toApiError(err));
      },
    );
  };
  const changed = (reply: ProfileReply) => {
    if (reply.profile.id !== id) navigate(`${BASE}/profiles/${encodeURIComponent(reply.profile.id)}`);
    else setFresh(reply);
  };
  return (
    <>
      {back}
      <ProfileHeader profile={profile} onChanged={changed} />
      <div class="profile-layout">
        <aside class="profile-facts" aria-label="About this profile">
          <Facts profile={profile} />
          <section aria-labelledby="profile-tasks">
            <h2 id="profile-tasks">Tasks</h2>
            <ProfileTasks profileId={profile.id} />
          </section>
          <section aria-labelledby="touches">
            <h2 id="touches">Touches</h2>
            <TouchFacts label="First touch" touch={profile.firstTouch} />
            <TouchFacts label="Lead touch" touch={profile.leadTouch ?? null} />
            <TouchFacts label="Last touch" touch={profile.lastTouch ?? null} />
          </section>
          {profile.billing?.list.length ? (
            <section aria-labelledby="payments">
              <h2 id="payments">Payments</h2>
              <Payments profile={profile} />
            </section>
          ) : null}
          <section aria-labelledby="stage-history">
            <h2 id="stage-history">Stage history</h2>
            <StageHistory profile={profile} />
          </section>
          {profile.referrals?.length || profile.referralCode ? (
            <section aria-labelledby="referrals">
              <h2 id="referrals">Referrals</h2>
              <Referrals profile={profile} onChanged={changed} />
            </section>
          ) : null}
          <section aria-labelledby="identifiers">
            <h2 id="identifiers">Identifiers</h2>
            <Identifiers identifiers={profile.identifiers} />
          </section>
          <section aria-labelledby="why-one">
            <h2 id="why-one">Why is this one person?</h2>
            <WhyOnePerson profile={profile} timeline={timeline} onUndone={retry} />
          </section>
        </aside>
        <section class="profile-timeline" aria-labelledby="timeline">
          <h2 id="timeline">
            Journey{' '}
            <span class="muted">
              · {olderCursor ? 'latest ' : ''}
              {timeline.filter((t) => !isChatReply(t)).length.toLocaleString()} events, oldest first
            </span>
          </h2>
          {olderCursor ? (
            <div class="older-events">
              <button type="button" class="button" disabled={loadingOlder} onClick={loadOlder}>
                {loadingOlder ? 'Loading older events…' : 'Show older events'}
              </button>
              {olderError ? <ErrorNotice error={olderError} retry={loadOlder} /> : null}
            </div>
          ) : null}
          <Timeline
            items={timeline}
            // Stage moves and merges before the loaded events wait until those events are shown.
            stages={olderCursor ? since(profile.stageHistory, timeline[0]?.at) : profile.stageHistory}
            merges={olderCursor ? since(profile.merges, timeline[0]?.at) : profile.merges}
          />
        </section>
      </div>
    </>
  );
}

/** Why the status is what it is; the thresholds are the collector's (STATUS_DAYS in identity/profile.ts). */
/** Why the profile has its status, by the same rules as the collector: no visit for 30/90 days, or a payment overdue. */
function statusReason(profile: ProfileDetail): string {
  const days = daysBetween(profile.lastSeen);
  const seen = days === 0 ? 'seen today' : `last seen ${days} ${days === 1 ? 'day' : 'days'} ago`;
  if (profile.status === 'churned') return `${seen}: churned after 90 days without a visit`;
  if (profile.status === 'at_risk') {
    if (days < 30 && profile.billing?.atRisk) {
      const due = profile.billing.nextExpectedAt;
      return `${seen}: at risk because a payment is overdue${due ? ` (expected ${formatMoment(due)})` : ''}`;
    }
    return `${seen}: at risk after 30 days without a visit`;
  }
  return `${seen} (at risk after 30 days without a visit)`;
}

interface Revenue {
  text: string;
  count: number;
  method: string | null;
}

/**
 * Revenue, payment count and preferred method, from the collector's billing summary only: one rule for
 * refunds and payments, the collector's (the journey's events are not added up again here).
 */
export function revenueOf(profile: ProfileDetail): Revenue | null {
  const billing = profile.billing;
  if (!billing?.payments) return null;
  const parts = Object.entries(billing.revenue).map(([currency, minor]) => formatMinor(minor, currency));
  return { text: parts.join(' + ') || '—', count: billing.payments, method: billing.preferredMethod };
}

function ProfileHeader({
  profile,
  onChanged,
}: {
  profile: ProfileDetail;
  onChanged: (reply: ProfileReply) => void;
}) {
  const name = who(profile);
  const [dialog, setDialog] = useState<'stage' | 'merge' | null>(null);
  const history = profile.stageHistory ?? [];
  const reason = [...history].reverse().find((h) => h.stage === profile.stage && !h.skipped);
  const revenue = revenueOf(profile);
  const status = profile.status ?? 'active';
  const parts = Object.entries(profile.scoreParts ?? {}).filter(([, v]) => v);
  return (
    <header class="profile-header">
      <div class="profile-head">
        <PageTitle title={name.label}>
          <span class={name.anonymous ? 'anonymous' : undefined}>{name.label}</span>
        </PageTitle>
        <div class="profile-actions">
          <button type="button" class="button button-small" onClick={() => setDialog('stage')}>
            Change stage
          </button>
          <button type="button" class="button button-small" onClick={() => setDialog('merge')}>
            Merge with…
          </button>
          <PrivacyActions profile={profile} />
        </div>
      </div>
      {profile.name && profile.email ? <p class="profile-sub">{profile.name}</p> : null}
      {profile.recomputing ? (
        <p class="note" role="status">
          Recomputing this profile after a late event or a merge: the figures below are from just before it
          and update in a moment.
        </p>
      ) : null}
      <dl class="headline" aria-label="Summary">
        <div>
          <dt>Stage</dt>
          <dd>
            <StageBadge stage={profile.stage} />
            {profile.advocate ? (
              <span class="badge badge-advocate" title="Refers leads but has not paid yet">
                Advocate
              </span>
            ) : null}
            {reason ? (
              <span class="headline-why">
                {reason.manual ? plainText(reason.rule) : `because: ${plainText(reason.rule)}`}
              </span>
            ) : null}
          </dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>
            <span class={`status status-${status}`}>{STATUS_LABEL[status]}</span>
            <span class="headline-why">{statusReason(profile)}</span>
          </dd>
        </div>
        <div>
          <dt>Score</dt>
          <dd>
            <strong>{(profile.leadScore ?? 0).toLocaleString()}</strong>
            {parts.length ? (
              <span class="headline-why">{parts.map(([k, v]) => `${k} ${v}`).join(' · ')}</span>
            ) : null}
          </dd>
        </div>
        <div>
          <dt>First touch</dt>
          <dd>{profile.firstTouch ? channelLabel(profile.firstTouch) : 'Not recorded'}</dd>
        </div>
        {revenue ? (
          <div>
            <dt>Revenue</dt>
            <dd>
              <strong>{revenue.text}</strong>
              <span class="headline-why">
                {revenue.count} {revenue.count === 1 ? 'payment' : 'payments'}
                {revenue.method ? ` · mostly ${revenue.method}` : ''}
              </span>
            </dd>
          </div>
        ) : null}
      </dl>
      {profile.billing?.atRisk ? (
        <p class="warnings" role="note">
          Payment overdue: the next one was expected{' '}
          {profile.billing.nextExpectedAt ? formatMoment(profile.billing.nextExpectedAt) : 'earlier'}.
        </p>
      ) : null}
      {profile.warnings?.length ? (
        <ul class="warnings" aria-label="Identity warnings">
          {profile.warnings.map((w, i) => (
            <li key={i}>
              <strong>{w.kind}</strong> <code>{w.value}</code>: {w.reason}
            </li>
          ))}
        </ul>
      ) : null}
      {dialog === 'stage' ? (
        <StageDialog profile={profile} onClose={() => setDialog(null)} onChanged={onChanged} />
      ) : null}
      {dialog === 'merge' ? (
        <MergeDialog profile={profile} onClose={() => setDialog(null)} onChanged={onChanged} />
      ) : null}
    </header>
  );
}

const REFERRAL_STATUS: Record<ProfileReferral['status'], string> = {
  credited: 'Credited',
  review: 'Waiting for review',
  rejected: 'Rejected',
};

/**
 * The profile as a referrer: its code and the leads it referred. Credits over the site's daily limit wait
 * here for a marketer to approve or reject them; a counted one can be rejected too.
 */
function Referrals({ profile, onChanged }: { profile: ProfileDetail; onChanged: (r: ProfileReply) => void }) {
  const action = useAction();
  const refs = profile.referrals ?? [];
  const waiting = refs.filter((r) => r.status === 'review').length;
  const review = (r: ProfileReferral, approve: boolean) =>
    action.run(() => api.reviewReferral(profile.id, r.messageId, approve), onChanged);
  return (
    <>
      {profile.referralCode ? (
        <p class="small">
          Share <code>?ref={profile.referralCode}</code>
        </p>
      ) : null}
      {profile.advocate ? (
        <p class="muted small">An advocate: refers leads but has not paid yet, so not loyal.</p>
      ) : null}
      {refs.length === 0 ? (
        <p class="muted small">No referred leads yet.</p>
      ) : (
        <>
          {waiting ? (
            <p class="small" role="note">
              {waiting} {waiting === 1 ? 'credit waits' : 'credits wait'} for your review: over the daily
              limit.
            </p>
          ) : null}
          <ul class="referral-list" aria-label="Referred leads">
            {refs.map((r, i) => (
              <li key={r.messageId}>
                <Link href={`${BASE}/profiles/${encodeURIComponent(r.profileId)}`}>
                  Referred lead {i + 1}
                </Link>
                <span class="muted small">
                  {' '}
                  became a lead <RelativeTime iso={r.at} />
                </span>
                <span class={`referral-status referral-${r.status}`}>{REFERRAL_STATUS[r.status]}</span>
                {r.status === 'review' ? (
                  <span class="referral-actions">
                    <button
                      type="button"
                      class="button button-small"
                      disabled={action.busy}
                      aria-label={`Approve referred lead ${i + 1}`}
                      onClick={() => review(r, true)}
                    >
                      Approve
                    </button>
                    <button
                      type="button"
                      class="button button-small"
                      disabled={action.busy}
                      aria-label={`Reject referred lead ${i + 1}`}
                      onClick={() => review(r, false)}
                    >
                      Reject
                    </button>
                  </span>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      )}
      {action.error ? <ErrorNotice error={action.error} /> : null}
    </>
  );
}

function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = async <T,>(action: () => Promise<T>, done: (value: T) => void) => {
    setBusy(true);
    setError(null);
    try {
      const value = await action();
      setBusy(false);
      done(value);
    } catch (err) {
      setBusy(false);
      setError(toApiError(err));
    }
  };
  return { busy, error, run, setError };
}

/** The required reason every merge, undo and stage change records. */
function ReasonField({
  value,
  onInput,
  placeholder,
}: {
  value: string;
  onInput: (value: string) => void;
  placeholder?: string;
}) {
  return (
    <label class="field">
      Reason
      <textarea
        required
        maxLength={500}
        rows={2}
        value={value}
        placeholder={placeholder}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
    </label>
  );
}

function StageDialog({
  profile,
  onClose,
  onChanged,
}: {
  profile: ProfileDetail;
  onClose: () => void;
  onChanged: (reply: ProfileReply) => void;
}) {
  const [stage, setStage] = useState<Stage>(profile.stage);
  const [reason, setReason] = useState('');
  const action = useAction();
  return (
    <ConfirmDialog
      title="Change stage"
      confirmLabel="Set stage"
      busy={action.busy}
      error={action.error}
      onClose={onClose}
      onConfirm={() =>
        action.run(
          () => api.setStage(profile.id, stage, reason.trim()),
          (reply) => {
            onClose();
            onChanged(reply);
          },
        )
      }
    >
      <p>
        A stage set by hand is kept until later evidence moves the profile past it. The reason is shown in the
        stage history.
      </p>
      <label class="field">
        Stage
        <select value={stage} onChange={(e) => setStage(e.currentTarget.value as Stage)}>
          {STAGES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <ReasonField value={reason} onInput={setReason} />
    </ConfirmDialog>
  );
}

function MergeDialog({
  profile,
  onClose,
  onChanged,
}: {
  profile: ProfileDetail;
  onClose: () => void;
  onChanged: (reply: ProfileReply) => void;
}) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState<ProfileSummary[] | null>(null);
  const [searchError, setSearchError] = useState<ApiError | null>(null);
  const [other, setOther] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const action = useAction();
  useEffect(() => {
    const text = q.trim();
    if (!text) {
      setFound(null);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api.profiles({ q: text, site: profile.siteId, limit: 10 }, controller.signal).then(
        (reply) => {
          setSearchError(null);
          setFound(reply.profiles.filter((p) => p.id !== profile.id));
        },
        (err) => {
          if (!isAbort(err)) setSearchError(toApiError(err));
        },
      );
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [q]);
  const chosen = found?.find((p) => p.id === other);
  return (
    <ConfirmDialog
      title="Merge with another profile"
      confirmLabel="Merge"
      busy={action.busy}
      error={action.error}
      onClose={onClose}
      onConfirm={() => {
        if (!other) {
          action.setError(toApiError(new Error('Choose the profile to merge into this one.')));
          return;
        }
        action.run(
          () => api.merge(profile.id, other, reason.trim()),
          (reply) => {
            onClose();
            onChanged(reply);
          },
        );
      }}
    >
      <p>
        The other profile's identifiers and events join <strong>{who(profile).label}</strong>. The merge is
        recorded with your reason and can be undone under “Why is this one person?”.
      </p>
      <label class="field">
        Find the other profile
        <input
          type="search"
          placeholder="Email, name or id"
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
      </label>
      {searchError ? <ErrorNotice error={searchError} /> : null}
      {found ? (
        found.length ? (
          <fieldset class="choices">
            <legend class="visually-hidden">Profile to merge</legend>
            {found.map((p) => (
              <label key={p.id} class="choice">
                <input
                  type="radio"
                  name="other"
                  value={p.id}
                  checked={other === p.id}
                  onChange={() => setOther(p.id)}
                />
                <span>
                  {who(p).label} <StageBadge stage={p.stage} />
                  <span class="muted">
                    {' '}
                    · {p.eventCount} events · {touchLabel(p.firstTouch)}
                  </span>
                </span>
              </label>
            ))}
          </fieldset>
        ) : (
          <p class="muted" role="status">
            No other profile matches.
          </p>
        )
      ) : null}
      <ReasonField
        value={reason}
        onInput={setReason}
        placeholder={chosen ? `Same person as ${who(chosen).label}` : ''}
      />
    </ConfirmDialog>
  );
}

function Facts({ profile }: { profile: ProfileDetail }) {
  return (
    <dl class="facts">
      <div>
        <dt>First seen</dt>
        <dd>
          <time dateTime={profile.firstSeen} title={formatExact(profile.firstSeen)}>
            {formatMoment(profile.firstSeen)}
          </time>
        </dd>
      </div>
      <div>
        <dt>Last seen</dt>
        <dd>
          <RelativeTime iso={profile.lastSeen} />
        </dd>
      </div>
      <div>
        <dt>Events</dt>
        <dd>{profile.eventCount.toLocaleString()}</dd>
      </div>
      <div>
        <dt>Owner</dt>
        <dd>{profile.ownerEmail ?? <span class="muted">No owner</span>}</dd>
      </div>
      {profile.tags?.length ? (
        <div>
          <dt>Tags</dt>
          <dd>
            <ul class="chip-list" aria-label="Tags" style={{ margin: 0 }}>
              {profile.tags.map((tag) => (
                <li key={tag} class="chip" style={{ paddingRight: '0.6rem' }}>
                  {tag}
                </li>
              ))}
            </ul>
          </dd>
        </div>
      ) : null}
      {profile.company ? (
        <div>
          <dt>Company</dt>
          <dd>{profile.company}</dd>
        </div>
      ) : null}
      {profile.phone ? (
        <div>
          <dt>Phone</dt>
          <dd>{profile.phone}</dd>
        </div>
      ) : null}
      {profile.referredBy ? (
        <div>
          <dt>Referred by</dt>
          <dd>
            <code>{profile.referredBy}</code>
          </dd>
        </div>
      ) : null}
    </dl>
  );
}

function TouchFacts({ label, touch }: { label: string; touch: TouchSummary | null }) {
  return (
    <details class="touch" open={label === 'First touch'}>
      <summary>
        <span class="touch-label">{label}</span>{' '}
        <span class="touch-summary">{touch ? channelLabel(touch) : '—'}</span>
      </summary>
      {touch ? (
        <dl class="facts">
          {touch.ruleId ? (
            <div>
              <dt>Channel rule</dt>
              <dd>
                <code>{touch.ruleId}</code>
              </dd>
            </div>
          ) : null}
          <div>
            <dt>Referrer</dt>
            <dd>
              {touch.referrer ? <UrlText url={touch.referrer} /> : <span class="muted">none (direct)</span>}
            </dd>
          </div>
          <div>
            <dt>Landing page</dt>
            <dd>
              <UrlText url={touch.landingUrl} />
            </dd>
          </div>
          {Object.entries(touch.clickIds ?? {}).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>
                <code>{v}</code>
              </dd>
            </div>
          ))}
          {touch.at ? (
            <div>
              <dt>When</dt>
              <dd>
                <time dateTime={touch.at} title={formatExact(touch.at)}>
                  {formatMoment(touch.at)}
                </time>
              </dd>
            </div>
          ) : null}
        </dl>
      ) : (
        <p class="muted">Not recorded yet.</p>
      )}
    </details>
  );
}

function Payments({ profile }: { profile: ProfileDetail }) {
  const billing = profile.billing!;
  return (
    <>
      <ul class="payments">
        {billing.list.map((p) => (
          <li key={p.id} class={p.voided ? 'voided' : undefined}>
            <span class="payment-amount">
              {p.amount !== null && p.currency ? formatMinor(p.amount, p.currency) : '—'}
            </span>
            <span class="muted">
              <time dateTime={p.at}>{formatMoment(p.at)}</time>
              {p.method ? ` · ${p.method}` : ''}
              {p.voided
                ? ' · refunded'
                : p.refunded && p.currency
                  ? ` · ${formatMinor(p.refunded, p.currency)} refunded`
                  : ''}
            </span>
          </li>
        ))}
      </ul>
      <p class="muted note">
        {billing.averageIntervalDays !== null
          ? `Pays every ${billing.averageIntervalDays} days on average. `
          : ''}
        {billing.nextExpectedAt ? `Next payment expected ${formatMoment(billing.nextExpectedAt)}. ` : ''}
        {billing.failedPayments
          ? `${billing.failedPayments} failed ${billing.failedPayments === 1 ? 'payment' : 'payments'}.`
          : ''}
      </p>
    </>
  );
}

function StageHistory({ profile }: { profile: ProfileDetail }) {
  const history = profile.stageHistory ?? [];
  if (!history.length) return <p class="muted">No stage recorded yet.</p>;
  return (
    <ol class="stage-history">
      {history.map((h, i) => (
        <li key={i} class={h.skipped ? 'skipped' : undefined}>
          <StageBadge stage={h.stage} />
          <span>
            {h.skipped ? 'skipped — ' : ''}
            {plainText(h.rule.replace(/^skipped: /, ''))}
            <span class="muted">
              {' '}
              · <time dateTime={h.at}>{formatMoment(h.at)}</time>
            </span>
            {h.messageId ? (
              <>
                {' '}
                · <a href={`#event-${h.messageId}`}>evidence</a>
              </>
            ) : null}
          </span>
        </li>
      ))}
    </ol>
  );
}

export const KIND_LABEL: Record<Identifier['kind'], string> = {
  email: 'Email',
  user: 'User id',
  anonymous: 'Anonymous id',
  phone: 'Phone',
  billing: 'Billing id',
};

function Identifiers({ identifiers }: { identifiers: Identifier[] }) {
  if (!identifiers.length) return <p class="muted">None recorded.</p>;
  return (
    <ul class="identifiers">
      {identifiers.map((identifier) => (
        <li key={`${identifier.kind}:${identifier.value}`}>
          <span class="identifier-kind">
            {KIND_LABEL[identifier.kind] ?? identifier.kind}
            {identifier.verified ? ' · verified' : ''}
            {identifier.shared ? ' · shared, links nothing' : ''}
          </span>
          <code class="identifier-value">{identifier.value}</code>
        </li>
      ))}
    </ul>
  );
}

function IdentifierText({ identifier }: { identifier: Identifier }) {
  return (
    <span class="link-end">
      <span class="identifier-kind">{KIND_LABEL[identifier.kind] ?? identifier.kind}</span>{' '}
      <code>{identifier.value}</code>
    </span>
  );
}

/** The chain of active links that joins this profile's identifiers, each with its rule and evidence. */
function WhyOnePerson({
  profile,
  timeline,
  onUndone,
}: {
  profile: ProfileDetail;
  timeline: TimelineItem[];
  onUndone: () => void;
}) {
  const links = profile.links ?? [];
  const evidence = evidenceLabels(timeline);
  // A link that joined two profiles undoes a merge; one inside a single profile just unlinks.
  const merged = new Set((profile.merges ?? []).filter((m) => !m.undoneAt).map((m) => m.linkId));
  const active = links.filter((l) => l.status === 'active' && !l.revokedAt);
  const proposals = links.filter((l) => l.status === 'proposal' && !l.revokedAt);
  const others = links.filter((l) => !active.includes(l) && !proposals.includes(l));
  const [undo, setUndo] = useState<LinkSummary | null>(null);
  const [answer, setAnswer] = useState<{ link: LinkSummary; accept: boolean } | null>(null);
  return (
    <>
      {active.length ? (
        <ol class="links" aria-label="Active links">
          {active.map((l) => (
            <li key={l.id} class="link">
              <div class="link-pair">
                <IdentifierText identifier={l.a} />
                <span aria-hidden="true" class="link-join">
                  ⟷
                </span>
                <span class="visually-hidden"> linked to </span>
                <IdentifierText identifier={l.b} />
              </div>
              <p class="link-why">
                Rule <strong>{l.rule}</strong>
                {l.verified ? ' (verified)' : ''}
                {l.decision === 'manual' ? ` · by hand${l.reason ? `: ${l.reason}` : ''}` : ''} · evidence{' '}
                <a href={`#event-${l.messageId}`} title={l.messageId}>
                  {evidence.get(l.messageId) ?? 'an earlier event'}
                </a>{' '}
                · <time dateTime={l.at}>{formatMoment(l.at)}</time>
              </p>
              <button
                type="button"
                class="button button-small"
                aria-label={`${merged.has(l.id) ? 'Undo merge' : 'Unlink'}: unlink ${l.a.value} from ${l.b.value}`}
                onClick={() => setUndo(l)}
              >
                {merged.has(l.id) ? 'Undo merge' : 'Unlink'}
              </button>
            </li>
          ))}
        </ol>
      ) : (
        <p class="muted">
          {profile.identifiers.length > 1
            ? 'No active links are recorded for these identifiers.'
            : 'One identifier only: nothing was linked.'}
        </p>
      )}
      {proposals.length ? (
        <div class="proposals">
          <h3>Proposed merges</h3>
          <ul class="links">
            {proposals.map((l) => (
              <li key={l.id} class="link link-proposal">
                <div class="link-pair">
                  <IdentifierText identifier={l.a} />
                  <span aria-hidden="true" class="link-join">
                    ?
                  </span>
                  <span class="visually-hidden"> may be the same person as </span>
                  <IdentifierText identifier={l.b} />
                </div>
                <p class="link-why">
                  Rule <strong>{l.rule}</strong>: {plainText(l.reason ?? 'needs a decision')}
                </p>
                <div class="link-buttons">
                  <button
                    type="button"
                    class="button button-small"
                    onClick={() => setAnswer({ link: l, accept: true })}
                  >
                    Accept merge
                  </button>
                  <button
                    type="button"
                    class="button button-small"
                    onClick={() => setAnswer({ link: l, accept: false })}
                  >
                    Reject
                  </button>
                </div>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {others.length ? (
        <details class="links-other">
          <summary>
            {others.length} {others.length === 1 ? 'link' : 'links'} not joining (conflict, blocked or undone)
          </summary>
          <ul class="links">
            {others.map((l) => (
              <li key={l.id} class="link">
                <div class="link-pair">
                  <IdentifierText identifier={l.a} />
                  <span aria-hidden="true" class="link-join">
                    ⨯
                  </span>
                  <IdentifierText identifier={l.b} />
                </div>
                <p class="link-why">
                  <strong>{l.revokedAt ? 'undone' : l.status}</strong>:{' '}
                  {plainText(l.revokedReason ?? l.reason ?? l.rule)}
                </p>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {undo ? (
        <UndoDialog link={undo} merge={merged.has(undo.id)} onClose={() => setUndo(null)} onDone={onUndone} />
      ) : null}
      {answer ? <ProposalDialog {...answer} onClose={() => setAnswer(null)} onDone={onUndone} /> : null}
    </>
  );
}

function ProposalDialog({
  link,
  accept,
  onClose,
  onDone,
}: {
  link: LinkSummary;
  accept: boolean;
  onClose: () => void;
  onDone: () => void;
}) {
  const action = useAction();
  return (
    <ConfirmDialog
      title={accept ? 'Accept the proposed merge' : 'Reject the proposed merge'}
      confirmLabel={accept ? 'Accept merge' : 'Reject'}
      danger={!accept}
      busy={action.busy}
      error={action.error}
      onClose={onClose}
      onConfirm={() =>
        action.run(
          () => api.answerProposal(link.id, accept),
          () => {
            onClose();
            onDone();
          },
        )
      }
    >
      <p>
        {accept
          ? `The profiles holding ${link.a.value} and ${link.b.value} become one. It can be undone later.`
          : `${link.a.value} and ${link.b.value} stay apart; the proposal is not asked again.`}
      </p>
    </ConfirmDialog>
  );
}

function UndoDialog({
  link,
  merge,
  onClose,
  onDone,
}: {
  link: LinkSummary;
  merge: boolean;
  onClose: () => void;
  onDone: () => void;
}) {
  const [reason, setReason] = useState('');
  const action = useAction();
  return (
    <ConfirmDialog
      title={merge ? 'Undo merge' : 'Unlink identifiers'}
      confirmLabel={merge ? 'Undo merge' : 'Unlink'}
      danger
      busy={action.busy}
      error={action.error}
      onClose={onClose}
      onConfirm={() =>
        action.run(
          () => api.revokeLink(link.id, reason.trim()),
          () => {
            onClose();
            onDone();
          },
        )
      }
    >
      <p>
        The link between <code>{link.a.value}</code> and <code>{link.b.value}</code> is revoked. If nothing
        else joins them, the profile splits in two, each keeping its own events.
      </p>
      <ReasonField value={reason} onInput={setReason} />
    </ConfirmDialog>
  );
}

// ---- Privacy (admins only): export everything held about the person, or erase them ----

/** Whether the signed-in user is an admin (GET /api/me): export and erasure are hidden from members. */
function useAdmin(): boolean {
  const [admin, setAdmin] = useState(false);
  useEffect(() => {
    const controller = new AbortController();
    api.me(controller.signal).then(
      (reply) => setAdmin(!!reply.user && reply.user.role !== 'member'),
      () => setAdmin(false),
    );
    return () => controller.abort();
  }, []);
  return admin;
}

function PrivacyActions({ profile }: { profile: ProfileDetail }) {
  const admin = useAdmin();
  const [erasing, setErasing] = useState(false);
  const exporting = useAction();
  if (!admin) return null;
  const path = `/api/profiles/${encodeURIComponent(profile.id)}`;
  const download = () =>
    exporting.run(
      () => request<unknown>(`${path}/export`),
      (data) => {
        const url = URL.createObjectURL(
          new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }),
        );
        const a = document.createElement('a');
        a.href = url;
        a.download = `profile-${profile.id}.json`;
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      },
    );
  return (
    <>
      <button type="button" class="button button-small" disabled={exporting.busy} onClick={download}>
        {exporting.busy ? 'Preparing…' : 'Export data'}
      </button>
      <button type="button" class="button button-small button-danger" onClick={() => setErasing(true)}>
        Erase this person
      </button>
      {exporting.error ? <ErrorNotice error={exporting.error} /> : null}
      {erasing ? <EraseDialog profile={profile} path={path} onClose={() => setErasing(false)} /> : null}
    </>
  );
}

function EraseDialog({
  profile,
  path,
  onClose,
}: {
  profile: ProfileDetail;
  path: string;
  onClose: () => void;
}) {
  const [reason, setReason] = useState('');
  const action = useAction();
  const merged = new Set((profile.merges ?? []).filter((m) => !m.undoneAt).map((m) => m.mergedId)).size;
  const payments = profile.billing?.list.length ?? 0;
  const count = (n: number, one: string, many: string) => `${n.toLocaleString()} ${n === 1 ? one : many}`;
  return (
    <ConfirmDialog
      title="Erase this person?"
      confirmLabel="Erase for good"
      danger
      busy={action.busy}
      error={action.error}
      onClose={onClose}
      onConfirm={() =>
        action.run(
          () =>
            request<{ erasure: { id: string } }>(`${path}/erase`, {
              method: 'POST',
              body: reason.trim() ? { reason: reason.trim() } : {},
            }),
          (reply) => {
            onClose();
            navigate(profilesListHref());
            showErasedNotice(reply.erasure.id);
          },
        )
      }
    >
      <p>
        Everything Touchpoint holds about <strong>{who(profile).label}</strong> is removed at once. This
        cannot be undone:
      </p>
      <ul>
        <li>
          the profile
          {merged ? ` and the ${count(merged, 'profile', 'profiles')} merged into it` : ''}, and its{' '}
          {count(profile.identifiers.length, 'identifier', 'identifiers')}
        </li>
        <li>
          {count(profile.eventCount, 'event', 'events')} of the journey, with form submissions and touches
        </li>
        <li>chat conversations with their browsers</li>
        <li>
          {payments ? `${count(payments, 'payment', 'payments')} and ` : ''}the stage history, tasks, tags and
          the change log
        </li>
        <li>webhooks and emails about them that are waiting or were sent</li>
      </ul>
      <p>
        The overview and attribution stop counting them. A receipt without personal data is kept, and their
        identifiers are blocked so a delayed event cannot bring them back. Export the data first if a copy is
        needed.
      </p>
      <label class="field">
        Reason (optional, kept on the receipt: do not name the person)
        <input
          type="text"
          maxLength={300}
          value={reason}
          placeholder="Erasure request 2024-17"
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </label>
    </ConfirmDialog>
  );
}

/** A notice over the profiles list after an erasure (the profile page is gone by then). */
function showErasedNotice(receipt: string) {
  const host = document.createElement('div');
  document.body.append(host);
  const close = () => {
    render(null, host);
    host.remove();
  };
  render(
    <div
      class="notice"
      role="status"
      style={{
        position: 'fixed',
        left: '50%',
        bottom: '1.5rem',
        transform: 'translateX(-50%)',
        width: 'max-content',
        maxWidth: 'calc(100vw - 2rem)',
        padding: '0.75rem 1rem',
        color: 'var(--text)',
        background: 'var(--surface)',
        border: '1px solid var(--border)',
        borderRadius: 'var(--radius)',
        boxShadow: '0 6px 24px rgb(0 0 0 / 0.18)',
        zIndex: '50',
      }}
    >
      <span>
        The person was erased: everything about them is gone. Receipt <code>{receipt}</code>.
      </span>
      <button type="button" class="button button-small" onClick={close}>
        Dismiss
      </button>
    </div>,
    host,
  );
  setTimeout(close, 15_000);
}
