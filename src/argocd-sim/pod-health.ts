// A pod's health and resource-tree info by the rules real Argo CD applies, over the Kubernetes view of the pod:
//  - health: gitops-engine's getCorev1PodHealth for RestartPolicy Always
//    (https://github.com/argoproj/gitops-engine/blob/master/pkg/health/health_pod.go): a main container waiting
//    with a reason starting "Err" or ending "Error"/"BackOff" is Degraded; otherwise Pending is Progressing, a ready
//    Running pod Healthy, an unready one Degraded if a container terminated before, else Progressing. Init
//    containers are not looked at, so a crash-looping init container leaves the pod Progressing.
//  - info: Argo CD's populatePodInfo (controller/cache/info.go), kubectl's STATUS column: `Status Reason`
//    (`Init:CrashLoopBackOff` while an init container fails), `Node`, `Containers` ready/total, `Restart Count`.
import type { HealthStatus } from './types.js';
import type { PodStatusView } from './pod-status.js';

export function podHealth(view: PodStatusView, ready: boolean): HealthStatus {
  const messages: string[] = [];
  for (const c of view.containerStatuses) {
    const reason = c.state.waiting?.reason;
    if (reason && (reason.startsWith('Err') || reason.endsWith('Error') || reason.endsWith('BackOff'))) messages.push(c.state.waiting?.message ?? '');
  }
  if (messages.length) return { status: 'Degraded', message: messages.join(', ') };
  if (view.phase === 'Pending') return { status: 'Progressing' };
  if (ready) return { status: 'Healthy' };
  if (view.containerStatuses.some((c) => c.lastState.terminated)) return { status: 'Degraded' };
  return { status: 'Progressing' };
}

export interface InfoItem {
  name: string;
  value: string;
}

export function podInfo(view: PodStatusView, nodeName: string): InfoItem[] {
  let reason: string = view.phase;
  let restarts = 0;
  let initializing = false;
  const inits = view.initContainerStatuses;
  inits.forEach((c, i) => {
    restarts += c.restartCount;
    if (initializing) return;
    const t = c.state.terminated;
    if (t && t.exitCode === 0) return;
    initializing = true;
    if (t) reason = `Init:${t.reason || `ExitCode:${t.exitCode}`}`;
    else if (c.state.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${inits.length}`;
  });
  let ready = 0;
  if (!initializing) {
    restarts = 0;
    for (const c of [...view.containerStatuses].reverse()) {
      restarts += c.restartCount;
      if (c.state.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state.terminated?.reason) reason = c.state.terminated.reason;
      if (c.ready && c.state.running) ready++;
    }
  }
  const info: InfoItem[] = [];
  if (reason) info.push({ name: 'Status Reason', value: reason });
  info.push({ name: 'Node', value: nodeName });
  info.push({ name: 'Containers', value: `${ready}/${view.containerStatuses.length}` });
  if (restarts > 0) info.push({ name: 'Restart Count', value: String(restarts) });
  return info;
}
