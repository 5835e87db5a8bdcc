// `promenade bootstrap --repo <url> --app <app>`: the seed lab in one command. Everything is checked before
// anything changes (the repository's files and the three Argo CD Applications), so a refusal leaves both
// untouched, and a second run finds nothing missing and changes nothing.
import { ArgoCDApiError, ArgoCDClient, argocdConfigFromEnv, type ArgoCDConfig } from '../argocd/client.js';
import type { Application } from '../argocd/types.js';
import { planApplications } from '../bootstrap/argocd-applications.js';
import { GitRemoteError, LayoutWorkspace } from '../bootstrap/gitops-layout.js';
import { repositoryUrlProblem } from '../config/repository-url.js';
import { isBranchName, isNameLabel, MAX_NAME_LENGTH } from '../config/text-rules.js';
import { installSeedApplications } from '../stack/seed-applications.js';
import { seedApplications } from '../bootstrap/seed-layout.js';
import { parseCommandLine, UsageError } from './args.js';
import { CliError, EXIT } from './exit-codes.js';


function argocdCliError(err: unknown, server: string): unknown {
  if (!(err instanceof ArgoCDApiError)) return err;
  if (err.status === undefined) return new CliError(`cannot reach Argo CD at ${server} (${err.argoMessage}); check --argocd-server / ARGOCD_SERVER`, EXIT.unreachable);
  if (err.status === 401 || err.status === 403) return new CliError(`Argo CD at ${server} refused our token (HTTP ${err.status}); check ARGOCD_AUTH_TOKEN and its RBAC`, EXIT.unauthorized);
  return new CliError(`Argo CD at ${server}: ${err.message}`, EXIT.failed);
}

function gitCliError(err: unknown): unknown {
  if (!(err instanceof GitRemoteError)) return err;
  return new CliError(err.message, err.kind === 'unauthorized' ? EXIT.unauthorized : err.kind === 'unreachable' ? EXIT.unreachable : EXIT.failed);
}

export async function bootstrapCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { flags } = parseCommandLine(
    argv,
    { repo: { type: 'string' }, app: { type: 'string' }, branch: { type: 'string' }, 'argocd-server': { type: 'string' } },
    'promenade bootstrap --repo <url> --app <app> [--branch <branch>] [--argocd-server <url>]',
  );
  if (!flags.repo) throw new UsageError('--repo is required: the GitOps repository URL Argo CD reads (https://..., ssh://..., git@host:path or file://...)');
  const problem = repositoryUrlProblem(flags.repo);
  if (problem) throw new UsageError(`--repo: ${problem}`);
  if (!flags.app) throw new UsageError('--app is required, e.g. --app myapp');
  if (!isNameLabel(flags.app)) throw new UsageError(`--app "${flags.app}" must be a DNS-1123 label (lowercase letters, digits and "-", at most ${MAX_NAME_LENGTH} characters)`);
  const branch = flags.branch ?? 'main';
  if (!isBranchName(branch)) throw new UsageError(`--branch "${branch}" is not a branch name`);
  let argocd: ArgoCDConfig;
  try {
    argocd = argocdConfigFromEnv({ ...env, ...(flags['argocd-server'] ? { ARGOCD_SERVER: flags['argocd-server'] } : {}) });
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (or pass --argocd-server)`);
  }
  const client = new ArgoCDClient({ ...argocd, maxTries: 1, requestTimeoutMs: 10_000 });
  const desired = seedApplications(flags.repo, flags.app, branch);

  const workspace = await LayoutWorkspace.open(flags.repo, branch).catch((err) => {
    throw gitCliError(err);
  });
  try {
    const layout = await workspace.plan(flags.app);
    const apps = await planApplications(client, desired).catch((err) => {
      throw argocdCliError(err, argocd.baseUrl);
    });
    const conflicts = [...layout.conflicts.map((c) => `${c.path} ${c.reason}`), ...apps.conflicts.map((c) => `Argo CD Application ${c.name}: ${c.reason}`)];
    if (conflicts.length) {
      throw new CliError(`refusing to bootstrap ${flags.app}: a different layout is in place and nothing was changed:\n  ${conflicts.join('\n  ')}`, EXIT.conflict);
    }
    if (layout.missing.length) {
      const commit = await workspace.addMissing(flags.app, layout.missing).catch((err) => {
        throw gitCliError(err);
      });
      console.log(`pushed ${commit.slice(0, 12)} to ${branch}: ${layout.missing.join(', ')}`);
    } else console.log(`repository: the layout of ${flags.app} is in place on ${branch}`);
    if (apps.missing.length) {
      await installSeedApplications(client, apps.missing).catch((err) => {
        throw argocdCliError(err, argocd.baseUrl);
      });
      console.log(`Argo CD: created ${apps.missing.map((a) => a.metadata.name).join(', ')} (synced and healthy)`);
    } else console.log(`Argo CD: ${desired.map((a) => a.metadata.name).join(', ')} exist as wanted`);
    if (!layout.missing.length && !apps.missing.length) console.log('nothing to change');
    return EXIT.ok;
  } finally {
    await workspace.close();
  }
}
