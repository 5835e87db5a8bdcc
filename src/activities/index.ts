// The activities the promotion workflow proxies, wired to the worker's own settings. Each is a thin adapter:
// the work is done by the git, manifests and argocd modules; here live heartbeats, resume state and the
// mapping between the workflow's contract and those modules.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ArgoCDClient, argocdConfigFromEnv, type ArgoCDConfig } from '../argocd/client.js';
import { watchHealth, type HealthWatchTuning } from '../argocd/health-watch.js';
import { syncAndWait, type SyncProgress, type SyncTuning } from '../argocd/sync-and-wait.js';
import { createAppLaneActivities } from './app-lane.js';
import type { PromotionActivities } from '../workflows/contract.js';
import { commitChange } from '../git/commit.js';
import { compareHead } from '../git/descendant.js';
import { readPipelineFile } from '../git/pipeline-source.js';
import { revertCommit } from '../git/revert.js';
import type { WorkspaceOptions } from '../git/workspace.js';
import { TERMINAL, terminal } from '../failures.js';
import type { WorkerConfig } from '../config/worker-config/index.js';

export interface ActivitySettings {
  /** The operators' file (PROMENADE_CONFIG); undefined in local mode. */
  workerConfig?: WorkerConfig;
  /** GitOps repository used when a promotion does not name one. */
  defaultRepository?: string;
  /** Branch promenade.yaml is read from. */
  configBranch: string;
  argocd: ArgoCDConfig;
  git?: WorkspaceOptions;
  syncTimeoutMs?: number;
  syncTuning?: Partial<SyncTuning>;
  healthTuning?: Partial<HealthWatchTuning>;
}

/** Everything the worker reads from its environment, secrets included: they stay in this process. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): ActivitySettings {
  return {
    defaultRepository: env.PROMENADE_REPOSITORY || undefined,
    configBranch: env.PROMENADE_CONFIG_BRANCH || 'main',
    argocd: argocdConfigFromEnv(env),
    git: { env, ...(env.PROMENADE_CACHE_DIR ? { cacheDir: `${env.PROMENADE_CACHE_DIR}/repos` } : {}) },
  };
}

export function createActivities(settings: ActivitySettings & { client: Client; taskQueue: string }): PromotionActivities {
  const argocd = new ArgoCDClient(settings.argocd);
  const syncTimeoutMs = settings.syncTimeoutMs ?? 15 * 60_000;

  return {
    ...createAppLaneActivities(settings.client, settings.taskQueue),

    async loadPipeline({ app, repository }) {
      const url = repository ?? settings.defaultRepository;
      if (!url) throw terminal(TERMINAL.invalidConfig, 'no GitOps repository: set PROMENADE_REPOSITORY on the worker or pass repository in the promotion input');
      return readPipelineFile(url, settings.configBranch, app, settings.git);
    },

    async commitImage(input) {
      const { environment: env } = input;
      const result = await commitChange({
        repository: input.repository,
        branch: input.branch,
        promotionId: input.promotionId,
        stage: input.stage,
        setter: env.image,
        image: input.image,
        message: `promote ${input.app} to ${env.name}: ${input.image}`,
        trailers: input.trailers,
        workspace: settings.git,
      });
      return { commit: result.commit, previousImage: result.previousImage, alreadyCommitted: result.alreadyCommitted, noChange: result.noChange };
    },

    async syncEnvironment({ repository, branch, environment: env, image, revision, promotionId, stage }) {
      const context = Context.current();
      const resumeState = (context.info.heartbeatDetails as SyncProgress | undefined) ?? undefined;
      const result = await syncAndWait(argocd, {
        application: env.argocd.application,
        project: env.argocd.project,
        revision,
        promotionId,
        stage,
        timeoutMs: syncTimeoutMs,
        signal: context.cancellationSignal,
        onProgress: (progress) => context.heartbeat(progress),
        headContainsRevision: async (head, ours) => {
          const verdict = await compareHead({ repository, branch, head, revision: ours, setter: env.image, image }, settings.git);
          return verdict === 'replaced' ? 'replaced' : verdict === 'delivers';
        },
        ...(resumeState ? { resumeState } : {}),
        ...(settings.syncTuning ? { tuning: settings.syncTuning } : {}),
      });
      // Argo CD may have deployed a later head that still carries our commit and image: record what it synced.
      return { revision: result.deployedRevision ?? result.revision, health: result.health, syncedAt: result.syncedAt, requests: result.requests };
    },

    async verifyHealth({ environment: env, revision, soakSeconds }) {
      const context = Context.current();
      // A retried soak starts over: health seen before a worker crash says nothing about the time since. The
      // summary (health transitions, whether a newer deployment cut it short) is the activity's result, so the
      // promotion's history tells how the soak went.
      return await watchHealth(argocd, {
        application: env.argocd.application,
        project: env.argocd.project,
        revision,
        durationMs: soakSeconds * 1000,
        signal: context.cancellationSignal,
        onProgress: (progress) => context.heartbeat(progress),
        ...(settings.healthTuning ? { tuning: settings.healthTuning } : {}),
      });
    },

    async revertStage(input) {
      const { environment: env } = input;
      const result = await revertCommit({
        repository: input.repository,
        branch: input.branch,
        promotionId: input.promotionId,
        stage: input.stage,
        commit: input.commit,
        ...(input.previousImage ? { fallback: { setter: env.image, previousImage: input.previousImage, image: input.image } } : {}),
        workspace: settings.git,
      });
      return { commit: result.commit, method: result.method, alreadyReverted: result.alreadyReverted };
    },
  };
}
