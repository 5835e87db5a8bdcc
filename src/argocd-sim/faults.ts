import type { Pod, PodFailure } from './cluster.js';
import { globMatch } from './glob.js';

export interface HttpFaults {
  /** Share (0..1) of /api requests answered with `errorStatus`. */
  errorRate?: number;
  /** 500 (Internal), 502, 503 (Unavailable) or 504; default 503. */
  errorStatus?: number;
  /** Added to every /api request. */
  latencyMs?: number;
  /** Share (0..1) of /api requests whose socket is destroyed without an answer. */
  dropRate?: number;
}

/** pull: ErrImagePull/ImagePullBackOff; crash: the container crash-loops; init-crash: an init container crash-loops. */
export type ImageFailureMode = 'pull' | 'crash' | 'init-crash';

export const IMAGE_FAILURE_MODES: readonly ImageFailureMode[] = ['pull', 'crash', 'init-crash'];

export interface ImageFailure {
  pattern: string;
  mode: ImageFailureMode;
  /** Only pods of this application fail (all applications when absent). */
  app?: string;
}

const FAILURE_OF_MODE: Record<ImageFailureMode, PodFailure> = {
  pull: 'ImagePullBackOff',
  crash: 'CrashLoopBackOff',
  'init-crash': 'Init:CrashLoopBackOff',
};

export interface FaultSnapshot {
  imageFailures: ImageFailure[];
  degraded: Record<string, { at: string; mode: 'pull' | 'crash' }>;
  failNextSyncs: Record<string, { count: number; message: string }>;
  http: HttpFaults;
  controllerPaused: boolean;
}

/** Fault switches, read by the cluster, controller and HTTP layer on every decision. */
export class FaultState {
  imageFailures: ImageFailure[] = [];
  degradedAt = new Map<string, { at: number; mode: 'pull' | 'crash' }>();
  failNextSyncs = new Map<string, { count: number; message: string }>();
  http: HttpFaults = {};
  controllerPaused = false;

  podFailure(pod: Pod, app: string | undefined): PodFailure | undefined {
    for (const f of this.imageFailures) {
      if (f.app && f.app !== app) continue;
      const images = [...pod.images, ...(pod.initContainers ?? []).map((c) => c.image)];
      if (images.some((image) => globMatch(f.pattern, image))) return FAILURE_OF_MODE[f.mode];
    }
    const degraded = app ? this.degradedAt.get(app) : undefined;
    if (degraded && degraded.at <= Date.now()) return degraded.mode === 'pull' ? 'ImagePullBackOff' : 'CrashLoopBackOff';
    return undefined;
  }

  /** Consumes one injected sync failure for `app`, if any. */
  takeSyncFailure(app: string): string | undefined {
    const f = this.failNextSyncs.get(app);
    if (!f || f.count <= 0) return undefined;
    f.count -= 1;
    if (f.count === 0) this.failNextSyncs.delete(app);
    return f.message;
  }

  snapshot(): FaultSnapshot {
    return {
      imageFailures: [...this.imageFailures],
      degraded: Object.fromEntries([...this.degradedAt].map(([k, v]) => [k, { at: new Date(v.at).toISOString(), mode: v.mode }])),
      failNextSyncs: Object.fromEntries(this.failNextSyncs),
      http: { ...this.http },
      controllerPaused: this.controllerPaused,
    };
  }

  clear(): void {
    this.imageFailures = [];
    this.degradedAt.clear();
    this.failNextSyncs.clear();
    this.http = {};
    this.controllerPaused = false;
  }
}
