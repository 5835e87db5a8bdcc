// `promenade bootstrap` against a real bare git repository and the Argo CD simulator: the lab layout and the
// three Applications in one command, nothing changed on a second run, a refusal against a different layout.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgoCDClient } from '../../src/argocd/client.js';
import { startArgoCDSimulator, type ArgoCDSimulator } from '../../src/argocd-sim/index.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { argocdSessionToken } from '../../src/stack/seed-applications.js';
import { freePort } from '../../src/stack/ports.js';
import { FAST_SIMULATOR } from '../support/promotion-environment.js';
import { expectOneLine, runCli } from './run-cli.js';

const exec = promisify(execFile);
let root: string;
let sim: ArgoCDSimulator;
let cliEnv: NodeJS.ProcessEnv;

async function bareRepo(name: string): Promise<string> {
  const path = join(root, `${name}.git`);
  await exec('git', ['init', '--quiet', '--bare', '--initial-branch=main', path]);
  return `file://${path}`;
}
const git = async (url: string, ...args: string[]) => (await exec('git', ['--git-dir', url.replace('file://', ''), ...args])).stdout.trim();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'promenade-bootstrap-test-'));
  sim = await startArgoCDSimulator(FAST_SIMULATOR);
  const token = await argocdSessionToken(sim.url, 'admin', 'admin');
  cliEnv = { ...process.env, ARGOCD_SERVER: undefined, ARGOCD_AUTH_TOKEN: token };
});
afterAll(async () => {
  await sim?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('promenade bootstrap', () => {
  it('lays out the repository and creates the Applications; a second run changes nothing', async () => {
    const repo = await bareRepo('shop');
    const first = await runCli(['bootstrap', '--repo', repo, '--app', 'shop', '--argocd-server', sim.url], cliEnv);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(EXIT.ok);
    expect(first.stdout).toMatch(/^pushed [0-9a-f]{12} to main: dev\/shop\/deployment\.yaml, staging\/shop\/deployment\.yaml, prod\/shop\/deployment\.yaml, promenade\.yaml$/m);
    expect(first.stdout).toContain('Argo CD: created shop-dev, shop-staging, shop-prod (synced and healthy)');

    const head = await git(repo, 'rev-parse', 'main');
    expect(await git(repo, 'ls-tree', '-r', '--name-only', 'main')).toBe(['dev/shop/deployment.yaml', 'prod/shop/deployment.yaml', 'promenade.yaml', 'staging/shop/deployment.yaml'].join('\n'));
    const prod = await git(repo, 'show', 'main:prod/shop/deployment.yaml');
    expect(prod).toMatch(/replicas: 3/);
    expect(prod).toMatch(/image: nginx:latest/);
    expect(await git(repo, 'show', 'main:dev/shop/deployment.yaml')).toMatch(/replicas: 1[\s\S]*image: nginx:1\.19/);
    expect(await git(repo, 'show', 'main:promenade.yaml')).toMatch(/^ {2}shop: \{\}$/m);

    const dev = sim.getApplication('shop-dev')!;
    expect(dev.spec.syncPolicy).toMatchObject({ automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] });
    for (const env of ['staging', 'prod']) {
      const app = sim.getApplication(`shop-${env}`)!;
      expect(app.spec.source).toMatchObject({ repoURL: repo, path: `${env}/shop`, targetRevision: 'main' });
      expect(app.spec.syncPolicy?.automated).toBeUndefined();
      expect(app.spec.syncPolicy?.syncOptions).toEqual(['CreateNamespace=true']);
      expect(app.status).toMatchObject({ sync: { status: 'Synced' }, health: { status: 'Healthy' } });
    }

    const second = await runCli(['bootstrap', '--repo', repo, '--app', 'shop', '--argocd-server', sim.url], cliEnv);
    expect(second.code).toBe(EXIT.ok);
    expect(second.stdout).toContain('nothing to change');
    expect(await git(repo, 'rev-parse', 'main')).toBe(head);
  });

  it('refuses a different layout or different Applications and changes nothing', async () => {
    // A repository whose prod runs 5 replicas: someone else's layout, not ours to overwrite.
    const repo = await bareRepo('cart');
    const work = join(root, 'cart-work');
    await exec('git', ['clone', '--quiet', repo, work]);
    await exec('mkdir', ['-p', join(work, 'prod/cart')]);
    await exec('sh', ['-c', `printf 'apiVersion: apps/v1\\nkind: Deployment\\nspec:\\n  replicas: 5\\n' > prod/cart/deployment.yaml && git add . && git -c user.name=t -c user.email=t@e commit -qm mine && git push -q origin HEAD:main`], { cwd: work });
    const head = await git(repo, 'rev-parse', 'main');

    // An Application of that name already points at another path.
    const other = await bareRepo('cart-apps');
    const client = new ArgoCDClient({ baseUrl: sim.url, token: cliEnv.ARGOCD_AUTH_TOKEN!, insecure: false });
    await client.createApplication({
      metadata: { name: 'basket-dev', namespace: 'argocd' },
      spec: { project: 'default', source: { repoURL: other, path: 'elsewhere', targetRevision: 'main' }, destination: { server: 'https://kubernetes.default.svc', namespace: 'dev' }, syncPolicy: { syncOptions: ['CreateNamespace=true'] } },
    });

    const [layout, apps] = await Promise.all([
      runCli(['bootstrap', '--repo', repo, '--app', 'cart', '--argocd-server', sim.url], cliEnv),
      runCli(['bootstrap', '--repo', other, '--app', 'basket', '--argocd-server', sim.url], cliEnv),
    ]);
    expect(layout.code).toBe(EXIT.conflict);
    expect(layout.stderr).toContain('refusing to bootstrap cart: a different layout is in place and nothing was changed:\n  prod/cart/deployment.yaml exists with different content');
    expect(await git(repo, 'rev-parse', 'main')).toBe(head);
    expect(sim.getApplication('cart-dev')).toBeUndefined();

    expect(apps.code).toBe(EXIT.conflict);
    expect(apps.stderr).toMatch(/Argo CD Application basket-dev: path is elsewhere; it does not sync automatically/);
    expect(await git(other, 'branch', '--list')).toBe('');
    expect(sim.getApplication('basket-staging')).toBeUndefined();
  });

  it('unreachable or refusing Argo CD, unreachable repository: one line each, distinct codes', async () => {
    const repo = await bareRepo('unreached');
    const [badToken, noArgo, noRepo, noServer] = await Promise.all([
      runCli(['bootstrap', '--repo', repo, '--app', 'shop', '--argocd-server', sim.url], { ...cliEnv, ARGOCD_AUTH_TOKEN: 'not-a-token' }),
      runCli(['bootstrap', '--repo', repo, '--app', 'shop', '--argocd-server', `http://127.0.0.1:${await freePort()}`], cliEnv),
      runCli(['bootstrap', '--repo', `file://${join(root, 'missing.git')}`, '--app', 'shop', '--argocd-server', sim.url], cliEnv),
      runCli(['bootstrap', '--repo', repo, '--app', 'shop'], cliEnv),
    ]);
    expect(badToken.code).toBe(EXIT.unauthorized);
    expect(expectOneLine(badToken.stderr)).toMatch(/^promenade bootstrap: Argo CD at http:\/\/127\.0\.0\.1:\d+ refused our token \(HTTP 401\); check ARGOCD_AUTH_TOKEN/);
    expect(noArgo.code).toBe(EXIT.unreachable);
    expect(expectOneLine(noArgo.stderr)).toMatch(/^promenade bootstrap: cannot reach Argo CD at http:\/\/127\.0\.0\.1:\d+/);
    expect(noRepo.code).toBe(EXIT.unreachable);
    expect(expectOneLine(noRepo.stderr)).toMatch(/^promenade bootstrap: cannot reach the git repository file:\/\/.*missing\.git/);
    expect(noServer.code).toBe(EXIT.usage);
    expect(expectOneLine(noServer.stderr)).toMatch(/ARGOCD_SERVER is not set .*\(or pass --argocd-server\)/);
    expect(await git(repo, 'branch', '--list')).toBe('');
  });
});
