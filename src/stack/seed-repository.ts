// The local GitOps repository of `npm start`, laid out exactly as the seed lab does (dev/staging/prod paths
// for myapp, 1/2/3 replicas, nginx:1.19 below prod and nginx:latest in prod) plus a three-line promenade.yaml.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const git = promisify(execFile);

export const SEED_APP = 'myapp';
export const SEED_ENVIRONMENTS = [
  { name: 'dev', replicas: 1, image: 'nginx:1.19' },
  { name: 'staging', replicas: 2, image: 'nginx:1.19' },
  { name: 'prod', replicas: 3, image: 'nginx:latest' },
] as const;

export function seedDeployment(app: string, namespace: string, replicas: number, image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app}
  namespace: ${namespace}
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: ${app}
  template:
    metadata:
      labels:
        app: ${app}
    spec:
      containers:
      - name: ${app}
        image: ${image}
        ports:
        - containerPort: 80
`;
}

export function seedPipeline(app: string): string {
  return `# promenade: dev -> staging -> approval -> prod, with the defaults
apps:
  ${app}: {}
`;
}

export const SEED_PIPELINE = seedPipeline(SEED_APP);

/** Every file of the lab layout for one app, path relative to the repository root. Shared with `promenade bootstrap`. */
export function seedLayout(app = SEED_APP): Array<{ path: string; content: string }> {
  return [
    ...SEED_ENVIRONMENTS.map((env) => ({ path: `${env.name}/${app}/deployment.yaml`, content: seedDeployment(app, env.name, env.replicas, env.image) })),
    { path: 'promenade.yaml', content: seedPipeline(app) },
  ];
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Creates the bare repository (the "remote") with the seed commit, unless it exists already. Returns its file:// URL. */
export async function seedGitopsRepository(barePath: string, options: { branch?: string } = {}): Promise<{ url: string; created: boolean }> {
  const branch = options.branch ?? 'main';
  const url = `file://${barePath}`;
  if (await exists(join(barePath, 'HEAD'))) return { url, created: false };
  await mkdir(barePath, { recursive: true });
  await git('git', ['init', '--quiet', '--bare', `--initial-branch=${branch}`, barePath]);
  const work = await mkdtemp(join(tmpdir(), 'promenade-seed-'));
  try {
    await git('git', ['init', '--quiet', `--initial-branch=${branch}`, work]);
    for (const file of seedLayout(SEED_APP)) {
      await mkdir(dirname(join(work, file.path)), { recursive: true });
      await writeFile(join(work, file.path), file.content);
    }
    const identity = ['-c', 'user.name=promenade', '-c', 'user.email=promenade@localhost'];
    await git('git', ['-C', work, 'add', '.']);
    await git('git', ['-C', work, ...identity, 'commit', '--quiet', '-m', 'Initial GitOps structure']);
    await git('git', ['-C', work, 'push', '--quiet', url, `HEAD:refs/heads/${branch}`]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { url, created: true };
}

/** The three Argo CD Applications of the seed lab: dev auto-syncs with prune and self-heal, staging and prod sync when asked. */
export function seedApplications(repoURL: string, app = SEED_APP, branch = 'main') {
  return SEED_ENVIRONMENTS.map((env) => ({
    metadata: { name: `${app}-${env.name}`, namespace: 'argocd', labels: { 'promenade.dev/app': app, 'promenade.dev/environment': env.name } },
    spec: {
      project: 'default',
      source: { repoURL, targetRevision: branch, path: `${env.name}/${app}` },
      destination: { server: 'https://kubernetes.default.svc', namespace: env.name },
      syncPolicy: {
        ...(env.name === 'dev' ? { automated: { prune: true, selfHeal: true } } : {}),
        syncOptions: ['CreateNamespace=true'],
      },
    },
  }));
}
