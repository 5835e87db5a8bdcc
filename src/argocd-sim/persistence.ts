import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster, ClusterState } from './cluster.js';
import type { ApplicationStore } from './store.js';
import type { Application } from './types.js';

interface SavedState {
  version: 1;
  savedAt: string;
  store: { resourceVersion: number; applications: Application[] };
  cluster: ClusterState;
}

/**
 * Keeps applications (with their history) and the cluster in `<stateDir>/state.json`,
 * written shortly after changes settle and on stop, so a restart resumes where it was.
 */
export class StatePersistence {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly file: string;

  constructor(
    stateDir: string,
    private readonly store: ApplicationStore,
    private readonly cluster: Cluster,
    private readonly debounceMs = 200,
  ) {
    mkdirSync(stateDir, { recursive: true });
    this.file = join(stateDir, 'state.json');
  }

  load(): boolean {
    let saved: SavedState;
    try {
      saved = JSON.parse(readFileSync(this.file, 'utf8')) as SavedState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new Error(`argocd-sim: cannot read ${this.file}: ${(err as Error).message}`);
    }
    this.store.importState(saved.store);
    this.cluster.importState(saved.cluster);
    return true;
  }

  watch(): void {
    this.store.subscribe(() => this.schedule());
    this.cluster.onChange(() => this.schedule());
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const state: SavedState = {
      version: 1,
      savedAt: new Date().toISOString(),
      store: this.store.exportState(),
      cluster: this.cluster.exportState(),
    };
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(state));
    renameSync(tmp, this.file);
  }

  /** Final write; later changes (stragglers during shutdown) are not saved. */
  close(): void {
    this.flush();
    this.closed = true;
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.flush();
      } catch (err) {
        console.error('argocd-sim: saving state failed:', err);
      }
    }, this.debounceMs);
    this.timer.unref?.();
  }
}
