// Many promotions of many apps into one GitOps repository at once, run by two worker processes that each keep
// their own clone: every promotion lands, no update is lost, history stays linear (nothing was force-pushed),
// and each commit is made exactly once.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDeployment } from '../../src/bootstrap/seed-layout.js';
import { createPromotionEnvironment, promotionCommits, type PromotionEnvironment } from '../support/promotion-environment.js';

const APPS = Array.from({ length: 12 }, (_, i) => `svc-${String(i + 1).padStart(2, '0')}`);
const PIPELINE = `defaults:
  environments:
    - name: dev
      approval: false
      soak: 0s
apps:
${APPS.map((app) => `  ${app}: {}`).join('\n')}
`;

let env: PromotionEnvironment;

beforeAll(async () => {
  env = await createPromotionEnvironment({
    pipeline: PIPELINE,
    applications: APPS.map((app) => ({
      metadata: { name: `${app}-dev`, namespace: 'argocd' },
      spec: {
        project: 'default',
        source: { repoURL: 'PLACEHOLDER', targetRevision: 'main', path: `dev/${app}` },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'dev' },
        syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
      },
    })),
    beforeApplications: async (e) => {
      for (const app of APPS) {
        await mkdir(join(e.root, 'work', 'dev', app), { recursive: true });
        await writeFile(join(e.root, 'work', 'dev', app, 'deployment.yaml'), seedDeployment(app, 'dev', 1, 'nginx:1.19'));
      }
      await e.git('add', 'dev');
      await e.git('commit', '--quiet', '-m', 'Add the services');
      await e.git('push', '--quiet', 'origin', 'HEAD:main');
    },
  });
  env.spawnWorker();
  env.spawnWorker();
}, 180_000);
afterAll(async () => env?.close());

describe('many apps, one repository, two worker processes', () => {
  it('lands every promotion exactly once with no lost update and no force push', async () => {
    const startTip = (await env.git('ls-remote', 'origin', 'refs/heads/main')).split(/\s/)[0];
    const handles = await Promise.all(APPS.map((app, i) => env.promote({ app, image: `registry.example.com/${app}:2.0.${i}` })));
    const results = await Promise.all(handles.map((h) => h.result()));
    expect(results.map((r) => r.state)).toEqual(APPS.map(() => 'promoted'));

    await env.git('fetch', '--quiet', 'origin');
    // Linear history that still contains where we started: nobody rewrote the branch.
    await expect(env.git('merge-base', '--is-ancestor', startTip, 'origin/main')).resolves.toBe('');
    expect(await env.git('rev-list', '--merges', '--count', `${startTip}..origin/main`)).toBe('0');
    for (const [i, app] of APPS.entries()) {
      expect(await env.git('show', `origin/main:dev/${app}/deployment.yaml`)).toContain(`image: registry.example.com/${app}:2.0.${i}`);
      const commits = await promotionCommits(env, handles[i].workflowId);
      expect(commits.map((c) => c.stage)).toEqual(['dev-sync']);
      expect(env.deployedImage('dev', app)).toBe(`registry.example.com/${app}:2.0.${i}`);
    }
    expect(await env.git('rev-list', '--count', `${startTip}..origin/main`)).toBe(String(APPS.length));
  });
});
