// The schema's history, in order: each numbered file is frozen once released, and a change is a new file.
import m001 from './001-initial.ts';
import m002 from './002-identity-graph.ts';
import m003 from './003-forms-and-chat.ts';
import m004 from './004-billing.ts';
import m005 from './005-overview-cohort.ts';
import m006 from './006-attribution-touch-columns.ts';
import m007 from './007-payment-amount-key.ts';
import m008 from './008-payment-overdue.ts';
import m009 from './009-overview-covering-indexes.ts';
import m010 from './010-search-and-attribution-rollups.ts';
import m011 from './011-referrals.ts';
import m012 from './012-overview-days.ts';
import m013 from './013-profile-sort-orders.ts';
import m014 from './014-stage-times.ts';
import m015 from './015-store-versions.ts';
import m016 from './016-stripe-event-outcome.ts';
import m017 from './017-browser-segments.ts';
import m018 from './018-referral-trust.ts';
import m019 from './019-profile-changes.ts';
import m020 from './020-refold-queue.ts';
import m021 from './021-referral-claims.ts';
import m022 from './022-browser-act-summary.ts';
import m023 from './023-automations.ts';
import m024 from './024-roles.ts';
import m025 from './025-bot-days.ts';
import m026 from './026-cookieless-and-leads-index.ts';
import m027 from './027-chat-tokens.ts';
import m028 from './028-privacy.ts';
import m029 from './029-profile-status-and-site-counts.ts';
import m030 from './030-overview-distributions.ts';
import m031 from './031-list-filter-orders.ts';

/** Each migration's statements; its version is its position + 1. */
export const MIGRATIONS: readonly (readonly string[])[] = [
  m001,
  m002,
  m003,
  m004,
  m005,
  m006,
  m007,
  m008,
  m009,
  m010,
  m011,
  m012,
  m013,
  m014,
  m015,
  m016,
  m017,
  m018,
  m019,
  m020,
  m021,
  m022,
  m023,
  m024,
  m025,
  m026,
  m027,
  m028,
  m029,
  m030,
  m031,
];

/**
 * The read models that triggers keep in step with `profiles` inside every write transaction; nothing writes
 * them directly. Listed here so a reader (or a rebuild) finds them in one place.
 */
export const READ_MODELS = [
  'profiles_search',
  'attribution_touches',
  'attribution_days',
  'attribution_revenue',
  'overview_days',
  'overview_interval_bands',
  'overview_interval_hours',
  'overview_moment_days',
  'overview_moment_quarters',
  'site_counts',
] as const;
