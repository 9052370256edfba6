// The libSQL store: every area's SQL over one client, and the one writer that all of its writes go through.
import type { Db as Client } from './client.ts';
import type { PreparedEvent } from '../../ingest/prepare.ts';
import { TIMELINE_PAGE } from '../../../wire.ts';
import type { Store, WriteOutcome } from '../types.ts';
import { createAccountStore } from './accounts.ts';
import { createAutomationStore } from './automations.ts';
import { attribution } from './attribution.ts';
import { createBillingStore } from './billing.ts';
import { createChatStore } from './chat.ts';
import { createChatFeed, lastChangeId } from './chat-feed.ts';
import { commitEventGroups } from './events.ts';
import { createFormStore } from './forms.ts';
import {
  answerProposal,
  listChanges,
  listProposals,
  mergeProfiles,
  revokeLink,
  reviewReferral,
  setStage,
} from './identity.ts';
import { migrate, snapshot } from './migrate.ts';
import { ltv } from './ltv.ts';
import { overview } from './overview.ts';
import { createPrivacyStore } from './privacy.ts';
import { getProfile, getTimeline, listProfiles, liveProfileRow } from './profiles.ts';
import { createRefolder } from './refolder.ts';
import { createSiteStore } from './sites.ts';
import { mintReferralCode } from './stitch/referrals.ts';
import { forgetAllSettings } from './stitch/settings.ts';
import { type CacheName, watchVersions } from './versions.ts';
import { createWriter, type WriteFn, type WriterOptions } from './writer.ts';

export interface LibsqlStoreOptions extends WriterOptions {
  url: string;
  /** How often this process looks for setting changes made by other processes. */
  versionPollMs?: number;
  /** How often this process looks for chat messages and inbox changes made by other processes. */
  chatPollMs?: number;
}

export interface LibsqlStore extends Store {
  /** The store's connection: for tests that watch what it reads. No route or domain module sees it. */
  readonly client: Client;
  /** Calls `listener` when a cached kind changes, in this process or another (the store thread forwards it). */
  onChange(name: CacheName, listener: () => void): void;
}

export async function createLibsqlStore(client: Client, options: LibsqlStoreOptions): Promise<LibsqlStore> {
  const writer = createWriter<PreparedEvent, WriteOutcome>(client, options, commitEventGroups);
  const write = <T>(fn: WriteFn<T>) => writer.run(fn);
  await migrate(client, options.url, write);
  const feed = createChatFeed(client, options.chatPollMs ?? 300, await lastChangeId(client));
  const versions = watchVersions(client, options.versionPollMs ?? 500);
  versions.on('sites', forgetAllSettings);
  const sites = createSiteStore(client, write, versions);
  const refolder = createRefolder(client, write);
  const automations = createAutomationStore(client, write);
  return {
    client,
    onChange: (name, listener) => versions.on(name, listener),
    sites,
    accounts: createAccountStore(client, write),
    automations,
    privacy: createPrivacyStore(client, write, {
      url: options.url,
      tasks: (profileId) => automations.tasks({ profileId, status: 'all' }),
    }),
    forms: createFormStore(client, write, versions),
    chat: createChatStore(client, write, versions, feed),
    events: {
      submit: (siteId, events) => writer.submit(siteId, events),
      countCookieless: (siteId, views) =>
        write(async (tx) => {
          await tx.execute({
            // a negative count (views given back) never takes a day below nought
            sql: `INSERT INTO cookieless_days (site_id, day, views) VALUES (?, ?, MAX(0, ?))
                  ON CONFLICT DO UPDATE SET views = MAX(0, views + ?)`,
            args: [siteId, Math.floor(Date.now() / 86_400_000), views, views],
          });
        }),
      countBots: (siteId, events) =>
        write(async (tx) => {
          await tx.execute({
            sql: `INSERT INTO bot_days (site_id, day, requests, events) VALUES (?, ?, 1, ?)
                  ON CONFLICT DO UPDATE SET requests = requests + 1, events = events + excluded.events`,
            args: [siteId, Math.floor(Date.now() / 86_400_000), events],
          });
        }),
    },
    profiles: {
      list: (query) => listProfiles(client, query),
      // a profile's referral code is made on first ask, by the writer (a read never writes)
      get: (id) =>
        getProfile(client, id, TIMELINE_PAGE, (siteId, keys) =>
          write((tx) => mintReferralCode(tx, siteId, keys)),
        ),
      timeline: (id, before, limit) => getTimeline(client, id, before, limit),
      async live(id) {
        const row = await liveProfileRow(client, id);
        return row ? { id: String(row.id), siteId: String(row.site_id) } : null;
      },
      merge: (id, otherId, reason) => mergeProfiles(client, write, id, otherId, reason),
      revokeLink: (linkId, reason) => revokeLink(client, write, linkId, reason),
      proposals: (siteId) => listProposals(client, siteId),
      answerProposal: (linkId, accept) => answerProposal(client, write, linkId, accept),
      setStage: (id, stage, reason) => setStage(client, write, id, stage, reason),
      reviewReferral: (id, messageId, approve) => reviewReferral(client, write, id, messageId, approve),
      changes: (query) => listChanges(client, query),
    },
    reports: {
      overview: (query) => overview(client, query),
      attribution: (query) => attribution(client, query),
      ltv: (query) => ltv(client, query),
    },
    billing: createBillingStore(client, write),
    writerState: async () => ({
      pending: writer.pending,
      limit: options.queueLimit,
      commits: writer.stats.commits,
      events: writer.stats.events,
      busy: writer.stats.busy,
    }),
    async ping() {
      await client.execute('SELECT 1');
    },
    backup: (path) => snapshot(client, path),
    async close() {
      versions.close();
      feed.close();
      await refolder.close();
      await writer.close();
      client.close();
    },
  };
}
