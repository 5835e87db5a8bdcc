// Starts a real Argo CD on a real Kubernetes control plane with fake nodes, all on free loopback ports under a
// temporary directory: PKI (openssl), etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok (with
// the Stages of ./kwok-stages.ts), Argo CD's CRDs and base config from its own manifests/, redis, and Argo CD's
// repo-server, application-controller and API server. Binaries come from scripts/argocd-real/build.ts. Each
// part is waited for before the next needs it; every process is stopped on stop(), on a failed start-up, and
// when this process exits. Secrets (admin password, tokens) live only in files under the directory.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { freePort } from '../ports.js';
import { KubeApi, type KubeObject } from './kube.js';
import { DEFAULT_FAULT_IMAGES, kwokStages, type FaultImages } from './kwok-stages.js';
import { ProcessSet, tail, type StackProcess } from './processes.js';
import { argocdRealBinDir, argocdRealShareDir, ARGOCD_REAL_BINARIES } from './versions.js';

const run = promisify(execFile);
const HOST = '127.0.0.1';
export const ARGOCD_NAMESPACE = 'argocd';
export const FAKE_NODE = 'kwok-node-0';

export interface ArgoCDRealOptions {
  binDir?: string;
  shareDir?: string;
  /** Root of the stack's files; a fresh temporary directory by default (removed on stop unless keepDir). */
  dir?: string;
  keepDir?: boolean;
  /** Port of the Argo CD API server; a free one by default. */
  argocdPort?: number;
  adminPassword?: string;
  /** Extra local accounts for argocd-cm (`accounts.<name>`), e.g. { ci: 'apiKey' }. */
  accounts?: Record<string, string>;
  /** Extra lines of argocd-rbac-cm `policy.csv`. */
  rbacPolicy?: string;
  /** The controller's periodic reconcile (`--app-resync`), seconds; jitter is off. */
  reconcileSeconds?: number;
  faultImages?: FaultImages;
  /** redis-server to run (scripts/ensure-redis-server.ts finds or installs one); default: from PATH. */
  redisServer?: string;
  log?: (line: string) => void;
}

export interface ArgoCDReal {
  /** Argo CD API server, plain HTTP on loopback (argocd-server --insecure). */
  url: string;
  adminPassword: string;
  kube: KubeApi;
  kubeServer: string;
  /** The lane's system:masters token and CA, to build another KubeApi (in a test worker process). */
  kubeToken: string;
  kubeCa: string;
  dir: string;
  processes: StackProcess[];
  stop(): Promise<void>;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export class ArgoCDRealNotBuiltError extends Error {
  constructor(missing: string[], binDir: string) {
    super(`The real Argo CD stack is not built (missing in ${binDir}: ${missing.join(', ')}). Get it once with: node --import tsx scripts/ensure.ts redis-server argocd-real`);
    this.name = 'ArgoCDRealNotBuiltError';
  }
}

export async function assertArgoCDRealBuilt(binDir = argocdRealBinDir(), redisServer?: string): Promise<void> {
  const missing: string[] = [];
  for (const bin of ARGOCD_REAL_BINARIES) if (!(await exists(join(binDir, bin)))) missing.push(bin);
  if (!(redisServer ? await exists(redisServer) : await hasCommand('redis-server'))) missing.push('redis-server (apt-get install redis-server)');
  if (missing.length) throw new ArgoCDRealNotBuiltError(missing, binDir);
}

async function hasCommand(command: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/bin', '/usr/sbin')) if (dir && (await exists(join(dir, command)))) return true;
  return false;
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: HOST });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function httpOk(url: string, init: RequestInit = {}): Promise<boolean> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Waits for `ready`, failing early (with its log) if the process dies, or with `what` after the timeout. */
async function waitReady(procs: ProcessSet, entry: StackProcess | undefined, what: string, ready: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (entry) procs.assertRunning(entry);
    if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`${what} was not ready within ${timeoutMs / 1000}s${entry ? `; the end of ${entry.log}:\n${tail(entry.log)}` : ''}`);
    await sleep(150);
  }
}

async function openssl(cwd: string, ...args: string[]): Promise<void> {
  await run('openssl', args, { cwd });
}

/** A CA, a serving certificate for 127.0.0.1, a service-account key pair and a static admin token. */
async function makePki(dir: string): Promise<{ ca: string; token: string }> {
  await mkdir(dir, { recursive: true });
  await openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=promenade-lane-ca');
  await openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver');
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1\n');
  await openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
  await openssl(dir, 'genrsa', '-out', 'sa.key', '2048');
  await openssl(dir, 'rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
  const token = randomBytes(24).toString('hex');
  // A static token in system:masters: fine for a throw-away test cluster only.
  await writeFile(join(dir, 'tokens.csv'), `${token},lane-admin,lane-admin,system:masters\n`, { mode: 0o600 });
  return { ca: await readFile(join(dir, 'ca.crt'), 'utf8'), token };
}

function kubeconfig(server: string, caFile: string, token: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'lane', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: 'lane-admin', user: { token } }],
    contexts: [{ name: 'lane', context: { cluster: 'lane', user: 'lane-admin', namespace: ARGOCD_NAMESPACE } }],
    'current-context': 'lane',
  });
}

/** YAML documents of a file as objects, skipping empty ones. */
async function manifests(path: string): Promise<KubeObject[]> {
  return parseAllDocuments(await readFile(path, 'utf8'))
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => Boolean(o?.kind));
}

export async function startArgoCDReal(options: ArgoCDRealOptions = {}): Promise<ArgoCDReal> {
  const log = options.log ?? (() => {});
  const binDir = options.binDir ?? argocdRealBinDir();
  const shareDir = options.shareDir ?? argocdRealShareDir();
  await assertArgoCDRealBuilt(binDir, options.redisServer);
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'promenade-argocd-real-')));
  const logDir = join(dir, 'logs');
  await mkdir(logDir, { recursive: true });
  const procs = new ProcessSet(logDir);
  const bin = (name: string) => join(binDir, name);
  const started = Date.now();
  const step = (what: string) => log(`[argocd-real +${((Date.now() - started) / 1000).toFixed(1)}s] ${what}`);
  const stop = async () => {
    await procs.stop();
    if (!options.keepDir && !options.dir) await rm(dir, { recursive: true, force: true });
  };

  try {
    const pki = await makePki(join(dir, 'pki'));
    const ports = {
      etcd: await freePort(),
      etcdPeer: await freePort(),
      apiserver: await freePort(),
      controllerManager: await freePort(),
      scheduler: await freePort(),
      kwok: await freePort(),
      redis: await freePort(),
      repoServer: await freePort(),
      repoServerMetrics: await freePort(),
      controllerMetrics: await freePort(),
      server: options.argocdPort ?? (await freePort()),
      serverMetrics: await freePort(),
    };
    const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, TMPDIR: join(dir, 'tmp') };
    await mkdir(baseEnv.TMPDIR, { recursive: true });
    step('PKI ready; starting etcd');

    const etcdUrl = `http://${HOST}:${ports.etcd}`;
    const etcd = procs.start(
      'etcd',
      bin('etcd'),
      [
        '--name=lane',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://${HOST}:${ports.etcdPeer}`,
        `--initial-advertise-peer-urls=http://${HOST}:${ports.etcdPeer}`,
        `--initial-cluster=lane=http://${HOST}:${ports.etcdPeer}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      baseEnv,
    );
    await waitReady(procs, etcd, 'etcd', () => httpOk(`${etcdUrl}/health`));
    step('etcd ready; starting kube-apiserver');

    const pkiDir = join(dir, 'pki');
    const kubeServer = `https://${HOST}:${ports.apiserver}`;
    const apiserver = procs.start(
      'kube-apiserver',
      bin('kube-apiserver'),
      [
        `--etcd-servers=${etcdUrl}`,
        `--bind-address=${HOST}`,
        `--advertise-address=${HOST}`,
        `--secure-port=${ports.apiserver}`,
        `--cert-dir=${join(dir, 'apiserver-certs')}`,
        `--tls-cert-file=${join(pkiDir, 'server.crt')}`,
        `--tls-private-key-file=${join(pkiDir, 'server.key')}`,
        `--client-ca-file=${join(pkiDir, 'ca.crt')}`,
        `--token-auth-file=${join(pkiDir, 'tokens.csv')}`,
        '--authorization-mode=Node,RBAC',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${join(pkiDir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(pkiDir, 'sa.key')}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        // A loopback advertise address makes the `kubernetes` Endpoints invalid; nothing here needs them.
        '--endpoint-reconciler-type=none',
        '--enable-priority-and-fairness=false',
        '--profiling=false',
      ],
      baseEnv,
    );
    const kube = new KubeApi(kubeServer, pki.token, pki.ca);
    await waitReady(procs, apiserver, 'kube-apiserver', async () => (await kube.raw('/readyz').catch(() => ({ status: 0 }))).status === 200);
    step('kube-apiserver ready; starting the controller manager, scheduler, kwok and redis');

    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeconfig(kubeServer, join(pkiDir, 'ca.crt'), pki.token), { mode: 0o600 });
    const controlPlaneAuth = [`--kubeconfig=${kubeconfigPath}`, `--authentication-kubeconfig=${kubeconfigPath}`, `--authorization-kubeconfig=${kubeconfigPath}`, `--bind-address=${HOST}`, '--leader-elect=false'];
    const controllerManager = procs.start(
      'kube-controller-manager',
      bin('kube-controller-manager'),
      [
        ...controlPlaneAuth,
        `--secure-port=${ports.controllerManager}`,
        `--cert-dir=${join(dir, 'kcm-certs')}`,
        '--controllers=*,-nodeipam,-cloud-node-lifecycle',
        `--service-account-private-key-file=${join(pkiDir, 'sa.key')}`,
        `--root-ca-file=${join(pkiDir, 'ca.crt')}`,
        '--profiling=false',
      ],
      baseEnv,
    );
    const scheduler = procs.start('kube-scheduler', bin('kube-scheduler'), [...controlPlaneAuth, `--secure-port=${ports.scheduler}`, `--cert-dir=${join(dir, 'scheduler-certs')}`, '--profiling=false'], baseEnv);
    const stagesPath = join(dir, 'kwok-stages.yaml');
    await writeFile(stagesPath, kwokStages(options.faultImages ?? DEFAULT_FAULT_IMAGES));
    const kwok = procs.start(
      'kwok',
      bin('kwok'),
      [
        `--kubeconfig=${kubeconfigPath}`,
        `--config=${stagesPath}`,
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        `--server-address=${HOST}:${ports.kwok}`,
        '--node-ip=10.1.0.1',
        '--cidr=10.2.0.0/16',
      ],
      baseEnv,
    );
    const redis = procs.start('redis', options.redisServer ?? 'redis-server', ['--port', String(ports.redis), '--bind', HOST, '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], baseEnv);

    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ARGOCD_NAMESPACE } });
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: FAKE_NODE, annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' }, labels: { type: 'kwok', 'kubernetes.io/hostname': FAKE_NODE } },
    });
    const argocdManifests = join(shareDir, 'argocd', 'manifests');
    for (const file of ['application-crd.yaml', 'appproject-crd.yaml', 'applicationset-crd.yaml']) {
      for (const crd of await manifests(join(argocdManifests, 'crds', file))) await kube.apply(crd);
    }
    await argocdConfig(kube, argocdManifests, dir, bin('argocd'), baseEnv, options);
    const adminPassword = (await readFile(join(dir, 'admin-password'), 'utf8')).trim();
    for (const crd of ['applications.argoproj.io', 'appprojects.argoproj.io', 'applicationsets.argoproj.io']) {
      await kube.waitFor(
        `CRD ${crd} established`,
        () => kube.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, crd),
        (o: any) => o?.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True'),
      );
    }

    // The controller manager and scheduler serve /healthz over self-signed TLS: an open port is enough here.
    await waitReady(procs, controllerManager, 'kube-controller-manager', () => tcpOpen(ports.controllerManager));
    await waitReady(procs, scheduler, 'kube-scheduler', () => tcpOpen(ports.scheduler));
    await waitReady(procs, redis, 'redis', () => tcpOpen(ports.redis));
    await waitReady(procs, kwok, `the fake node ${FAKE_NODE} (kwok)`, async () => {
      const node = await kube.get('v1', 'Node', undefined, FAKE_NODE).catch(() => undefined);
      return Boolean(node?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
    });
    step('control plane, fake node and redis ready; starting Argo CD');

    const argocdEnv = (name: string): NodeJS.ProcessEnv => ({
      ...baseEnv,
      // v3.6's repo-server runs git-verify-wrapper.sh on every manifest generation; kustomize and helm too.
      PATH: `${join(shareDir, 'argocd', 'hack')}:${binDir}:${baseEnv.PATH}`,
      ARGOCD_BINARY_NAME: name,
      ARGOCD_FAKE_IN_CLUSTER: 'true',
      KUBECONFIG: kubeconfigPath,
      ARGOCD_GPG_ENABLED: 'false',
      ARGOCD_TLS_DATA_PATH: join(dir, 'argocd', 'tls'),
      ARGOCD_SSH_DATA_PATH: join(dir, 'argocd', 'ssh'),
      ARGOCD_GNUPGHOME: join(dir, 'argocd', 'gnupg'),
    });
    for (const sub of ['tls', 'ssh', 'gnupg']) await mkdir(join(dir, 'argocd', sub), { recursive: true, mode: 0o700 });
    const redisAddr = `${HOST}:${ports.redis}`;
    const repoServerAddr = `${HOST}:${ports.repoServer}`;
    const repoServer = procs.start(
      'argocd-repo-server',
      bin('argocd'),
      [
        `--port=${ports.repoServer}`,
        `--metrics-port=${ports.repoServerMetrics}`,
        `--address=${HOST}`,
        `--metrics-address=${HOST}`,
        '--disable-tls',
        // v3.6: the default client CA path clashes with --disable-tls.
        '--client-ca-path=',
        `--redis=${redisAddr}`,
        '--loglevel=warn',
      ],
      argocdEnv('argocd-repo-server'),
    );
    const reconcile = String(options.reconcileSeconds ?? 30);
    const controller = procs.start(
      'argocd-application-controller',
      bin('argocd'),
      [
        `--namespace=${ARGOCD_NAMESPACE}`,
        `--redis=${redisAddr}`,
        `--repo-server=${repoServerAddr}`,
        '--repo-server-plaintext',
        `--metrics-port=${ports.controllerMetrics}`,
        `--app-resync=${reconcile}`,
        '--app-resync-jitter=0',
        '--status-processors=4',
        '--operation-processors=4',
        '--loglevel=warn',
      ],
      argocdEnv('argocd-application-controller'),
    );
    const server = procs.start(
      'argocd-server',
      bin('argocd'),
      [
        '--insecure',
        `--address=${HOST}`,
        `--port=${ports.server}`,
        `--metrics-address=${HOST}`,
        `--metrics-port=${ports.serverMetrics}`,
        `--namespace=${ARGOCD_NAMESPACE}`,
        `--redis=${redisAddr}`,
        `--repo-server=${repoServerAddr}`,
        '--repo-server-plaintext',
        '--loglevel=warn',
      ],
      argocdEnv('argocd-server'),
    );
    const url = `http://${HOST}:${ports.server}`;
    await waitReady(procs, repoServer, 'argocd-repo-server', () => tcpOpen(ports.repoServer));
    await waitReady(procs, controller, 'argocd-application-controller', () => httpOk(`http://${HOST}:${ports.controllerMetrics}/healthz`));
    await waitReady(procs, server, 'argocd-server', () => httpOk(`${url}/healthz`));
    // Ready for promenade: an admin login works and the server has created the default project.
    await waitReady(procs, server, 'argocd-server login and the default project', async () => {
      try {
        const session = await fetch(`${url}/api/v1/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password: adminPassword }),
        });
        if (!session.ok) return false;
        const { token } = (await session.json()) as { token: string };
        return httpOk(`${url}/api/v1/projects/default`, { headers: { authorization: `Bearer ${token}` } });
      } catch {
        return false;
      }
    });
    step(`Argo CD ready at ${url}`);
    return { url, adminPassword, kube, kubeServer, kubeToken: pki.token, kubeCa: pki.ca, dir, processes: procs.processes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Argo CD's base ConfigMaps and Secret from its manifests/base/config, then the lane's settings on top: the
 * admin password (bcrypt by `argocd account bcrypt`), a server secret key, extra accounts and RBAC lines.
 */
async function argocdConfig(kube: KubeApi, manifestsDir: string, dir: string, argocdBin: string, env: NodeJS.ProcessEnv, options: ArgoCDRealOptions): Promise<void> {
  const configDir = join(manifestsDir, 'base', 'config');
  for (const file of (await readdir(configDir)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')) {
    for (const object of await manifests(join(configDir, file))) {
      if (object.kind !== 'ConfigMap' && object.kind !== 'Secret') continue;
      object.metadata.namespace = ARGOCD_NAMESPACE;
      await kube.apply(object);
    }
  }
  const adminPassword = options.adminPassword ?? randomBytes(12).toString('base64url');
  await writeFile(join(dir, 'admin-password'), `${adminPassword}\n`, { mode: 0o600 });
  const { stdout: hash } = await run(argocdBin, ['account', 'bcrypt', '--password', adminPassword], { env: { ...env, ARGOCD_BINARY_NAME: 'argocd' } });
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'argocd-secret', namespace: ARGOCD_NAMESPACE, labels: { 'app.kubernetes.io/name': 'argocd-secret', 'app.kubernetes.io/part-of': 'argocd' } },
    type: 'Opaque',
    stringData: {
      'admin.password': hash.trim(),
      'admin.passwordMtime': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      'server.secretkey': randomBytes(32).toString('base64'),
    },
  });
  const accounts = Object.fromEntries(Object.entries(options.accounts ?? {}).map(([name, caps]) => [`accounts.${name}`, caps]));
  await kube.apply({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'argocd-cm', namespace: ARGOCD_NAMESPACE, labels: { 'app.kubernetes.io/name': 'argocd-cm', 'app.kubernetes.io/part-of': 'argocd' } },
    data: { 'admin.enabled': 'true', ...accounts },
  });
  await kube.apply({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'argocd-rbac-cm', namespace: ARGOCD_NAMESPACE, labels: { 'app.kubernetes.io/name': 'argocd-rbac-cm', 'app.kubernetes.io/part-of': 'argocd' } },
    data: { 'policy.default': '', 'policy.csv': options.rbacPolicy ?? '' },
  });
}
