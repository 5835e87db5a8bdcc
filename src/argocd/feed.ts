// The freshest known state of one Application, kept current by the watch stream (reconnected with the
// last resourceVersion and a backoff when it ends) and by whatever GET or sync answers the caller pushes.
// Waiters wake on every newer snapshot, so decisions follow events instead of polling.
import { sleep } from './abort.js';
import { ArgoCDApiError, type ArgoCDClient } from './client.js';
import type { Application } from './types.js';

export interface ReconnectPolicy {
  /** Delay after a connection that stayed up, or the first short-lived one; doubled for each further one in a row. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A connection up at least this long counts as healthy and starts the backoff over. */
  stableAfterMs: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { initialDelayMs: 500, maxDelayMs: 10_000, stableAfterMs: 30_000 };

/**
 * The backoff after a watch connection ended, from how many short-lived ones came before it in a row and how
 * long it stayed up. Events do not reset it: a proxy that closes every stream after its first event must not
 * make the feed reconnect at the initial delay for ever. The feed sleeps half to one and a half times the delay.
 */
export function nextReconnect(shortLivedBefore: number, upForMs: number, policy: ReconnectPolicy = DEFAULT_RECONNECT): { shortLived: number; delayMs: number } {
  const shortLived = upForMs >= policy.stableAfterMs ? 0 : shortLivedBefore + 1;
  return { shortLived, delayMs: Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, shortLived - 1)) };
}

function rvNumber(app: Application | undefined): number | undefined {
  const rv = app?.metadata?.resourceVersion;
  if (!rv || !/^\d+$/.test(rv)) return undefined;
  return Number(rv);
}

export class ApplicationFeed {
  latest: Application | undefined;
  /** Bumped on every accepted snapshot. */
  version = 0;
  /** When the last snapshot (event or pushed answer) arrived. */
  lastUpdateAt = 0;
  /** An error no reconnect can fix (401/403/404 on the stream). */
  fatal: ArgoCDApiError | undefined;
  deleted = false;
  private readonly abort = new AbortController();
  private readonly waiters = new Set<() => void>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly client: ArgoCDClient,
    private readonly application: string,
    private readonly project: string,
    outer?: AbortSignal,
    private readonly now: () => number = Date.now,
    private readonly reconnect: ReconnectPolicy = DEFAULT_RECONNECT,
  ) {
    if (outer) {
      if (outer.aborted) this.abort.abort(outer.reason);
      else outer.addEventListener('abort', () => this.stop(), { once: true });
    }
  }

  /** Accepts the snapshot unless it is older than the one held (numeric resourceVersions only). */
  push(app: Application): boolean {
    if (!app?.metadata) return false;
    const next = rvNumber(app);
    const cur = rvNumber(this.latest);
    this.lastUpdateAt = this.now();
    // Older (a GET answered before an event we already have) or the same object again: nothing to decide on.
    if (next !== undefined && cur !== undefined && next <= cur) return false;
    this.latest = app;
    this.version++;
    this.wake();
    return true;
  }

  start(): void {
    if (!this.running) this.running = this.run();
  }

  stop(): void {
    if (!this.abort.signal.aborted) this.abort.abort();
    this.wake();
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Resolves true when a snapshot newer than `sinceVersion` arrives, false after `ms` or on stop. */
  waitForChange(sinceVersion: number, ms: number): Promise<boolean> {
    if (this.version !== sinceVersion || this.fatal || this.deleted) return Promise.resolve(true);
    if (this.abort.signal.aborted || ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(this.version !== sinceVersion || !!this.fatal || this.deleted);
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private async run(): Promise<void> {
    let shortLived = 0;
    while (!this.abort.signal.aborted) {
      const openedAt = this.now();
      try {
        const events = this.client.watchApplication(this.application, {
          project: this.project,
          resourceVersion: this.latest?.metadata?.resourceVersion,
          signal: this.abort.signal,
        });
        for await (const ev of events) {
          if (ev.type === 'DELETED') {
            this.deleted = true;
            this.lastUpdateAt = this.now();
            this.wake();
            continue;
          }
          if (!this.push(ev.application)) this.lastUpdateAt = this.now();
        }
      } catch (err) {
        if (err instanceof ArgoCDApiError && err.accessDenied) {
          this.fatal = err;
          this.wake();
          return;
        }
        // Anything else (server restart, proxy timeout, a bad line) is worth a reconnect; the caller's GETs
        // report what persists.
      }
      if (this.abort.signal.aborted) break;
      // The stream ended: come back with the last resourceVersion.
      const next = nextReconnect(shortLived, this.now() - openedAt, this.reconnect);
      shortLived = next.shortLived;
      await sleep(next.delayMs / 2 + Math.random() * next.delayMs, this.abort.signal);
    }
  }

  async stopped(): Promise<void> {
    this.stop();
    await this.running;
  }
}
