// failFast and checks in promenade.yaml: what they become, and every wrong form refused with its field path when
// the file is loaded (conditions included), before anything is committed.
import { describe, expect, it } from 'vitest';
import { InvalidConfigError, parsePipelineFile, resolveAppPipeline } from '../../src/config/pipeline-file.js';

const repository = 'https://git.example.com/gitops.git';
const envOf = (yaml: string) => resolveAppPipeline(parsePipelineFile(yaml, { repository }), 'myapp').environments[0]!;
const problemsOf = (yaml: string): string[] => {
  try {
    parsePipelineFile(yaml, { repository });
  } catch (err) {
    if (err instanceof InvalidConfigError) return err.problems;
    throw err;
  }
  return [];
};
const withEnv = (body: string) => `apps:\n  myapp:\n    environments:\n      - name: dev\n${body.replace(/^/gm, '        ')}\n`;

describe('failFast', () => {
  it('defaults to 60s, takes a duration, and 0 turns it off', () => {
    expect(envOf('apps:\n  myapp: {}\n').failFastSeconds).toBe(60);
    expect(envOf(withEnv('failFast: 45s')).failFastSeconds).toBe(45);
    expect(envOf(withEnv('failFast: 0')).failFastSeconds).toBe(0);
  });

  it('refuses what is not a duration, or longer than an hour', () => {
    expect(problemsOf(withEnv('failFast: soon'))).toEqual(['promenade.yaml: apps.myapp.environments[0].failFast: "soon" is not a duration (use 30s, 5m, 1h)']);
    expect(problemsOf(withEnv('failFast: 2h'))[0]).toMatch(/failFast: "2h" is longer than 1h/);
  });
});

describe('checks', () => {
  it('reads an http and a prometheus check with their defaults', () => {
    const env = envOf(
      withEnv(`checks:
  - name: homepage
    http: { url: "https://myapp.example.com/healthz", body: { jsonPath: $.status, value: up }, secretHeaders: { Authorization: MYAPP_TOKEN }, successes: 3 }
  - name: error-rate
    prometheus: { query: 'sum(rate(errors[5m]))', successCondition: "result[0] < 0.05", failureCondition: "result[0] > 0.2", count: 5, interval: 1m }`),
    );
    expect(env.checks).toEqual([
      {
        kind: 'http',
        name: 'homepage',
        url: 'https://myapp.example.com/healthz',
        method: 'GET',
        status: 200,
        body: { jsonPath: '$.status', value: 'up' },
        headers: {},
        secretHeaders: { Authorization: 'MYAPP_TOKEN' },
        successes: 3,
        timeoutSeconds: 10,
        insecure: false,
        intervalSeconds: 5,
        failureLimit: 0,
        errorLimit: 4,
      },
      {
        kind: 'prometheus',
        name: 'error-rate',
        server: 'default',
        query: 'sum(rate(errors[5m]))',
        successCondition: 'result[0] < 0.05',
        failureCondition: 'result[0] > 0.2',
        count: 5,
        inconclusiveLimit: 0,
        intervalSeconds: 60,
        failureLimit: 0,
        errorLimit: 4,
      },
    ]);
  });

  it('refuses every wrong form at once, naming the field', () => {
    const problems = problemsOf(
      withEnv(`checks:
  - name: Bad Name
    http: { url: "ftp://x", method: DELETE, status: 900, body: { regex: "(" }, secretHeaders: { Authorization: "Bearer abc" }, insecure: "yes", evil: 1 }
  - name: rate
    prometheus: { query: "up", successCondition: "result[0] < 0.05; process.exit()" }
  - name: rate
    prometheus: { query: "up" }
  - name: both
    http: { url: "https://a.example.com" }
    prometheus: { query: up, successCondition: "true" }
  - name: creds
    http: { url: "https://user:pw@a.example.com/" }`),
    );
    const at = 'promenade.yaml: apps.myapp.environments[0].checks';
    expect(problems).toEqual([
      `${at}[0].name: "Bad Name" is not a check name (lowercase letters, digits and "-")`,
      `${at}[0].http.evil: is not a known key (expected one of url, method, status, body, headers, secretHeaders, successes, interval, timeout, insecure, failureLimit, errorLimit)`,
      `${at}[0].http.url: "ftp://x" is not an http(s) URL`,
      `${at}[0].http.method: "DELETE" is not GET, HEAD or POST`,
      `${at}[0].http.status: 900 is not an HTTP status`,
      expect.stringMatching(new RegExp(`^${at.replace(/[.[\]]/g, '\\$&')}\\[0\\]\\.http\\.body\\.regex: "\\(" is not a regular expression`)),
      `${at}[0].http.secretHeaders.Authorization: is not the name of an environment variable on the worker`,
      `${at}[0].http.insecure: "yes" is not true or false`,
      `${at}[1].prometheus.successCondition: "result[0] < 0.05; process.exit()" cannot read "; process.exit()" at column 17`,
      `${at}[2].name: "rate" is a duplicate check name`,
      `${at}[2].prometheus: needs successCondition, failureCondition or both`,
      `${at}[3]: needs exactly one of http: or prometheus:`,
      `${at}[4].http.url: "https://***@a.example.com/" must not carry credentials (use secretHeaders)`,
    ]);
  });
});
