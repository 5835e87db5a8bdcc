// prometheus checks against a real Prometheus scraping an endpoint the test controls: a quiet error rate passes, a
// rising one fails, and an unreachable server or a broken query fails with that cause after the errorLimit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrometheusCheckConfig } from '../../src/config/pipeline.js';
import type { VerificationConfig } from '../../src/config/worker-config/verification.js';
import { runChecks } from '../../src/verification/run-checks.js';
import { ERROR_RATE_QUERY, startPrometheusLab, type PrometheusLab } from '../support/prometheus.js';

let lab: PrometheusLab;
beforeAll(async () => {
  lab = await startPrometheusLab();
}, 120_000);
afterAll(async () => lab?.close());

const config = (url = lab.url): VerificationConfig => ({ prometheus: { default: { url } }, allowedHosts: [], secrets: {} });
const check = (over: Partial<PrometheusCheckConfig> = {}): PrometheusCheckConfig => ({
  kind: 'prometheus',
  name: 'error-rate',
  server: 'default',
  query: ERROR_RATE_QUERY,
  successCondition: 'result[0] < 0.05',
  count: 3,
  intervalSeconds: 0.5,
  failureLimit: 0,
  inconclusiveLimit: 0,
  errorLimit: 2,
  ...over,
});

describe('prometheus checks', () => {
  it('a quiet error rate passes: every measurement Successful, with its value', async () => {
    lab.setErrorRate(0);
    await lab.waitForErrorRate(0, 0);
    const outcome = await runChecks({ checks: [check()], during: 'healthy', durationMs: 0, config: config() });
    expect(outcome.passed).toBe(true);
    expect(outcome.measurements.map((m) => [m.phase, m.value])).toEqual([
      ['Successful', '[0]'],
      ['Successful', '[0]'],
      ['Successful', '[0]'],
    ]);
  });

  it('a rising error rate fails the check, naming the value', async () => {
    lab.setErrorRate(0.3);
    await lab.waitForErrorRate(0.05, 1);
    const outcome = await runChecks({ checks: [check({ failureLimit: 1 })], during: 'healthy', durationMs: 0, config: config() });
    expect(outcome.passed).toBe(false);
    expect(outcome.failure).toMatch(/^check error-rate: 2 failed measurement\(s\), more than failureLimit 1; last: value \[0\.\d+\]$/);
    lab.setErrorRate(0);
  });

  it('an unreachable Prometheus fails with that cause after its errorLimit, never passes', async () => {
    const outcome = await runChecks({ checks: [check()], during: 'healthy', durationMs: 0, config: config('http://127.0.0.1:9') });
    expect(outcome.passed).toBe(false);
    expect(outcome.measurements.map((m) => m.phase)).toEqual(['Error', 'Error', 'Error']);
    expect(outcome.failure).toMatch(/^check error-rate: could not be measured 3 times in a row: Prometheus http:\/\/127\.0\.0\.1:9 unreachable: ECONNREFUSED/);
  });

  it("a query Prometheus refuses fails with Prometheus' own message", async () => {
    const outcome = await runChecks({ checks: [check({ query: 'sum(rate(x[5s]', errorLimit: 0 })], during: 'healthy', durationMs: 0, config: config() });
    expect(outcome.failure).toMatch(/Prometheus answered 400: bad_data: .*parse error/);
  });

  it('a condition that cannot be evaluated on the result is an error, not a pass', async () => {
    const outcome = await runChecks({ checks: [check({ query: 'myapp_http_requests_total', successCondition: 'result[5] < 1', errorLimit: 0 })], during: 'healthy', durationMs: 0, config: config() });
    expect(outcome.failure).toMatch(/condition: result\[5\] does not exist \(result has 2 value/);
  });
});
