import { describe, expect, it } from 'vitest';
import { InvalidConfigError, parseDuration, parsePipelineFile, resolveAppPipeline } from '../../src/config/pipeline-file.js';

const repository = 'https://git.example.com/org/gitops.git';
const parse = (text: string) => parsePipelineFile(text, { repository });

function problemsOf(text: string): string[] {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).type).toBe('InvalidConfig');
    return (error as InvalidConfigError).problems;
  }
  throw new Error('expected the config to be refused');
}

describe('parsePipelineFile', () => {
  it('gives the seed layout from a three-line file', () => {
    const pipeline = resolveAppPipeline(parse('apps:\n  myapp: {}\n'), 'myapp');
    expect(pipeline).toEqual({
      app: 'myapp',
      repository,
      branch: 'main',
      rollback: 'failed-environment',
      concurrency: 'supersede',
      environments: [
        {
          name: 'dev',
          path: 'dev/myapp',
          argocd: { application: 'myapp-dev', project: 'default' },
          image: { kind: 'container', file: 'dev/myapp/deployment.yaml', container: 'myapp' },
          soakSeconds: 0,
          failFastSeconds: 60,
        },
        {
          name: 'staging',
          path: 'staging/myapp',
          argocd: { application: 'myapp-staging', project: 'default' },
          image: { kind: 'container', file: 'staging/myapp/deployment.yaml', container: 'myapp' },
          soakSeconds: 0,
          failFastSeconds: 60,
        },
        {
          name: 'prod',
          path: 'prod/myapp',
          argocd: { application: 'myapp-prod', project: 'default' },
          image: { kind: 'container', file: 'prod/myapp/deployment.yaml', container: 'myapp' },
          approval: { approvers: [], required: 1, forbidSelfApproval: true, timeoutSeconds: 86400 },
          soakSeconds: 60,
          failFastSeconds: 60,
        },
      ],
    });
    // `myapp:` with nothing after it means the same.
    expect(resolveAppPipeline(parse('apps:\n  myapp:\n'), 'myapp')).toEqual(pipeline);
  });

  it('reads the full form with defaults and per-app overrides', () => {
    const file = parse(`
version: 1
defaults:
  branch: release
  project: platform
  rollback: all-promoted-environments
  concurrency: queue
  approval: { approvers: [alice, bob, carol], required: 2, timeout: 2h }
  environments: [qa, live]
apps:
  web: {}
  api:
    branch: main
    rollback: none
    concurrency: supersede
    environments:
      - name: dev
        path: clusters/dev/{app}
        application: "{app}-{env}-eu"
        image: { kustomize: registry.example.com/api }
      - name: staging
        image: { helm: image.tag, file: ../values/staging.yaml }
        soak: 1h30m
      - name: prod
        project: prod
        image: { container: server, file: workload.yaml }
        approval: { approvers: [alice], required: 1, allowSelfApproval: true, timeout: 30m }
        soak: 5m
  worker:
    environments:
      - name: prod
        approval: false
        soak: 0s
`);
    const web = resolveAppPipeline(file, 'web');
    expect(web.branch).toBe('release');
    expect(web.rollback).toBe('all-promoted-environments');
    expect(web.concurrency).toBe('queue');
    expect(web.environments.map((e) => e.name)).toEqual(['qa', 'live']);
    expect(web.environments[0]!.approval).toBeUndefined();
    expect(web.environments[1]).toMatchObject({
      argocd: { application: 'web-live', project: 'platform' },
      approval: { approvers: ['alice', 'bob', 'carol'], required: 2, forbidSelfApproval: true, timeoutSeconds: 7200 },
      soakSeconds: 60,
    });

    const api = resolveAppPipeline(file, 'api');
    expect(api.branch).toBe('main');
    expect(api.rollback).toBe('none');
    expect(api.concurrency).toBe('supersede');
    expect(api.environments[0]).toMatchObject({
      path: 'clusters/dev/api',
      argocd: { application: 'api-dev-eu', project: 'platform' },
      image: { kind: 'kustomize', file: 'clusters/dev/api/kustomization.yaml', name: 'registry.example.com/api' },
    });
    expect(api.environments[1]).toMatchObject({
      image: { kind: 'helm', file: 'staging/values/staging.yaml', key: 'image.tag', value: 'tag' },
      soakSeconds: 5400,
    });
    expect(api.environments[2]).toMatchObject({
      argocd: { application: 'api-prod', project: 'prod' },
      image: { kind: 'container', file: 'prod/api/workload.yaml', container: 'server' },
      approval: { approvers: ['alice'], required: 1, forbidSelfApproval: false, timeoutSeconds: 1800 },
      soakSeconds: 300,
    });
    const worker = resolveAppPipeline(file, 'worker');
    expect(worker.environments).toHaveLength(1);
    expect(worker.environments[0]!.approval).toBeUndefined();
    expect(worker.environments[0]!.soakSeconds).toBe(0);

    expect(() => resolveAppPipeline(file, 'nope')).toThrow('promenade.yaml: apps.nope: no such app (known: web, api, worker)');
  });

  it('collects every problem into one error', () => {
    const problems = problemsOf(`
apps:
  myapp:
    colour: blue
    environments:
      - name: dev
        soak: 5 minutes
      - name: dev
      - name: prod
        path: ../../etc
`);
    expect(problems).toEqual([
      'promenade.yaml: apps.myapp.colour: is not a known key (expected one of branch, rollback, concurrency, project, approval, environments)',
      'promenade.yaml: apps.myapp.environments[0].soak: "5 minutes" is not a duration (use 30s, 5m, 1h)',
      'promenade.yaml: apps.myapp.environments[1].name: "dev" is a duplicate environment name',
      'promenade.yaml: apps.myapp.environments[2].path: "../../etc" escapes the repository (".." above its root)',
    ]);
  });

  const env = (yaml: string) => `apps:\n  myapp:\n    environments:\n      - name: dev\n${yaml.replace(/^/gm, '        ')}\n`;
  it.each<[string, string, string]>([
    ['empty document', '', '(root)'],
    ['scalar root', 'just a string', '(root)'],
    ['list root', '- apps', '(root)'],
    ['unknown top-level key', 'apps:\n  myapp: {}\nextra: 1', 'extra'],
    ['bad version', 'version: 2\napps:\n  myapp: {}', 'version'],
    ['apps not a mapping', 'apps: [myapp]', 'apps'],
    ['no apps', 'apps: {}', 'apps'],
    ['bad app name', 'apps:\n  My_App: {}', 'apps.My_App'],
    ['app not a mapping', 'apps:\n  myapp: 3', 'apps.myapp'],
    ['defaults not a mapping', 'defaults: 1\napps:\n  myapp: {}', 'defaults'],
    ['unknown defaults key', 'defaults:\n  colour: 1\napps:\n  myapp: {}', 'defaults.colour'],
    ['bad default branch', 'defaults:\n  branch: "-main"\napps:\n  myapp: {}', 'defaults.branch'],
    ['branch with ..', 'apps:\n  myapp:\n    branch: a..b', 'apps.myapp.branch'],
    ['bad rollback', 'apps:\n  myapp:\n    rollback: sometimes', 'apps.myapp.rollback'],
    ['bad concurrency', 'apps:\n  myapp:\n    concurrency: parallel', 'apps.myapp.concurrency'],
    ['bad default concurrency', 'defaults:\n  concurrency: true\napps:\n  myapp: {}', 'defaults.concurrency'],
    ['environments not a list', 'apps:\n  myapp:\n    environments: dev', 'apps.myapp.environments'],
    ['empty environments', 'apps:\n  myapp:\n    environments: []', 'apps.myapp.environments'],
    ['environment a number', 'apps:\n  myapp:\n    environments: [1]', 'apps.myapp.environments[0]'],
    ['environment without name', 'apps:\n  myapp:\n    environments: [{path: dev}]', 'apps.myapp.environments[0].name'],
    ['bad environment name', 'apps:\n  myapp:\n    environments: [Dev]', 'apps.myapp.environments[0]'],
    ['duplicate names', 'apps:\n  myapp:\n    environments: [dev, dev]', 'apps.myapp.environments[1]'],
    ['unknown environment key', env('colour: red'), 'apps.myapp.environments[0].colour'],
    ['absolute path', env('path: /etc'), 'apps.myapp.environments[0].path'],
    ['escaping path', env('path: dev/../../x'), 'apps.myapp.environments[0].path'],
    ['path into .git', env('path: .git/hooks'), 'apps.myapp.environments[0].path'],
    ['root path', env('path: ./'), 'apps.myapp.environments[0].path'],
    ['windows path', env('path: C:\\\\x'), 'apps.myapp.environments[0].path'],
    ['bad application', env('application: My App'), 'apps.myapp.environments[0].application'],
    ['bad project', env('project: 7'), 'apps.myapp.environments[0].project'],
    ['two image kinds', env('image: { container: a, kustomize: b }'), 'apps.myapp.environments[0].image'],
    ['no image kind', env('image: { file: a.yaml }'), 'apps.myapp.environments[0].image'],
    ['image not a mapping', env('image: nginx'), 'apps.myapp.environments[0].image'],
    ['unknown image key', env('image: { container: a, value: tag }'), 'apps.myapp.environments[0].image.value'],
    ['escaping image file', env('image: { container: a, file: ../../../passwd }'), 'apps.myapp.environments[0].image.file'],
    ['absolute image file', env('image: { container: a, file: /etc/passwd }'), 'apps.myapp.environments[0].image.file'],
    ['bad helm key', env('image: { helm: "image[0]" }'), 'apps.myapp.environments[0].image.helm'],
    ['bad helm value', env('image: { helm: image.tag, value: both }'), 'apps.myapp.environments[0].image.value'],
    ['soak a number', env('soak: 300'), 'apps.myapp.environments[0].soak'],
    ['soak in words', env('soak: 5 minutes'), 'apps.myapp.environments[0].soak'],
    ['soak too long', env('soak: 999h'), 'apps.myapp.environments[0].soak'],
    ['approval a string', env('approval: yes please'), 'apps.myapp.environments[0].approval'],
    ['unknown approval key', env('approval: { who: [a] }'), 'apps.myapp.environments[0].approval.who'],
    ['approvers not a list', env('approval: { approvers: alice }'), 'apps.myapp.environments[0].approval.approvers'],
    ['empty approver', env('approval: { approvers: [""] }'), 'apps.myapp.environments[0].approval.approvers[0]'],
    ['duplicate approver', env('approval: { approvers: [a, a] }'), 'apps.myapp.environments[0].approval.approvers[1]'],
    ['required zero', env('approval: { required: 0 }'), 'apps.myapp.environments[0].approval.required'],
    ['required > approvers', env('approval: { approvers: [a], required: 2 }'), 'apps.myapp.environments[0].approval.required'],
    ['contradicting self approval', env('approval: { allowSelfApproval: true, forbidSelfApproval: true }'), 'apps.myapp.environments[0].approval.forbidSelfApproval'],
    ['self approval not boolean', env('approval: { allowSelfApproval: "yes" }'), 'apps.myapp.environments[0].approval.allowSelfApproval'],
    ['bad timeout', env('approval: { timeout: tomorrow }'), 'apps.myapp.environments[0].approval.timeout'],
    ['zero timeout', env('approval: { timeout: 0s }'), 'apps.myapp.environments[0].approval.timeout'],
    ['duplicate keys', 'apps:\n  myapp: {}\n  myapp: {}', 'line 3'],
    ['invalid YAML', 'apps: [unclosed', 'YAML error'],
    ['anchors and aliases', 'defaults: &d\n  branch: main\napps:\n  myapp: *d', 'anchors and aliases are not allowed'],
    ['deep nesting', `apps:\n  myapp: ${'['.repeat(40)}${']'.repeat(40)}`, 'nested deeper'],
  ])('refuses %s', (_name, text, path) => {
    const problems = problemsOf(text);
    expect(problems.join('\n')).toContain(path.startsWith('line') || path.includes(' ') ? path : `promenade.yaml: ${path}`);
  });

  it('refuses a huge document before parsing it', () => {
    const text = `apps:\n  myapp: {}\n# ${'x'.repeat(300 * 1024)}\n`;
    expect(problemsOf(text)[0]).toMatch(/promenade.yaml: \(file\): "\d+ bytes" is larger than 262144 bytes/);
  });

  it('refuses an alias bomb quickly', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
    const started = Date.now();
    expect(problemsOf(`${lines.join('\n')}\napps:\n  myapp: {}\n`).join('\n')).toContain('alias');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('reads durations', () => {
    expect([parseDuration('30s'), parseDuration('5m'), parseDuration('2h'), parseDuration('1h30m'), parseDuration('0')]).toEqual([30, 300, 7200, 5400, 0]);
    expect([parseDuration(''), parseDuration('5'), parseDuration('5 m'), parseDuration('1d')]).toEqual([undefined, undefined, undefined, undefined]);
  });
});
