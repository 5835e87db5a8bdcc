// The seed lab's layout (dev/staging/prod paths for an app, 1/2/3 replicas, nginx:1.19 below prod and nginx:latest in
// prod, a three-line promenade.yaml) and its three Argo CD Applications: what `promenade bootstrap` writes and what
// the local stack seeds.
import type { Application } from '../argocd/types.js';

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
  }) satisfies Application);
}
