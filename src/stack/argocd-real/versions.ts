// The pinned versions of the real Argo CD stack and where their build is cached: one home for both, read by the
// build script (scripts/argocd-real/build.ts) and the harness (./harness.ts). The cache key names every
// version, so changing one pins a fresh build beside the old one instead of mixing binaries.
import { join } from 'node:path';
import { promenadeCacheDir } from '../../cache-dir.js';

export const ARGOCD_REAL_VERSIONS = {
  etcd: 'v3.6.8',
  kubernetes: 'v1.34.4',
  kwok: 'v0.8.0',
  argocd: 'v3.6.1',
  // Argo CD v3.6.1 ships kustomize 5.8.3, which needs a kube-openapi pseudo-version the module proxy does not serve.
  kustomize: 'v5.8.1',
  helm: 'v3.22.0',
} as const;

/** Argo CD v3.6's and kustomize v5.8's go.mod ask for go 1.27; the go command fetches this toolchain through the module proxy. */
export const ARGOCD_GOTOOLCHAIN = 'go1.27.4';

export function argocdRealVersionKey(): string {
  const v = ARGOCD_REAL_VERSIONS;
  return `etcd-${v.etcd}_k8s-${v.kubernetes}_kwok-${v.kwok}_argocd-${v.argocd}_kustomize-${v.kustomize}_helm-${v.helm}`;
}

export function argocdRealCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(promenadeCacheDir(env), 'argocd-real', argocdRealVersionKey());
}

export function argocdRealBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(argocdRealCacheDir(env), 'bin');
}

/** Every binary the harness runs, by file name in the bin directory. */
export const ARGOCD_REAL_BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
  'argocd',
  'kustomize',
  'helm',
] as const;

/** Files the build copies out of the modules for the harness: Argo CD's manifests/ and hack/ wrappers. */
export function argocdRealShareDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(argocdRealCacheDir(env), 'share');
}
