// Builds the real Argo CD stack from Go modules at pinned versions into a cache outside the checkout
// (src/stack/argocd-real/versions.ts says which versions and where). A component whose binaries are cached is
// skipped, so a second run builds nothing. Each build runs under `nice -n 10` (CI shares its cores) and logs to
// <cache>/logs/<component>.log; a failure names the component and that log.
//
//   node --import tsx scripts/argocd-real/build.ts [component...]     (or: scripts/ensure.ts argocd-real)
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { access, chmod, cp, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ARGOCD_GOTOOLCHAIN,
  ARGOCD_REAL_VERSIONS as V,
  argocdRealBinDir,
  argocdRealCacheDir,
} from '../../src/stack/argocd-real/versions.js';

const cacheDir = argocdRealCacheDir();
const binDir = argocdRealBinDir();
const logDir = join(cacheDir, 'logs');
const workRoot = join(cacheDir, 'work');
const go = process.env.GO ?? 'go';
const buildDate = '2026-01-01T00:00:00Z';

export class ComponentBuildError extends Error {
  constructor(component: string, logPath: string, detail: string) {
    super(`building ${component} failed (${detail}); its log: ${logPath}`);
    this.name = 'ComponentBuildError';
  }
}

interface Step {
  component: string;
  log: string;
  workDir: string;
}

function elapsed(since: number): string {
  const s = Math.round((Date.now() - since) / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

let say = (line: string): void => {
  process.stdout.write(`[argocd-real] ${line}\n`);
};

/** Runs one command of a component's build at low priority, appending its output to the component's log. */
async function run(step: Step, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const out = createWriteStream(step.log, { flags: 'a' });
  out.write(`\n$ ${args.join(' ')}\n`);
  let stdout = '';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('nice', ['-n', '10', ...args], {
      cwd: step.workDir,
      // Go's own installer puts it in /usr/local/go; CI images often lack it on PATH.
      env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/local/go/bin`, GOFLAGS: '-buildvcs=false', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      out.write(chunk);
    });
    child.stderr.pipe(out, { end: false });
    child.on('error', reject);
    child.on('exit', resolve);
  });
  await new Promise((resolve) => out.end(resolve));
  if (code !== 0) throw new ComponentBuildError(step.component, step.log, `${args.slice(0, 3).join(' ')} exited ${code}`);
  return stdout;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function moduleDir(step: Step, modAtVersion: string, env: NodeJS.ProcessEnv = {}): Promise<{ dir: string; goMod: string }> {
  const json = JSON.parse(await run(step, [go, 'mod', 'download', '-json', modAtVersion], env)) as { Dir: string; GoMod: string };
  return { dir: json.Dir, goMod: json.GoMod };
}

/** The replace directives of a go.mod, as [from, to] text pairs ("k8s.io/api", "./staging/src/k8s.io/api"). */
function replaceDirectives(goMod: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const take = (line: string) => {
    const clean = line.replace(/\/\/.*$/, '').trim();
    const m = /^(.+?)\s*=>\s*(.+)$/.exec(clean);
    if (m) pairs.push([m[1]!.trim(), m[2]!.trim()]);
  };
  const block = /^replace\s*\(([\s\S]*?)^\)/gm;
  for (const m of goMod.matchAll(block)) for (const line of m[1]!.split('\n')) take(line);
  for (const m of goMod.matchAll(/^replace\s+([^(\n].*)$/gm)) take(m[1]!);
  return pairs;
}

function ldflags(pkgs: string[], values: Record<string, string>): string {
  return pkgs.flatMap((pkg) => Object.entries(values).map(([k, v]) => `-X ${pkg}.${k}=${v}`)).join(' ');
}

interface Component {
  name: string;
  outputs: string[];
  build(step: Step, out: string): Promise<void>;
}

const components: Component[] = [
  {
    name: 'etcd',
    outputs: ['etcd'],
    // Debian's etcd 3.4 is too old for a current kube-apiserver; etcd's server module has no main package of
    // its own to install, so a three-line wrapper calls etcdmain.
    async build(step, out) {
      await writeFile(join(step.workDir, 'go.mod'), `module promenade.local/etcd\n\ngo 1.24.0\n\nrequire go.etcd.io/etcd/server/v3 ${V.etcd}\n`);
      await writeFile(
        join(step.workDir, 'main.go'),
        'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n',
      );
      await run(step, [go, 'mod', 'tidy']);
      await run(step, [go, 'build', '-trimpath', '-o', join(out, 'etcd'), '.']);
    },
  },
  {
    name: 'argocd',
    outputs: ['argocd'],
    // One multi-call binary (server, repo-server, application-controller by ARGOCD_BINARY_NAME). Its go.mod
    // pins k8s.io/* through a replace block that a dependent module must repeat; its ./gitops-engine line
    // becomes a plain requirement of the published gitops-engine module.
    async build(step, out) {
      const env = { GOTOOLCHAIN: ARGOCD_GOTOOLCHAIN };
      const argo = await moduleDir(step, `github.com/argoproj/argo-cd/v3@${V.argocd}`, env);
      const replaces = replaceDirectives(await readFile(argo.goMod, 'utf8')).filter(([, to]) => !to.startsWith('.'));
      await writeFile(
        join(step.workDir, 'go.mod'),
        [
          'module promenade.local/argocd',
          '',
          'go 1.27.0',
          '',
          `require github.com/argoproj/argo-cd/v3 ${V.argocd}`,
          `require github.com/argoproj/argo-cd/gitops-engine/v3 ${V.argocd}`,
          '',
          'replace (',
          ...replaces.map(([from, to]) => `\t${from} => ${to}`),
          ')',
          '',
        ].join('\n'),
      );
      await writeFile(join(step.workDir, 'tools.go'), '//go:build tools\n\npackage tools\n\nimport _ "github.com/argoproj/argo-cd/v3/cmd"\n');
      await run(step, [go, 'mod', 'tidy'], env);
      const flags = ldflags(['github.com/argoproj/argo-cd/v3/common'], {
        version: V.argocd.replace(/^v/, ''),
        buildDate,
        gitCommit: 'promenade-build',
        gitTreeState: 'clean',
      });
      await run(step, [go, 'build', '-trimpath', '-ldflags', flags, '-o', join(out, 'argocd'), 'github.com/argoproj/argo-cd/v3/cmd'], {
        ...env,
        CGO_ENABLED: '0',
      });
      // The harness applies CRDs and base config from the module's manifests/ and puts the hack/ wrappers
      // that v3.6's repo-server runs on every manifest generation on PATH: keep them beside the binary.
      const share = join(out, 'share', 'argocd');
      await mkdir(share, { recursive: true });
      await cp(join(argo.dir, 'manifests'), join(share, 'manifests'), { recursive: true });
      for (const script of ['git-verify-wrapper.sh', 'gpg-wrapper.sh']) {
        await cp(join(argo.dir, 'hack', script), join(share, 'hack', script));
      }
      await run(step, ['chmod', '-R', 'u+w,a+rX', share]);
      await chmod(join(share, 'hack', 'git-verify-wrapper.sh'), 0o755);
      await chmod(join(share, 'hack', 'gpg-wrapper.sh'), 0o755);
    },
  },
  {
    name: 'kubernetes',
    outputs: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'],
    // All three in one `go build` so they share compilation. k8s.io/kubernetes points its 31 staging modules
    // at ./staging; a dependent module points them at their published v0 versions instead.
    async build(step, out) {
      const kube = await moduleDir(step, `k8s.io/kubernetes@${V.kubernetes}`);
      const staging = V.kubernetes.replace(/^v1\./, 'v0.');
      const replaces = replaceDirectives(await readFile(kube.goMod, 'utf8'))
        .filter(([, to]) => to.startsWith('./staging/'))
        .map(([from]) => from);
      if (replaces.length < 20) throw new ComponentBuildError(step.component, step.log, `found only ${replaces.length} staging modules in ${kube.goMod}`);
      const cmds = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((c) => `k8s.io/kubernetes/cmd/${c}`);
      await writeFile(
        join(step.workDir, 'go.mod'),
        [
          'module promenade.local/kubernetes',
          '',
          'go 1.24.0',
          '',
          `require k8s.io/kubernetes ${V.kubernetes}`,
          '',
          'replace (',
          ...replaces.map((m) => `\t${m} => ${m} ${staging}`),
          ')',
          '',
        ].join('\n'),
      );
      await writeFile(join(step.workDir, 'tools.go'), `//go:build tools\n\npackage tools\n\nimport (\n${cmds.map((c) => `\t_ "${c}"`).join('\n')}\n)\n`);
      await run(step, [go, 'mod', 'tidy']);
      const [major, minor] = V.kubernetes.replace(/^v/, '').split('.');
      const flags = ldflags(['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'], {
        gitMajor: major!,
        gitMinor: minor!,
        gitVersion: V.kubernetes,
        gitCommit: 'promenade-build',
        gitTreeState: 'clean',
        buildDate,
      });
      await run(step, [go, 'build', '-trimpath', '-ldflags', flags, '-o', `${out}/`, ...cmds]);
    },
  },
  {
    name: 'kwok',
    outputs: ['kwok'],
    async build(step, out) {
      await run(step, [go, 'install', `sigs.k8s.io/kwok/cmd/kwok@${V.kwok}`], { GOBIN: out });
    },
  },
  {
    name: 'kustomize',
    outputs: ['kustomize'],
    async build(step, out) {
      // v5.8.1, not Argo CD's own 5.8.3: 5.8.3 needs a kube-openapi pseudo-version the module proxy does not serve.
      await run(step, [go, 'install', `sigs.k8s.io/kustomize/kustomize/v5@${V.kustomize}`], { GOBIN: out, GOTOOLCHAIN: ARGOCD_GOTOOLCHAIN });
    },
  },
  {
    name: 'helm',
    outputs: ['helm'],
    async build(step, out) {
      await run(step, [go, 'install', `helm.sh/helm/v3/cmd/helm@${V.helm}`], { GOBIN: out, GOTOOLCHAIN: ARGOCD_GOTOOLCHAIN });
    },
  },
];

async function buildComponent(component: Component): Promise<'cached' | 'built'> {
  const cached = await Promise.all(component.outputs.map((o) => exists(join(binDir, o))));
  if (cached.every(Boolean)) return 'cached';
  const step: Step = { component: component.name, log: join(logDir, `${component.name}.log`), workDir: join(workRoot, component.name) };
  const lock = await takeLock(step);
  try {
    return await buildUnlocked(component, step);
  } finally {
    await rm(lock, { force: true });
  }
}

/** Two runs at once (CI and `npm start`, say) must not build into the same folder: the second one stops. */
async function takeLock(step: Step): Promise<string> {
  await mkdir(workRoot, { recursive: true });
  const lock = join(workRoot, `${step.component}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return lock;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(await readFile(lock, 'utf8').catch(() => '0'));
      if (pid && isAlive(pid)) throw new ComponentBuildError(step.component, step.log, `another build of it is running (pid ${pid}); wait for it`);
      await rm(lock, { force: true });
    }
  }
  throw new ComponentBuildError(step.component, step.log, `could not take ${lock}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function buildUnlocked(component: Component, step: Step): Promise<'built'> {
  await rm(step.workDir, { recursive: true, force: true });
  await mkdir(step.workDir, { recursive: true });
  await writeFile(step.log, `building ${component.name} at ${new Date().toISOString()}\n`);
  // Build into a scratch folder and move in only when complete, so an interrupted build is never "cached".
  const out = join(step.workDir, 'out');
  await mkdir(out, { recursive: true });
  await component.build(step, out);
  for (const o of component.outputs) await rename(join(out, o), join(binDir, o));
  if (await exists(join(out, 'share'))) await cp(join(out, 'share'), join(cacheDir, 'share'), { recursive: true, force: true });
  await rm(step.workDir, { recursive: true, force: true });
  return 'built';
}

export const COMPONENTS = components.map((c) => c.name);

/** Builds what is not cached (all components, or those named); resolves to the bin directory. */
export async function buildArgoCDReal(options: { only?: string[]; log?: (line: string) => void } = {}): Promise<string> {
  const only = options.only ?? [];
  if (options.log) say = (line) => options.log!(`[argocd-real] ${line}`);
  const unknown = only.filter((n) => !components.some((c) => c.name === n));
  if (unknown.length) throw new Error(`unknown component(s) ${unknown.join(', ')}; known: ${components.map((c) => c.name).join(', ')}`);
  await mkdir(binDir, { recursive: true });
  await mkdir(logDir, { recursive: true });
  say(`cache ${cacheDir}`);
  const started = Date.now();
  let built = 0;
  for (const component of components.filter((c) => only.length === 0 || only.includes(c.name))) {
    const t = Date.now();
    say(`${component.name}: checking`);
    const beat = setInterval(() => say(`${component.name}: still building, ${elapsed(t)}`), 60_000);
    try {
      const result = await buildComponent(component);
      if (result === 'built') built++;
      say(`${component.name}: ${result === 'built' ? `built in ${elapsed(t)}` : 'cached'}`);
    } finally {
      clearInterval(beat);
    }
  }
  say(`done in ${elapsed(started)} (${built} built); binaries in ${binDir}`);
  return binDir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildArgoCDReal({ only: process.argv.slice(2) }).catch((err: unknown) => {
    process.stderr.write(`[argocd-real] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
