// Fail-fast against the simulator with Kubernetes' real 10-minute progress deadline: a crash-looping, unpullable or
// init-crashing release fails its wait within the grace, naming pod and reason; a slow but healthy rollout does not.
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, afterEach, describe, expect, it } from 'vitest';
import { ArgoCDClient } from '../../src/argocd/client.js';
import { syncAndWait } from '../../src/argocd/sync-and-wait.js';
import { watchHealth } from '../../src/argocd/health-watch.js';
import { deployment, startLab } from '../argocd-sim/seed-lab.js';

let lab: Awaited<ReturnType<typeof startLab>>;
let client: ArgoCDClient;
let seq = 0;

beforeAll(async () => {
  lab = await startLab({ progressDeadlineMs: 600_000, crashBackoffMs: 300 }, ['staging']);
  client = new ArgoCDClient({ baseUrl: lab.sim.url, token: lab.client.token, insecure: false });
  await lab.client.sync('myapp-staging');
  await lab.client.waitSyncedHealthy('myapp-staging');
});
afterEach(() => lab.sim.faults.reset());
afterAll(() => lab?.close());

async function deploy(image: string, graceMs: number) {
  lab.repo.write('staging/myapp/deployment.yaml', deployment('staging', 2, image));
  const revision = lab.repo.push(`staging: ${image}`);
  return syncAndWait(client, {
    application: 'myapp-staging',
    project: 'default',
    revision,
    promotionId: `p-${++seq}`,
    stage: 'staging-promote',
    timeoutMs: 120_000,
    failFast: { image, graceMs },
  });
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

/** Back to a good image, so the next case starts from a healthy app. */
async function restore() {
  lab.sim.faults.reset();
  await deploy('nginx:1.19', 60_000);
}

describe('fail-fast', () => {
  it('a crash-looping image fails the wait after the grace, naming pod, reason and restarts', async () => {
    lab.sim.faults.failImages('nginx:8.1', 'crash');
    const failure = await failureOf(deploy('nginx:8.1', 1_500));
    expect(failure.type).toBe('Degraded');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^Argo CD application myapp-staging: pods of the new revision kept failing for 2s \(failFast\): myapp-[0-9a-f]{10}-[0-9a-f]{5}: CrashLoopBackOff, \d+ restarts? \(container myapp\)/);
    // The Application itself still reads Progressing: Kubernetes' deadline is minutes away.
    expect(lab.sim.getApplication('myapp-staging')?.status?.health?.status).toBe('Progressing');
    await restore();
  });

  it('an image that cannot be pulled fails the wait after the grace', async () => {
    lab.sim.faults.failImages('nginx:8.2', 'pull');
    const failure = await failureOf(deploy('nginx:8.2', 1_500));
    expect(failure.message).toMatch(/failFast\): myapp-[0-9a-f-]+: (ImagePullBackOff|ErrImagePull), 0 restarts \(.*nginx:8\.2/);
    await restore();
  });

  it('a crash-looping init container fails the wait although Argo CD calls the pod Progressing', async () => {
    lab.sim.faults.failImages('nginx:8.3', 'init-crash');
    const failure = await failureOf(deploy('nginx:8.3', 1_500));
    expect(failure.message).toMatch(/failFast\): myapp-[0-9a-f-]+: Init:CrashLoopBackOff, \d+ restarts?/);
    await restore();
  });

  it('the soak fails fast too when the pods start crashing after the rollout', async () => {
    const app = lab.sim.getApplication('myapp-staging')!;
    lab.sim.faults.degrade('myapp-staging', { afterMs: 300, mode: 'crash' });
    const failure = await failureOf(
      watchHealth(client, {
        application: 'myapp-staging',
        project: 'default',
        revision: app.status!.sync!.revision!,
        durationMs: 120_000,
        // Longer than the fail-fast grace: it is fail-fast, not the unhealthy grace, that ends this soak.
        tuning: { unhealthyGraceMs: 100_000 },
        failFast: { graceMs: 1_500 },
      }),
    );
    expect(failure.message).toMatch(/failFast\): myapp-[0-9a-f-]+: CrashLoopBackOff/);
    lab.sim.faults.recover('myapp-staging');
    await lab.client.waitSyncedHealthy('myapp-staging', undefined, 30_000);
  });
});

describe('fail-fast and a slow rollout', () => {
  let slow: Awaited<ReturnType<typeof startLab>>;
  afterAll(() => slow?.close());

  it('a slow but healthy rollout is not failed early, however short the grace', async () => {
    // One pod every 1.5 s: three replicas take longer than ten graces of 100 ms.
    slow = await startLab({ progressDeadlineMs: 600_000, rolloutStepMs: 1_500 }, ['prod']);
    const slowClient = new ArgoCDClient({ baseUrl: slow.sim.url, token: slow.client.token, insecure: false });
    slow.repo.write('prod/myapp/deployment.yaml', deployment('prod', 3, 'nginx:8.4'));
    const revision = slow.repo.push('prod: slow image');
    const result = await syncAndWait(slowClient, {
      application: 'myapp-prod',
      project: 'default',
      revision,
      promotionId: 'slow',
      stage: 'prod-promote',
      timeoutMs: 120_000,
      failFast: { image: 'nginx:8.4', graceMs: 100 },
    });
    expect(result.health).toBe('Healthy');
  });
});
