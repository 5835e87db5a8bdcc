// The git half of `promenade bootstrap`: make the repository hold the lab layout for one app, adding only
// missing files in one ordinary commit (never a force push). A file that exists with other content is a
// conflict, except what promotions themselves change (the image) and a promenade.yaml that already declares
// the app: those are the layout in use, not a different one.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runGit, GitCommandError } from '../git/git-process.js';
import { seedLayout } from './seed-layout.js';

export interface LayoutPlan {
  /** Files to add, relative to the repository root. */
  missing: string[];
  /** Files that exist and differ, with the reason. */
  conflicts: Array<{ path: string; reason: string }>;
}

export class GitRemoteError extends Error {
  constructor(
    message: string,
    readonly kind: 'unreachable' | 'unauthorized' | 'rejected',
  ) {
    super(message);
    this.name = 'GitRemoteError';
  }
}

const withoutImages = (text: string) => text.replace(/^(\s*-?\s*image:).*$/gm, '$1');

function conflictReason(path: string, actual: string, wanted: string, app: string): string | undefined {
  if (actual === wanted) return undefined;
  if (path === 'promenade.yaml') {
    let declared = false;
    try {
      declared = Boolean((parseYaml(actual) as { apps?: Record<string, unknown> } | null)?.apps?.[app] !== undefined);
    } catch {
      return 'is not valid YAML';
    }
    return declared ? undefined : `does not declare app "${app}" (add "  ${app}: {}" under apps:)`;
  }
  if (withoutImages(actual) === withoutImages(wanted)) return undefined;
  return 'exists with different content';
}

export function planLayout(files: Map<string, string | undefined>, app: string): LayoutPlan {
  const plan: LayoutPlan = { missing: [], conflicts: [] };
  for (const file of seedLayout(app)) {
    const actual = files.get(file.path);
    if (actual === undefined) plan.missing.push(file.path);
    else {
      const reason = conflictReason(file.path, actual, file.content, app);
      if (reason) plan.conflicts.push({ path: file.path, reason });
    }
  }
  return plan;
}

function remoteError(err: unknown, repo: string): unknown {
  if (!(err instanceof GitCommandError)) return err;
  const text = err.stderr;
  if (/Authentication failed|could not read Username|Permission denied|403|401/i.test(text)) return new GitRemoteError(`the git remote ${repo} refused our credentials: ${text.trim().split('\n').pop()}`, 'unauthorized');
  if (/rejected|non-fast-forward|fetch first/i.test(text + err.stdout)) return new GitRemoteError(`the push to ${repo} was rejected (someone pushed meanwhile?); run bootstrap again`, 'rejected');
  return new GitRemoteError(`cannot reach the git repository ${repo}: ${text.trim().split('\n').pop()}`, 'unreachable');
}

/** A scratch clone of `branch` (or an empty one when the branch does not exist yet). */
export class LayoutWorkspace {
  private constructor(
    readonly dir: string,
    readonly repo: string,
    readonly branch: string,
    readonly fresh: boolean,
  ) {}

  static async open(repo: string, branch: string): Promise<LayoutWorkspace> {
    const dir = await mkdtemp(join(tmpdir(), 'promenade-bootstrap-'));
    const git = (args: string[]) => runGit(args, { cwd: dir, env: process.env, timeoutMs: 60_000 });
    try {
      await git(['init', '--quiet', `--initial-branch=${branch}`]);
      const heads = await git(['ls-remote', '--heads', repo, `refs/heads/${branch}`]);
      const fresh = heads.trim() === '';
      if (!fresh) {
        await git(['fetch', '--quiet', '--depth=1', repo, `refs/heads/${branch}`]);
        await git(['checkout', '--quiet', '-B', branch, 'FETCH_HEAD']);
      }
      return new LayoutWorkspace(dir, repo, branch, fresh);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw remoteError(err, repo);
    }
  }

  async plan(app: string): Promise<LayoutPlan> {
    const files = new Map<string, string | undefined>();
    for (const file of seedLayout(app)) files.set(file.path, await readFile(join(this.dir, file.path), 'utf8').catch(() => undefined));
    return planLayout(files, app);
  }

  /** Writes the missing files, commits and pushes; returns the new commit. */
  async addMissing(app: string, missing: string[]): Promise<string> {
    const git = (args: string[]) => runGit(['-c', 'user.name=promenade bootstrap', '-c', 'user.email=promenade@localhost', ...args], { cwd: this.dir, env: process.env, timeoutMs: 60_000 });
    for (const file of seedLayout(app).filter((f) => missing.includes(f.path))) {
      await mkdir(dirname(join(this.dir, file.path)), { recursive: true });
      await writeFile(join(this.dir, file.path), file.content);
    }
    await git(['add', '--', ...missing]);
    await git(['commit', '--quiet', '-m', `Bootstrap the GitOps layout of ${app}\n\nAdded by promenade bootstrap: ${missing.join(', ')}`]);
    try {
      await git(['push', '--quiet', this.repo, `HEAD:refs/heads/${this.branch}`]);
    } catch (err) {
      throw remoteError(err, this.repo);
    }
    return (await git(['rev-parse', 'HEAD'])).trim();
  }

  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
