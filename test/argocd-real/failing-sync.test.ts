// A sync that fails for real: an admission policy (a ValidatingAdmissionPolicy, the built-in kind of what
// Kyverno or Gatekeeper do) refuses the new image in staging, so Argo CD's sync operation ends Failed; the
// promotion stops there, reverts staging, and prod is never touched.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRealPromotionEnvironment, liveImage, promotionCommits, realLane, syncedHealthy, waitApp, type RealPromotionEnvironment } from './environment.js';

const APP = 'lane-failsync';
const REFUSED = 'nginx:refused-by-policy';
let env: RealPromotionEnvironment;

beforeAll(async () => {
  const { kube } = realLane();
  await kube.apply({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: 'lane-refuse-image' },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] },
      validations: [{ expression: `object.spec.template.spec.containers.all(c, c.image != '${REFUSED}')`, message: `image ${REFUSED} is not allowed here` }],
    },
  });
  await kube.apply({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: 'lane-refuse-image-staging' },
    spec: { policyName: 'lane-refuse-image', validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'staging' } } } },
  });
  env = await createRealPromotionEnvironment(APP);
});
afterAll(async () => {
  await env?.close();
  await realLane().kube.delete('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding', undefined, 'lane-refuse-image-staging');
  await realLane().kube.delete('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', undefined, 'lane-refuse-image');
});

describe('a failing sync against a real Argo CD', () => {
  it('staging refuses the image: the sync fails, staging is reverted and healthy, prod untouched', async () => {
    const handle = await env.promote({ image: REFUSED });
    const err = await handle.result().then(
      () => undefined,
      (e) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const failure = err.cause as ApplicationFailure;
    if (process.env.PROMENADE_TEST_VERBOSE) console.log(failure.type, failure.message);
    expect(failure.type).toBe('PromotionRolledBack');
    expect(failure.message).toMatch(/^staging-promote failed: .*(not allowed|failed)/);
    const stages = (await promotionCommits(env.repo, handle.workflowId)).map((c) => c.stage);
    expect(stages).toEqual(['dev-sync', 'staging-promote', 'staging-promote-rollback']);
    expect(await liveImage('dev', APP)).toBe(REFUSED);
    expect(await liveImage('staging', APP)).toBe('nginx:1.19');
    expect(await liveImage('prod', APP)).toBe('nginx:latest');
    const staging = await waitApp(`${APP}-staging`, syncedHealthy, 'staging healthy after the revert', 30_000);
    expect(staging.status?.operationState?.phase).toBe('Succeeded');
    const failed = staging.status?.history ?? [];
    expect(failed.length).toBeGreaterThanOrEqual(2);
  });
});
