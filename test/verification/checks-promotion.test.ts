// Checks in a real promotion (dev server, git remote, Argo CD simulator, a real Prometheus): a quiet error rate
// lets the promotion through with every measurement in its status; a rising one during prod's soak rolls prod back;
// an unreachable Prometheus fails staging with that cause; a check aimed at a host the worker does not allow stops
// the promotion before anything is committed.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatStatus } from '../../src/cli/status.js';
import { approveSignal, statusQuery } from '../../src/workflows/messages.js';
import type { PromotionStatus } from '../../src/workflows/promotion-status.js';
import { createPromotionEnvironment, promotionCommits, recordHistory, type PromotionEnvironment } from '../support/promotion-environment.js';
import { ERROR_RATE_QUERY, startPrometheusLab, type PrometheusLab } from '../support/prometheus.js';

const errorRateCheck = (server = 'default') => `
          - name: error-rate
            prometheus:
              server: ${server}
              query: '${ERROR_RATE_QUERY}'
              successCondition: result[0] < 0.05
              interval: 1s
              count: 2
              failureLimit: 1`;

const pipeline = (stagingChecks = '', prodChecks = errorRateCheck()) => `apps:
  myapp:
    environments:
      - dev
      - name: staging${stagingChecks ? `\n        checks:${stagingChecks}` : ''}
      - name: prod
        approval: { approvers: [alice], required: 1, timeout: 60s }
        soak: 6s
        checks:${prodChecks}
`;

let env: PromotionEnvironment;
let prometheus: PrometheusLab;

beforeAll(async () => {
  prometheus = await startPrometheusLab();
  env = await createPromotionEnvironment({ pipeline: pipeline() });
  env.settings.workerConfig = {
    source: 'test',
    verification: {
      prometheus: { default: { url: prometheus.url }, down: { url: 'http://127.0.0.1:9' } },
      allowedHosts: ['status.example.com'],
      secrets: {},
    },
  };
  await env.startWorker();
}, 180_000);
afterAll(async () => {
  await env?.close();
  await prometheus?.close();
});

async function failureOf(workflowId: string): Promise<ApplicationFailure> {
  const err = await env.client.workflow.getHandle(workflowId).result().then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return err.cause;
}

describe('checks in a promotion', () => {
  it('a quiet error rate passes; every measurement is in the status, healthy phase and soak', async () => {
    prometheus.setErrorRate(0);
    const handle = await env.promote({ app: 'myapp', image: 'nginx:5.1' });
    await env.waitForState(handle.workflowId, ['awaiting-approval']);
    await handle.signal(approveSignal, { approver: 'alice' });
    const result = await handle.result();
    await recordHistory(env, handle.workflowId, 'checks-promoted');
    expect(result.state).toBe('promoted');
    const status: PromotionStatus = await handle.query(statusQuery);
    const prod = status.stages.find((s) => s.stage === 'prod-promote')!;
    const soak = status.stages.find((s) => s.stage === 'verify-health')!;
    expect(prod.checks?.map((m) => [m.check, m.during, m.phase])).toEqual([
      ['error-rate', 'healthy', 'Successful'],
      ['error-rate', 'healthy', 'Successful'],
    ]);
    expect(soak.checks!.length).toBeGreaterThanOrEqual(2);
    for (const m of soak.checks!) expect(m).toMatchObject({ check: 'error-rate', during: 'soak', phase: 'Successful', value: '[0]', at: expect.stringMatching(/^\d{4}-/) });
    // `promenade status` shows each check's latest measurement under its stage.
    expect(formatStatus(handle.workflowId, status)).toMatch(/verify-health +succeeded\n {4}check error-rate \(soak\): Successful \[0\] at \d{4}-/);
  });

  it('a rising error rate during the soak rolls prod back, naming the check', async () => {
    prometheus.setErrorRate(0);
    const prodBefore = env.deployedImage('prod');
    const handle = await env.promote({ app: 'myapp', image: 'nginx:5.2' });
    await env.waitForState(handle.workflowId, ['awaiting-approval']);
    await handle.signal(approveSignal, { approver: 'alice' });
    await env.waitForState(handle.workflowId, ['verifying']);
    prometheus.setErrorRate(0.4);
    const failure = await failureOf(handle.workflowId);
    await recordHistory(env, handle.workflowId, 'checks-soak-rolled-back');
    prometheus.setErrorRate(0);
    expect(failure.type).toBe('PromotionRolledBack');
    expect(failure.message).toMatch(/^verify-health failed: check error-rate: 2 failed measurement\(s\), more than failureLimit 1; last: value \[0\.\d+\]; rolled back prod/);
    expect(env.deployedImage('prod')).toBe(prodBefore);
    const status = (failure.details?.[0] ?? {}) as PromotionStatus;
    expect(status.stages.find((s) => s.stage === 'verify-health')?.checks?.some((m) => m.phase === 'Failed')).toBe(true);
  });

  it('an unreachable Prometheus fails staging with that cause and rolls it back', async () => {
    await env.commitFile('promenade.yaml', pipeline(errorRateCheck('down')), 'staging checks against a Prometheus that is down');
    const stagingBefore = env.deployedImage('staging');
    const handle = await env.promote({ app: 'myapp', image: 'nginx:5.3' });
    const failure = await failureOf(handle.workflowId);
    expect(failure.type).toBe('PromotionRolledBack');
    expect(failure.message).toMatch(/^staging-promote failed: check error-rate: could not be measured 5 times in a row: Prometheus http:\/\/127\.0\.0\.1:9 unreachable: ECONNREFUSED.*; rolled back staging/);
    expect(env.deployedImage('staging')).toBe(stagingBefore);
  });

  it('a check aimed at a host the worker does not allow stops the promotion before any commit', async () => {
    const aimed = `
          - name: page
            http: { url: 'http://169.254.169.254/latest/meta-data', status: 200 }`;
    await env.commitFile('promenade.yaml', pipeline(aimed), 'a check aimed elsewhere');
    const handle = await env.promote({ app: 'myapp', image: 'nginx:5.4' });
    const failure = await failureOf(handle.workflowId);
    expect(failure.type).toBe('PromotionFailed');
    expect(failure.message).toMatch(/^start failed: .*checks\[0\] \(page\): 169\.254\.169\.254 is not among the hosts the worker's configuration lets checks reach.*; nothing committed$/s);
    expect(await promotionCommits(env, handle.workflowId)).toEqual([]);
  });
});
