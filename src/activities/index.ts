// The activities the promotion workflow proxies, wired to the worker's own settings. Each is a thin adapter:
// the work is done by the git, manifests and argocd modules; here live heartbeats, resume state and the
// mapping between the workflow's contract and those modules.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ArgoCDClient, argocdConfigFromEnv, type ArgoCDConfig } from '../argocd/client.js';
import { watchHealth, type HealthWatchTuning } from '../argocd/health-watch.js';
import { syncAndWait, type SyncProgress, type SyncTuning } from '../argocd/sync-and-wait.js';
import { createAppLaneActivities } from './app-lane.js';
import { createVerificationActivities } from './verification.js';
import { assertChecksAllowed } from '../verification/policy.js';
import { createIdentityActivities } from './identity.js';
import type { PromotionActivities } from '../workflows/contract.js';
import { commitChange } from '../git/commit.js';
import { compareHead } from '../git/descendant.js';
import { readPipelineFile } from '../git/pipeline-source.js';
import { revertCommit } from '../git/revert.js';
import type { WorkspaceOptions } from '../git/workspace.js';
import { TERMINAL, terminal } from '../failures.js';
import type { WorkerConfig } from '../config/worker-config/index.js';
import {
  LEGACY_ENV,
  LOCAL_REPOSITORIES_ENV,
  projectAllowed,
  repositoryForPromotion,
  workerRepositories,
  type RepositoryConfig,
  type WorkerRepositories,
} from '../config/worker-config/repositories.js';
import { redactUrlCredentials } from '../config/repository-url.js';
import { PIPELINE_DEFAULTS } from '../config/pipeline-file.js';
import type { EnvironmentConfig } from '../config/pipeline.js';

/** The environment's fail-fast grace; runs started before `failFast` existed get the default. */
const failFastMs = (env: EnvironmentConfig) => (env.failFastSeconds ?? PIPELINE_DEFAULTS.failFastSeconds) * 1000;
import { holdToFloor, holdToIdentity, IdentityUnavailableError, PolicyFloorError } from '../config/policy-floor.js';

export interface ActivitySettings {
  /** The operators' file (PROMENADE_CONFIG); undefined in local mode. */
  workerConfig?: WorkerConfig;
  /** The repositories the worker serves; default: the file's section, or else `defaultRepository` alone. */
  repositories?: WorkerRepositories;
  /** The one repository of a worker without a repositories section (PROMENADE_REPOSITORY). */
  defaultRepository?: string;
  /** Serve local paths and file:// URLs (PROMENADE_LOCAL_REPOSITORIES=1: the npm start stack, tests, the bench). */
  localRepositories?: boolean;
  /** Branch promenade.yaml is read from. */
  configBranch: string;
  argocd: ArgoCDConfig;
  git?: WorkspaceOptions;
  syncTimeoutMs?: number;
  syncTuning?: Partial<SyncTuning>;
  healthTuning?: Partial<HealthWatchTuning>;
}

/**
 * Everything the worker reads from its environment and its configuration file, secrets included: they stay in this
 * process. Which repositories it serves is settled here, so a conflict stops the worker before it takes a task.
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env, workerConfig?: WorkerConfig): ActivitySettings {
  return {
    ...(workerConfig ? { workerConfig } : {}),
    repositories: workerRepositories(workerConfig?.repositories, env),
    defaultRepository: env[LEGACY_ENV.repository] || undefined,
    configBranch: env.PROMENADE_CONFIG_BRANCH || 'main',
    argocd: argocdConfigFromEnv(env),
    git: { env },
  };
}

export function createActivities(settings: ActivitySettings & { client: Client; taskQueue: string }): PromotionActivities {
  const argocd = new ArgoCDClient(settings.argocd);
  const syncTimeoutMs = settings.syncTimeoutMs ?? 15 * 60_000;
  const repositories =
    settings.repositories ??
    workerRepositories(settings.workerConfig?.repositories, {
      ...(settings.defaultRepository ? { [LEGACY_ENV.repository]: settings.defaultRepository } : {}),
      ...(settings.localRepositories ? { [LOCAL_REPOSITORIES_ENV]: '1' } : {}),
    });
  const workspace = (repository: RepositoryConfig): WorkspaceOptions => ({
    ...settings.git,
    ...(repository.credentials ? { credentials: repository.credentials } : {}),
  });
  // Every git step checks again that its repository is the worker's: the URL comes back from workflow history.
  const served = (url: string): RepositoryConfig => {
    const repository = repositories.list.find((r) => r.url === url);
    if (!repository) throw terminal(TERMINAL.invalidInput, `repository ${redactUrlCredentials(url)} is not one of the repositories this worker serves`);
    return repository;
  };
  const inAllowedProject = (repository: RepositoryConfig, env: { name: string; argocd: { application: string; project: string } }) => {
    if (projectAllowed(repository, env.argocd.project)) return;
    const allowed = repository.projects === '*' ? 'any' : repository.projects.join(', ');
    throw terminal(
      TERMINAL.invalidConfig,
      `environment ${env.name}: Argo CD application ${env.argocd.application} is in project ${env.argocd.project}, where applications of ${redactUrlCredentials(repository.url)} may not live (the worker's configuration allows: ${allowed})`,
    );
  };

  return {
    ...createAppLaneActivities(settings.client, settings.taskQueue),
    ...createVerificationActivities(settings.workerConfig?.verification),
    ...createIdentityActivities({ identity: settings.workerConfig?.identity, client: settings.client, taskQueue: settings.taskQueue }),

    async loadPipeline({ app, repository: requested }) {
      // Before any git process: a repository the worker does not serve is never fetched, nor sent credentials.
      const chosen = repositoryForPromotion(repositories, app, requested);
      if ('problem' in chosen) {
        throw terminal(TERMINAL.invalidInput, requested === undefined ? chosen.problem : `${chosen.problem}: ${redactUrlCredentials(requested)}`);
      }
      const { repository } = chosen;
      const pipeline = await readPipelineFile(repository.url, settings.configBranch, app, workspace(repository), cancellationSignal());
      // Before anything is committed: a promenade.yaml may not point its environments at other teams' projects.
      for (const env of pipeline.environments) inAllowedProject(repository, env);
      // Checks aimed where the worker's operators did not allow end the promotion here, before any commit.
      assertChecksAllowed(pipeline, settings.workerConfig?.verification);
      try {
        return holdToIdentity(holdToFloor(pipeline, settings.workerConfig?.policy), settings.workerConfig?.identity);
      } catch (err) {
        if (err instanceof PolicyFloorError) throw terminal(TERMINAL.invalidConfig, err.message, { problems: err.problems });
        if (err instanceof IdentityUnavailableError) throw terminal(TERMINAL.invalidConfig, err.message);
        throw err;
      }
    },

    async commitImage(input) {
      const { environment: env } = input;
      const repository = served(input.repository);
      inAllowedProject(repository, env);
      const result = await heartbeating(() => commitChange({
        repository: input.repository,
        branch: input.branch,
        promotionId: input.promotionId,
        stage: input.stage,
        setter: env.image,
        image: input.image,
        message: `promote ${input.app} to ${env.name}: ${input.image}`,
        trailers: input.trailers,
        workspace: workspace(repository),
      }));
      return { commit: result.commit, previousImage: result.previousImage, alreadyCommitted: result.alreadyCommitted, noChange: result.noChange };
    },

    async syncEnvironment({ repository, branch, environment: env, image, revision, promotionId, stage }) {
      const gitops = served(repository);
      inAllowedProject(gitops, env);
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
          const verdict = await compareHead({ repository, branch, head, revision: ours, setter: env.image, image }, workspace(gitops), context.cancellationSignal);
          return verdict === 'replaced' ? 'replaced' : verdict === 'delivers';
        },
        failFast: { image, graceMs: failFastMs(env) },
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
        failFast: { graceMs: failFastMs(env) },
        signal: context.cancellationSignal,
        onProgress: (progress) => context.heartbeat(progress),
        ...(settings.healthTuning ? { tuning: settings.healthTuning } : {}),
      });
    },

    async revertStage(input) {
      const { environment: env } = input;
      const repository = served(input.repository);
      const result = await heartbeating(() => revertCommit({
        repository: input.repository,
        branch: input.branch,
        promotionId: input.promotionId,
        stage: input.stage,
        commit: input.commit,
        ...(input.previousImage ? { fallback: { setter: env.image, previousImage: input.previousImage, image: input.image } } : {}),
        workspace: workspace(repository),
      }));
      return { commit: result.commit, method: result.method, alreadyReverted: result.alreadyReverted };
    },
  };
}

/**
 * Runs a commit or revert with heartbeats, so a worker that dies mid-commit is noticed within the activity's
 * heartbeat timeout (30 s) rather than its start-to-close timeout; the retry finds the commit by its trailers if
 * it had been pushed. The git work itself is not aborted on cancellation: it is shared by a whole batch of changes.
 */
async function heartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), 5_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** The running activity's cancellation signal, or none when called outside an activity (tests, tools). */
function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}
