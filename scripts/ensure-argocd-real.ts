// The real Argo CD stack's binaries (etcd, Kubernetes, kwok, Argo CD, kustomize, helm): the version-keyed cache,
// else a build from their Go modules with scripts/argocd-real/build.ts (20-25 minutes once); answers the bin
// directory. Without Go there is no way to get them here: one line says so.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { ARGOCD_REAL_BINARIES, argocdRealBinDir } from '../src/stack/argocd-real/versions.js';
import { findOnPath } from '../src/stack/executables.js';
import { buildArgoCDReal } from './argocd-real/build.js';
import { ToolMissingError, type EnsureOptions } from './ensure-tool.js';

export async function ensure(options: EnsureOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const binDir = argocdRealBinDir(env);
  const cached = await Promise.all(ARGOCD_REAL_BINARIES.map((b) => access(join(binDir, b)).then(() => true, () => false)));
  if (cached.every(Boolean)) return binDir;
  const go = (await findOnPath(['go'], env)) ?? (await findOnPath(['go'], { PATH: '/usr/local/go/bin' }));
  if (!go) throw new ToolMissingError(`the real Argo CD stack is not built in ${binDir} and Go is not installed to build it: install Go (https://go.dev/dl or apt-get install golang), then run again`);
  return buildArgoCDReal({ log: options.log ?? (() => {}) });
}
