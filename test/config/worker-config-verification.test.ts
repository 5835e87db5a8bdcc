// The worker's `verification` section: Prometheus servers by name, the hosts checks may reach, secrets bound to
// hosts (read from the environment, never quoted), and the policy applied to promenade.yaml's checks at load.
import { describe, expect, it } from 'vitest';
import { parseWorkerConfig } from '../../src/config/worker-config/index.js';
import { hostAllowed } from '../../src/config/worker-config/verification.js';
import { checkPolicyProblems } from '../../src/verification/policy.js';
import type { AppPipeline, HttpCheckConfig } from '../../src/config/pipeline.js';

const FILE = `verification:
  prometheus:
    - { name: default, url: "http://prometheus.monitoring:9090/" }
  http:
    allowedHosts: [myapp.example.com, "*.staging.example.com", "127.0.0.1:8443"]
    secrets:
      - { env: MYAPP_TOKEN, hosts: [myapp.example.com] }
`;

describe('verification section', () => {
  it('reads servers, hosts and secrets; secret values come from the environment', () => {
    const config = parseWorkerConfig(FILE, { source: 'w.yaml', env: { MYAPP_TOKEN: 'tok-123' } });
    expect(config.verification).toEqual({
      prometheus: { default: { url: 'http://prometheus.monitoring:9090' } },
      allowedHosts: ['myapp.example.com', '*.staging.example.com', '127.0.0.1:8443'],
      secrets: { MYAPP_TOKEN: { value: 'tok-123', hosts: ['myapp.example.com'] } },
    });
  });

  it('names every problem, and never quotes a secret', () => {
    const text = `verification:
  prometheus: [{ name: default, url: "ftp://x" }, { name: default, url: "http://y" }]
  http:
    allowedHosts: ["https://not-a-host/"]
    secrets: [{ env: "tok-literal-secret", hosts: [] }, { env: UNSET_VAR, hosts: [a.example.com] }]
    extra: 1
`;
    let message = '';
    try {
      parseWorkerConfig(text, { source: 'w.yaml', env: {} });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('verification.prometheus[0].url: must be an http(s) URL');
    expect(message).toContain('verification.prometheus[1].name: default is listed twice');
    expect(message).toContain('verification.http.extra: is not a known setting');
    expect(message).toContain('verification.http.allowedHosts[0]: must be a host, host:port or *.domain');
    expect(message).toContain('verification.http.secrets[0].hosts: must list the hosts this secret may be sent to');
    expect(message).toContain('verification.http.secrets[0].env: must name an environment variable');
    expect(message).toContain("verification.http.secrets[1].env: names UNSET_VAR, which is not set in the worker's environment");
    expect(message).not.toContain('tok-literal-secret');
  });

  it.each([
    ['https://myapp.example.com/healthz', true],
    ['http://myapp.example.com:8080/', true],
    ['https://a.staging.example.com/', true],
    ['https://staging.example.com/', false],
    ['https://evil-myapp.example.com/', false],
    ['https://127.0.0.1:8443/', true],
    ['https://127.0.0.1:8444/', false],
  ])('host of %s allowed: %s', (url, allowed) => {
    expect(hostAllowed(url, ['myapp.example.com', '*.staging.example.com', '127.0.0.1:8443'])).toBe(allowed);
  });
});

describe('policy at load', () => {
  const http = (over: Partial<HttpCheckConfig>): HttpCheckConfig => ({ kind: 'http', name: 'page', url: 'https://myapp.example.com/', method: 'GET', status: 200, headers: {}, secretHeaders: {}, successes: 1, intervalSeconds: 5, timeoutSeconds: 10, insecure: false, failureLimit: 0, errorLimit: 4, ...over });
  const pipeline = (...checks: AppPipeline['environments'][0]['checks'] & object): AppPipeline => ({
    app: 'myapp',
    repository: 'r',
    branch: 'main',
    rollback: 'failed-environment',
    environments: [{ name: 'prod', path: 'prod/myapp', argocd: { application: 'myapp-prod', project: 'default' }, image: { kind: 'container', file: 'f', container: 'myapp' }, soakSeconds: 0, checks }],
  });
  const config = parseWorkerConfig(FILE, { source: 'w.yaml', env: { MYAPP_TOKEN: 'tok-123' } }).verification;

  it('allows a check on an allowed host with a secret bound to it', () => {
    expect(checkPolicyProblems(pipeline(http({ secretHeaders: { Authorization: 'MYAPP_TOKEN' } })), config)).toEqual([]);
  });

  it('refuses a host not listed, a secret not bound to the host, an unknown secret and an unknown Prometheus', () => {
    const problems = checkPolicyProblems(
      pipeline(
        http({ name: 'meta', url: 'http://169.254.169.254/latest' }),
        http({ name: 'leak', url: 'https://a.staging.example.com/', secretHeaders: { Authorization: 'MYAPP_TOKEN', 'X-Other': 'OTHER' } }),
        { kind: 'prometheus', name: 'rate', server: 'thanos', query: 'up', successCondition: 'true', count: 1, inconclusiveLimit: 0, intervalSeconds: 1, failureLimit: 0, errorLimit: 0 },
      ),
      config,
    );
    expect(problems).toEqual([
      "apps.myapp.environments[prod].checks[0] (meta): 169.254.169.254 is not among the hosts the worker's configuration lets checks reach (verification.http.allowedHosts)",
      'apps.myapp.environments[prod].checks[1] (leak): header Authorization asks for secret MYAPP_TOKEN, which is not bound to a.staging.example.com',
      "apps.myapp.environments[prod].checks[1] (leak): header X-Other asks for secret OTHER, which the worker's configuration does not offer",
      'apps.myapp.environments[prod].checks[2] (rate): Prometheus server "thanos" is not in the worker\'s configuration (known: default)',
    ]);
  });

  it('refuses every check when the worker has no verification section', () => {
    expect(checkPolicyProblems(pipeline(http({})), undefined)).toEqual([
      "apps.myapp.environments[prod].checks[0] (page): the worker's configuration (PROMENADE_CONFIG) has no verification section, so no check may run",
    ]);
  });
});
