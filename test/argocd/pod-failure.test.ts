// The fail-fast decision, one case per situation, on resource trees shaped as Argo CD v3.6 serves them.
import { describe, expect, it } from 'vitest';
import { decidePods, describeProblems } from '../../src/argocd/pod-failure.js';
import type { ApplicationTree, ResourceNode } from '../../src/argocd/resource-tree.js';

const DEPLOY = { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'dev', name: 'myapp', uid: 'dep-1' };

function rs(hash: string, revision: number, deployment = DEPLOY): ResourceNode {
  return { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: 'dev', name: `${deployment.name}-${hash}`, uid: `rs-${hash}`, parentRefs: [deployment], info: [{ name: 'Revision', value: `Rev:${revision}` }], health: { status: 'Healthy' } };
}

function pod(hash: string, n: number, image: string, state: { reason: string; ready?: string; restarts?: number; health: string; message?: string }): ResourceNode {
  return {
    version: 'v1',
    kind: 'Pod',
    namespace: 'dev',
    name: `myapp-${hash}-pod${n}`,
    uid: `pod-${hash}-${n}`,
    parentRefs: [{ group: 'apps', kind: 'ReplicaSet', namespace: 'dev', name: `myapp-${hash}`, uid: `rs-${hash}` }],
    images: [image],
    health: { status: state.health, ...(state.message ? { message: state.message } : {}) },
    info: [
      { name: 'Status Reason', value: state.reason },
      { name: 'Node', value: 'node-1' },
      { name: 'Containers', value: state.ready ?? '0/1' },
      ...(state.restarts ? [{ name: 'Restart Count', value: String(state.restarts) }] : []),
    ],
  };
}

const RUNNING = { reason: 'Running', ready: '1/1', health: 'Healthy' };
const CRASHING = { reason: 'CrashLoopBackOff', restarts: 4, health: 'Degraded', message: 'back-off 40s restarting failed container=myapp pod=myapp-new-pod1_dev(x)' };

function tree(...nodes: ResourceNode[]): ApplicationTree {
  return { nodes: [DEPLOY, ...nodes] };
}

const GRACE = 60_000;
const T0 = 1_000_000;

describe('decidePods', () => {
  it('new pods running: running', () => {
    const d = decidePods(tree(rs('old', 1), rs('new', 2), pod('new', 1, 'app:2', RUNNING)), { image: 'app:2', graceMs: GRACE, now: T0, failingSince: {} });
    expect(d.verdict).toEqual({ kind: 'running', pods: 1 });
  });

  it('no ReplicaSet for the new image yet (not synced): no-new-pods, even if the current pods crash', () => {
    const d = decidePods(tree(rs('old', 1), pod('old', 1, 'app:1', CRASHING)), { image: 'app:2', graceMs: GRACE, now: T0, failingSince: {} });
    expect(d.verdict.kind).toBe('no-new-pods');
  });

  it('a crash loop within the grace: failing, with the instant it will fail', () => {
    const d = decidePods(tree(rs('old', 1), rs('new', 2), pod('new', 1, 'app:2', CRASHING)), { image: 'app:2', graceMs: GRACE, now: T0, failingSince: {} });
    expect(d.verdict).toMatchObject({ kind: 'failing', failAt: T0 + GRACE });
    expect(d.failingSince).toEqual({ 'pod-new-1': T0 });
  });

  it('a crash loop past the grace: failed, naming pod, reason, restarts and container', () => {
    const d = decidePods(tree(rs('old', 1), rs('new', 2), pod('new', 1, 'app:2', CRASHING)), { image: 'app:2', graceMs: GRACE, now: T0 + GRACE, failingSince: { 'pod-new-1': T0 } });
    expect(d.verdict.kind).toBe('failed');
    expect(d.verdict.kind === 'failed' && d.verdict.message).toBe('myapp-new-pod1: CrashLoopBackOff, 4 restarts (container myapp)');
  });

  it('image pull failures (ImagePullBackOff and ErrImagePull) count, with the pull message', () => {
    const pull = { reason: 'ImagePullBackOff', health: 'Degraded', message: 'Back-off pulling image "app:2"' };
    const err = { reason: 'ErrImagePull', health: 'Degraded', message: 'failed to pull image "app:2"' };
    const d = decidePods(tree(rs('new', 2), pod('new', 1, 'app:2', pull), pod('new', 2, 'app:2', err)), { image: 'app:2', graceMs: GRACE, now: T0 + GRACE, failingSince: { 'pod-new-1': T0, 'pod-new-2': T0 } });
    expect(d.verdict.kind === 'failed' && d.verdict.message).toBe(
      'myapp-new-pod1: ImagePullBackOff, 0 restarts (Back-off pulling image "app:2"); myapp-new-pod2: ErrImagePull, 0 restarts (failed to pull image "app:2")',
    );
  });

  it('a crash-looping init container counts although Argo CD calls the pod only Progressing', () => {
    const init = { reason: 'Init:CrashLoopBackOff', restarts: 3, health: 'Progressing' };
    const d = decidePods(tree(rs('new', 2), pod('new', 1, 'app:2', init)), { image: 'app:2', graceMs: GRACE, now: T0 + GRACE, failingSince: { 'pod-new-1': T0 } });
    expect(d.verdict.kind === 'failed' && d.verdict.message).toBe('myapp-new-pod1: Init:CrashLoopBackOff, 3 restarts');
  });

  it('a crash-looping pod caught Running between back-offs stays failing', () => {
    const between = { reason: 'Running', ready: '0/1', restarts: 5, health: 'Degraded' };
    const d = decidePods(tree(rs('new', 2), pod('new', 1, 'app:2', between)), { image: 'app:2', graceMs: GRACE, now: T0 + 10, failingSince: { 'pod-new-1': T0 } });
    expect(d.verdict).toMatchObject({ kind: 'failing', failAt: T0 + GRACE });
  });

  it('a slow rollout (pending, creating, unready without restarts) is never failing', () => {
    const nodes = [
      pod('new', 1, 'app:2', { reason: 'Pending', ready: '0/1', health: 'Progressing' }),
      pod('new', 2, 'app:2', { reason: 'ContainerCreating', ready: '0/1', health: 'Progressing' }),
      pod('new', 3, 'app:2', { reason: 'Running', ready: '0/1', health: 'Progressing' }),
    ];
    const d = decidePods(tree(rs('new', 2), ...nodes), { image: 'app:2', graceMs: GRACE, now: T0 + 10 * GRACE, failingSince: {} });
    expect(d.verdict).toEqual({ kind: 'running', pods: 3 });
  });

  it('old revisions crashing do not count, only the newest ReplicaSet', () => {
    const d = decidePods(tree(rs('old', 1), rs('new', 2), pod('old', 1, 'app:1', CRASHING), pod('new', 1, 'app:1', RUNNING)), {
      image: 'app:1',
      graceMs: GRACE,
      now: T0 + GRACE,
      failingSince: { 'pod-old-1': T0 },
    });
    expect(d.verdict).toEqual({ kind: 'running', pods: 1 });
  });

  it('a Deployment that does not run the image does not count', () => {
    const other = { ...DEPLOY, name: 'redis', uid: 'dep-2' };
    const otherRs = { ...rs('r1', 1, other), name: 'redis-r1', uid: 'rs-r1' };
    const d = decidePods(tree(other, otherRs, rs('new', 2), pod('r1', 1, 'redis:7', CRASHING), pod('new', 1, 'app:2', RUNNING)), {
      image: 'app:2',
      graceMs: GRACE,
      now: T0 + GRACE,
      failingSince: { 'pod-r1-1': T0 },
    });
    expect(d.verdict).toEqual({ kind: 'running', pods: 1 });
  });

  it('a pod that became ready again starts its grace over', () => {
    const d = decidePods(tree(rs('new', 2), pod('new', 1, 'app:2', RUNNING)), { image: 'app:2', graceMs: GRACE, now: T0 + GRACE, failingSince: { 'pod-new-1': T0 } });
    expect(d.verdict.kind).toBe('running');
    expect(d.failingSince).toEqual({});
  });

  it('matches the image as the kubelet reports it (registry and library prefix)', () => {
    const d = decidePods(tree(rs('new', 2), pod('new', 1, 'docker.io/library/nginx:1.25', CRASHING)), { image: 'nginx:1.25', graceMs: 0, now: T0, failingSince: {} });
    expect(d.verdict.kind).toBe('failed');
  });

  it('names at most three pods', () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ pod: `p${i}`, reason: 'CrashLoopBackOff', restarts: 1, since: 0 }));
    expect(describeProblems(many)).toBe('p0: CrashLoopBackOff, 1 restart; p1: CrashLoopBackOff, 1 restart; p2: CrashLoopBackOff, 1 restart; and 2 more pod(s)');
  });
});
