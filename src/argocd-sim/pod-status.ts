// What Kubernetes would show of a simulated pod: its phase and the state of each container and init container,
// in the shape of core/v1 PodStatus, so that health and the resource tree's info are derived from it by the same
// rules Argo CD applies to real pods (pod-health.ts).
import { type Pod, type PodContainer, crashBackoff } from './cluster.js';
import { rfc3339 } from './time.js';

export interface ContainerState {
  waiting?: { reason: string; message?: string };
  running?: { startedAt: string };
  terminated?: { exitCode: number; reason: string; finishedAt?: string };
}

export interface ContainerStatus {
  name: string;
  image: string;
  ready: boolean;
  restartCount: number;
  state: ContainerState;
  lastState: ContainerState;
}

export interface PodStatusView {
  phase: 'Pending' | 'Running';
  containerStatuses: ContainerStatus[];
  initContainerStatuses: ContainerStatus[];
}

/** The container the pod's failure is about: the init container for init crashes, else the first main one. */
export function failingContainer(pod: Pod): PodContainer {
  const containers = podContainers(pod);
  if (pod.reason !== 'Init:CrashLoopBackOff') return containers[0]!;
  // Pods without an init container of their own crash in one running their first image (a migration step, say).
  return pod.initContainers?.[0] ?? { name: 'init', image: containers[0]?.image ?? '' };
}

export function podContainers(pod: Pod): PodContainer[] {
  if (pod.containers?.length) return pod.containers;
  return pod.images.map((image, i) => ({ name: i === 0 ? pod.deployment : `container-${i}`, image }));
}

export function podInitContainers(pod: Pod): PodContainer[] {
  if (pod.reason === 'Init:CrashLoopBackOff' && !pod.initContainers?.length) return [failingContainer(pod)];
  return pod.initContainers ?? [];
}

export function podStatusView(pod: Pod, now: number, crashBackoffMs: number): PodStatusView {
  const failing = pod.reason ? failingContainer(pod) : undefined;
  const started = rfc3339(pod.readyAt ?? pod.createdAt);
  const backoffSeconds = Math.round(crashBackoff(crashBackoffMs, pod.restarts) / 1000);
  const crashed = (c: PodContainer): ContainerStatus => ({
    name: c.name,
    image: c.image,
    ready: false,
    restartCount: pod.restarts,
    state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${backoffSeconds}s restarting failed container=${c.name} pod=${pod.name}_${pod.namespace}(${pod.name})` } },
    lastState: pod.restarts > 0 ? { terminated: { exitCode: 1, reason: 'Error' } } : {},
  });
  const initDone = pod.reason !== 'Init:CrashLoopBackOff';
  const initContainerStatuses = podInitContainers(pod).map((c): ContainerStatus => {
    if (failing && c.name === failing.name && !initDone) return crashed(c);
    if (initDone && (pod.phase === 'Running' || pod.reason)) {
      return { name: c.name, image: c.image, ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } }, lastState: {} };
    }
    return { name: c.name, image: c.image, ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } }, lastState: {} };
  });
  const containerStatuses = podContainers(pod).map((c): ContainerStatus => {
    const base = { name: c.name, image: c.image, restartCount: 0, lastState: {} };
    if (!initDone) return { ...base, ready: false, state: { waiting: { reason: 'PodInitializing' } } };
    if (pod.reason === 'ImagePullBackOff' && failing && c.name === failing.name) {
      // The kubelet reports ErrImagePull for the first attempt, then backs off.
      const reason = now - (pod.failingSince ?? now) < crashBackoffMs ? 'ErrImagePull' : 'ImagePullBackOff';
      const message = reason === 'ErrImagePull' ? `failed to pull and unpack image "${c.image}": not found` : `Back-off pulling image "${c.image}"`;
      return { ...base, ready: false, state: { waiting: { reason, message } } };
    }
    if (pod.reason === 'CrashLoopBackOff' && failing && c.name === failing.name) return crashed(c);
    if (pod.ready || pod.phase === 'Running') return { ...base, ready: pod.ready, state: { running: { startedAt: started } } };
    return { ...base, ready: false, state: { waiting: { reason: 'ContainerCreating' } } };
  });
  return { phase: pod.phase, containerStatuses, initContainerStatuses };
}
