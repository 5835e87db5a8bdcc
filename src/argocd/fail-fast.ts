// Fail fast on a bad release: while a stage waits for Argo CD (or soaks), follow the application's resource tree
// (a GET, then the tree's stream, which is silent while nothing changes) and decide on every tree with
// pod-failure.ts. When the new revision's pods stay crash-looping or unable to pull past the grace, `failure` is
// set to a terminal Degraded error naming pod, reason and restarts, and `failed` resolves with it, minutes before
// Kubernetes' progress deadline would turn the Deployment Degraded.
//
// The watch never fails a stage for its own trouble: errors reading the tree are retried with a backoff, and access
// errors (which the Application wait reports itself) end only the watch.
import type { ApplicationFailure } from '@temporalio/common';
import { TERMINAL, terminal } from '../failures.js';
import { sleep } from './abort.js';
import { ArgoCDApiError, type ArgoCDClient } from './client.js';
import { decidePods, type PodVerdict } from './pod-failure.js';
import { getResourceTree, watchResourceTree, type ApplicationTree } from './resource-tree.js';

export interface FailFastOptions {
  /** The image the stage deploys: only pods of the newest ReplicaSet running it count. */
  image?: string;
  /** How long a pod may stay failing; 0 or less turns the watch off. */
  graceMs: number;
}

export interface FailFastInput extends FailFastOptions {
  application: string;
  project: string;
  signal?: AbortSignal;
  onVerdict?: (verdict: PodVerdict) => void;
}

export class FailFastWatch {
  failure: ApplicationFailure | undefined;
  /** Resolves with the failure once decided; never resolves while the pods are fine. */
  readonly failed: Promise<ApplicationFailure>;
  verdict: PodVerdict | undefined;
  lastError: unknown;
  private resolveFailed!: (f: ApplicationFailure) => void;
  private readonly abort = new AbortController();
  private failingSince: Record<string, number> = {};
  private lastTree: ApplicationTree | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly running: Promise<void>;

  constructor(
    private readonly client: ArgoCDClient,
    private readonly input: FailFastInput,
  ) {
    this.failed = new Promise((resolve) => (this.resolveFailed = resolve));
    const outer = input.signal;
    if (outer) {
      if (outer.aborted) this.abort.abort();
      else outer.addEventListener('abort', () => this.abort.abort(), { once: true });
    }
    this.running = input.graceMs > 0 ? this.run() : Promise.resolve();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.timer);
    await this.running;
  }

  private decide(tree: ApplicationTree): void {
    if (this.failure) return;
    this.lastTree = tree;
    const { verdict, failingSince } = decidePods(tree, { image: this.input.image, graceMs: this.input.graceMs, now: Date.now(), failingSince: this.failingSince });
    this.failingSince = failingSince;
    this.verdict = verdict;
    this.input.onVerdict?.(verdict);
    clearTimeout(this.timer);
    if (verdict.kind === 'failing') {
      // A crash loop's tree may not change again before the grace runs out: decide again when it does.
      this.timer = setTimeout(() => this.lastTree && this.decide(this.lastTree), Math.max(10, verdict.failAt - Date.now()));
      this.timer.unref?.();
    } else if (verdict.kind === 'failed') {
      const { application, graceMs } = this.input;
      this.failure = terminal(
        TERMINAL.degraded,
        `Argo CD application ${application}: pods of the new revision kept failing for ${Math.round(graceMs / 1000)}s (failFast): ${verdict.message}`,
      );
      this.abort.abort();
      this.resolveFailed(this.failure);
    }
  }

  private async run(): Promise<void> {
    const { application, project } = this.input;
    const signal = this.abort.signal;
    let delay = 500;
    while (!signal.aborted) {
      try {
        this.decide(await getResourceTree(this.client, application, { project, signal }));
        for await (const tree of watchResourceTree(this.client, application, { project, signal })) {
          delay = 500;
          this.decide(tree);
        }
      } catch (err) {
        if (signal.aborted) break;
        this.lastError = err;
        if (err instanceof ArgoCDApiError && err.accessDenied) return;
      }
      if (signal.aborted) break;
      // The stream ended (or a proxy timed it out while quiet): read the tree again, then follow it again.
      await sleep(delay / 2 + Math.random() * delay, signal);
      delay = Math.min(delay * 2, 10_000);
    }
  }
}

/** Starts watching, or returns undefined when fail-fast is off for this stage. */
export function watchNewRevisionPods(client: ArgoCDClient, input: FailFastInput): FailFastWatch | undefined {
  return input.graceMs > 0 ? new FailFastWatch(client, input) : undefined;
}
