import type { Application } from './types.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  name: string;
  app: Application;
}

/**
 * The Application "etcd": every committed change gets the next resourceVersion and is
 * announced to watchers; a commit that changes nothing is dropped, like an unchanged
 * Kubernetes update.
 */
export class ApplicationStore {
  private readonly apps = new Map<string, Application>();
  private readonly fingerprints = new Map<string, string>();
  private resourceVersion = 1000;
  private listeners = new Set<(e: StoreEvent) => void>();

  get(name: string): Application | undefined {
    return this.apps.get(name);
  }

  list(): Application[] {
    return [...this.apps.values()];
  }

  has(name: string): boolean {
    return this.apps.has(name);
  }

  get currentResourceVersion(): number {
    return this.resourceVersion;
  }

  /** Stores `app` (which callers may have mutated in place) if anything changed. */
  commit(app: Application): boolean {
    const name = app.metadata.name;
    const existed = this.apps.has(name);
    const { resourceVersion: _rv, ...meta } = app.metadata;
    const fingerprint = JSON.stringify({ ...app, metadata: meta });
    if (existed && this.fingerprints.get(name) === fingerprint && this.apps.get(name) === app) return false;
    this.resourceVersion += 1;
    app.metadata.resourceVersion = String(this.resourceVersion);
    this.apps.set(name, app);
    this.fingerprints.set(name, fingerprint);
    this.emit({ type: existed ? 'MODIFIED' : 'ADDED', name, app });
    return true;
  }

  delete(name: string): Application | undefined {
    const app = this.apps.get(name);
    if (!app) return undefined;
    this.apps.delete(name);
    this.fingerprints.delete(name);
    this.resourceVersion += 1;
    app.metadata.resourceVersion = String(this.resourceVersion);
    this.emit({ type: 'DELETED', name, app });
    return app;
  }

  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  exportState() {
    return { resourceVersion: this.resourceVersion, applications: this.list() };
  }

  importState(state: { resourceVersion: number; applications: Application[] }): void {
    this.resourceVersion = state.resourceVersion;
    for (const app of state.applications) {
      this.apps.set(app.metadata.name, app);
      const { resourceVersion: _rv, ...meta } = app.metadata;
      this.fingerprints.set(app.metadata.name, JSON.stringify({ ...app, metadata: meta }));
    }
  }

  close(): void {
    this.listeners.clear();
  }

  private emit(e: StoreEvent): void {
    for (const l of [...this.listeners]) l(e);
  }
}
