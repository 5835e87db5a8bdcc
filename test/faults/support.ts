// What the fault scenarios share: an environment of many small services, a scan of every promenade commit on
// the branch, and a seeded random source so a failing fault schedule can be replayed.
import { mkdir, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { seedDeployment } from '../../src/bootstrap/seed-layout.js';
import type { PromotionResult } from '../../src/workflows/promotion-status.js';
import { createPromotionEnvironment, type PromotionEnvironment, type PromotionEnvironmentOptions } from '../support/promotion-environment.js';

const exec = promisify(execFile);

export interface ServiceEnvironment {
  name: string;
  /** Argo CD auto-sync (the app deploys its branch head by itself) or syncs requested by promenade. */
  automated: boolean;
  /** The environment's entry in promenade.yaml (indented by the caller's YAML), default: no gate, no soak. */
  pipeline?: string;
}

export const BASE_IMAGE = 'nginx:1.19';

/** One Argo CD Application per service and environment, each with its own deployment.yaml in the repository. */
export async function createServicesEnvironment(
  services: string[],
  environments: ServiceEnvironment[],
  options: Omit<PromotionEnvironmentOptions, 'pipeline' | 'applications' | 'beforeApplications'> & {
    /** promenade.yaml entries of some services instead of `{}`. */
    appEntries?: Record<string, string>;
  } = {},
): Promise<PromotionEnvironment> {
  const pipelineEnvironments = environments
    .map((e) => e.pipeline ?? `{ name: ${e.name}, approval: false, soak: 0s }`)
    .map((p) => `    - ${p}`)
    .join('\n');
  const pipeline = `defaults:
  environments:
${pipelineEnvironments}
apps:
${services.map((s) => `  ${s}: ${options.appEntries?.[s] ?? '{}'}`).join('\n')}
`;
  const { appEntries: _, ...environmentOptions } = options;
  return createPromotionEnvironment({
    ...environmentOptions,
    pipeline,
    applications: services.flatMap((app) =>
      environments.map((e) => ({
        metadata: { name: `${app}-${e.name}`, namespace: 'argocd' },
        spec: {
          project: 'default',
          source: { repoURL: 'PLACEHOLDER', targetRevision: 'main', path: `${e.name}/${app}` },
          destination: { server: 'https://kubernetes.default.svc', namespace: e.name },
          syncPolicy: { ...(e.automated ? { automated: { prune: true, selfHeal: true } } : {}), syncOptions: ['CreateNamespace=true'] },
        },
      })),
    ),
    beforeApplications: async (e) => {
      for (const app of services) {
        for (const { name } of environments) {
          await mkdir(join(e.root, 'work', name, app), { recursive: true });
          await writeFile(join(e.root, 'work', name, app, 'deployment.yaml'), seedDeployment(app, name, 2, BASE_IMAGE));
        }
      }
      await e.git('add', '.');
      await e.git('commit', '--quiet', '-m', 'Add the services');
      await e.git('push', '--quiet', 'origin', 'HEAD:main');
    },
  });
}

export interface LedgerCommit {
  sha: string;
  promotion: string;
  stage: string;
}

/** Every commit on the remote branch that carries a Promenade-Promotion trailer, oldest first. */
export async function promenadeCommits(env: PromotionEnvironment, since?: string): Promise<LedgerCommit[]> {
  await env.git('fetch', '--quiet', 'origin');
  const range = since ? `${since}..origin/main` : 'origin/main';
  const out = await env.git(
    'log',
    '--reverse',
    '--format=%H%x1f%(trailers:key=Promenade-Promotion,valueonly,separator=%x2c)%x1f%(trailers:key=Promenade-Stage,valueonly,separator=%x2c)%x1e',
    range,
  );
  return out
    .split('\x1e')
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => r.split('\x1f'))
    .filter(([, promotion]) => promotion.trim() !== '')
    .map(([sha, promotion, stage]) => ({ sha, promotion: promotion.trim(), stage: stage.trim() }));
}

/**
 * Checks the branch against what each promotion should have committed: `duplicates` counts stage commits made
 * more than once, `orphans` commits whose promotion is not one of ours, `missing` expected stage commits absent.
 */
export async function auditLedger(env: PromotionEnvironment, expected: Map<string, string[]>, since?: string) {
  const commits = await promenadeCommits(env, since);
  const seen = new Map<string, number>();
  for (const c of commits) seen.set(`${c.promotion}\u0000${c.stage}`, (seen.get(`${c.promotion}\u0000${c.stage}`) ?? 0) + 1);
  const duplicates = [...seen.values()].filter((n) => n > 1).reduce((sum, n) => sum + n - 1, 0);
  const orphans = commits.filter((c) => !expected.has(c.promotion));
  let missing = 0;
  const mismatched: string[] = [];
  for (const [id, stages] of expected) {
    const actual = commits.filter((c) => c.promotion === id).map((c) => c.stage);
    missing += stages.filter((s) => !actual.includes(s)).length;
    if (JSON.stringify(actual) !== JSON.stringify(stages)) mismatched.push(`${id}: ${actual.join(',')} != ${stages.join(',')}`);
  }
  return { commits, duplicates, orphans, missing, mismatched };
}

/** The branch is linear from `startTip` on: it still contains it (no force push) and has no merges. */
export async function assertLinear(env: PromotionEnvironment, startTip: string): Promise<void> {
  await env.git('fetch', '--quiet', 'origin');
  await env.git('merge-base', '--is-ancestor', startTip, 'origin/main');
  const merges = await env.git('rev-list', '--merges', '--count', `${startTip}..origin/main`);
  if (merges !== '0') throw new Error(`${merges} merge commits since ${startTip}`);
}

/** A file as the remote branch has it now, read from the bare repository itself (safe from parallel callers). */
export async function remoteFile(env: PromotionEnvironment, path: string): Promise<string> {
  const { stdout } = await exec('git', ['--git-dir', join(env.root, 'gitops.git'), 'show', `main:${path}`]);
  return stdout;
}

/** A human's commit on the branch, pushed without force; when it loses a race to promenade it rebases and pushes again. */
export async function commitAsHuman(env: PromotionEnvironment, path: string, content: string, message: string): Promise<string> {
  try {
    return await env.commitFile(path, content, message);
  } catch (err) {
    for (let attempt = 1; attempt <= 10; attempt++) {
      await sleep(200 * attempt);
      try {
        await env.git('pull', '--quiet', '--rebase');
        await env.git('push', '--quiet', 'origin', 'HEAD:main');
        return await env.git('rev-parse', 'HEAD');
      } catch {
        /* lost another race */
      }
    }
    throw err;
  }
}

export async function remoteTip(env: PromotionEnvironment): Promise<string> {
  return (await env.git('ls-remote', 'origin', 'refs/heads/main')).split(/\s/)[0];
}

/** The end state of a run: its result state, or the type of its failure. */
export async function outcomeOf(env: PromotionEnvironment, workflowId: string): Promise<{ state: string; failure?: ApplicationFailure; result?: PromotionResult }> {
  try {
    const result = (await env.client.workflow.getHandle(workflowId).result()) as PromotionResult;
    return { state: result.state, result };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError) || !(err.cause instanceof ApplicationFailure)) {
      if (err instanceof WorkflowFailedError && err.cause) return { state: `failed with ${err.cause.name}`, failure: err.cause as ApplicationFailure };
      throw err;
    }
    const states: Record<string, string> = { PromotionRolledBack: 'rolled-back', RollbackFailed: 'rollback-failed', PromotionFailed: 'failed' };
    return { state: states[err.cause.type ?? ''] ?? err.cause.type ?? 'failed', failure: err.cause };
  }
}

/** mulberry32: a small seeded PRNG, so a fault schedule that broke something can be run again. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
