// A working clone of the GitOps repository, cached per repository and per worker process: cloned once, then
// only fetched, because a fresh clone per stage is what makes GitOps automation slow and hammers the git server.
// Inside a process every use of a clone goes through one async mutex; across processes on one machine each
// process claims its own clone directory, and across machines the remote branch is the only shared state.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { repositoryUrlProblem, redactUrlCredentials } from '../config/repository-url.js';
import { RETRYABLE, TERMINAL, retryable, terminal } from '../failures.js';
import { promenadeCacheDir } from '../cache-dir.js';
import type { RepositoryCredentials } from '../config/worker-config/repositories.js';
import { gitAccess } from './access.js';
import { isCommitId } from './commit-id.js';
import { TRAILER_PROMOTION, TRAILER_STAGE } from './trailers.js';
import { GitCommandError, runGit } from './git-process.js';

export interface WorkspaceOptions {
  /** Where clones live; default `repos` in the promenade cache directory (src/cache-dir.ts). */
  cacheDir?: string;
  /** The worker's environment, of which git gets only PATH, HOME and proxy settings; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** This repository's credentials, handed to git for its URL alone (./access.ts). */
  credentials?: RepositoryCredentials;
  /** Author and committer of promenade's commits; default `promenade <promenade@localhost>`. */
  author?: { name: string; email: string };
  /** Pushes tried per batch before giving up with a retryable PushRejected; default 8. */
  maxPushAttempts?: number;
}

export interface TrailerCommit {
  commit: string;
  subject: string;
  promotion: string[];
  stage: string[];
}

export type PushOutcome = 'pushed' | 'rejected';

/**
 * Automatic gc and maintenance run in the foreground, inside the clone's mutex: detached, they would race the next
 * step's checkout and hold locks in a clone we reset freely.
 */
const INLINE_CONFIG = ['-c', 'gc.autoDetach=false', '-c', 'maintenance.autoDetach=false'];

const workspaces = new Map<string, Workspace>();
const claimedLocks = new Set<string>();

export class Workspace {
  /** The process-wide workspace for `repository` under the options' cache directory. */
  static open(repository: string, options: WorkspaceOptions = {}): Workspace {
    const problem = repositoryUrlProblem(repository);
    if (problem) throw terminal(TERMINAL.invalidInput, `repository ${redactUrlCredentials(repository)} ${problem}`);
    const cacheDir = options.cacheDir ?? join(promenadeCacheDir(options.env), 'repos');
    const key = `${cacheDir}\u0000${repository}`;
    let workspace = workspaces.get(key);
    if (!workspace) {
      workspace = new Workspace(repository, cacheDir, options);
      workspaces.set(key, workspace);
    }
    return workspace;
  }

  readonly dir: string;
  readonly maxPushAttempts: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly secrets: string[];
  private tail: Promise<unknown> = Promise.resolve();
  private ready = false;

  private constructor(
    readonly repository: string,
    private readonly cacheDir: string,
    options: WorkspaceOptions,
  ) {
    mkdirSync(cacheDir, { recursive: true });
    this.dir = claimCloneDir(join(cacheDir, createHash('sha256').update(repository).digest('hex').slice(0, 16)));
    this.maxPushAttempts = options.maxPushAttempts ?? 8;
    const author = options.author ?? { name: 'promenade', email: 'promenade@localhost' };
    const access = gitAccess(repository, options.credentials, options.env ?? process.env, author);
    this.env = access.env;
    this.secrets = access.secrets;
  }

  /** Whether this process has its clone ready (cloned or checked once). */
  get cloned(): boolean {
    return this.ready;
  }

  /** Runs `fn` with the clone to itself, after every earlier caller in this process. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Runs git in the clone; `signal` stops the process (a cancelled activity). */
  git(args: string[], signal?: AbortSignal): Promise<string> {
    return runGit([...INLINE_CONFIG, ...args], { cwd: this.dir, env: this.env, secrets: this.secrets, ...(signal ? { signal } : {}) });
  }

  /** Commits what is staged (or `paths`) with `message`, read from a file: it never goes on a command line. */
  async commit(message: string, paths?: string[]): Promise<void> {
    const file = join(this.dir, '.git', 'PROMENADE_COMMIT_MSG');
    writeFileSync(file, message);
    await this.git(['commit', '--quiet', '--no-verify', '--cleanup=whitespace', `--file=${file}`, ...(paths ? ['--', ...paths] : [])]);
  }

  /** Brings `origin/<branch>` up to date (cloning first if needed) and returns its tip. */
  async fetch(branch: string): Promise<string> {
    await this.ensureClone();
    await this.fetchInto(branch, `refs/remotes/origin/${branch}`);
    return (await this.git(['rev-parse', '--verify', `refs/remotes/origin/${branch}^{commit}`])).trim();
  }

  /**
   * The branch's tip as the remote has it, asked without the clone: no objects move and no lock is taken, so
   * readers need not queue behind a batch of commits.
   */
  async remoteTip(branch: string, signal?: AbortSignal): Promise<string> {
    let out: string;
    try {
      out = await runGit([...INLINE_CONFIG, 'ls-remote', '--', this.repository, `refs/heads/${branch}`], {
        cwd: this.cacheDir,
        env: this.env,
        secrets: this.secrets,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      throw this.unavailable('ls-remote', error);
    }
    const line = out.split('\n').find((l) => l.endsWith(`\trefs/heads/${branch}`));
    if (!line) throw this.missingBranch(branch);
    const tip = line.split('\t')[0]!;
    // The server's answer goes on later command lines: it must be a commit id and nothing else.
    if (!isCommitId(tip)) throw retryable(RETRYABLE.gitUnavailable, `ls-remote of ${redactUrlCredentials(this.repository)} answered ${JSON.stringify(tip.slice(0, 80))} for ${branch}, which is not a commit id`);
    return tip;
  }

  /**
   * Fetches `branch` into a ref of its own, outside the clone's mutex: it writes only objects (safe alongside any
   * other git command) and a ref no other step touches, and never runs gc or writes FETCH_HEAD. Lets readers of
   * one file skip the queue of commits.
   */
  async fetchForReading(branch: string): Promise<void> {
    if (!this.ready) await this.exclusive(() => this.ensureClone());
    await this.fetchInto(branch, `refs/promenade/read/${branch}`, ['-c', 'gc.auto=0', '-c', 'maintenance.auto=false'], ['--no-write-fetch-head']);
  }

  private async fetchInto(branch: string, ref: string, config: string[] = [], options: string[] = []): Promise<void> {
    try {
      await this.git([...config, 'fetch', '--quiet', '--no-tags', ...options, 'origin', `+refs/heads/${branch}:${ref}`]);
    } catch (error) {
      if (error instanceof GitCommandError && /couldn't find remote ref/i.test(error.stderr)) throw this.missingBranch(branch);
      throw this.unavailable('fetch', error);
    }
  }

  private missingBranch(branch: string) {
    return terminal(TERMINAL.invalidConfig, `branch "${branch}" does not exist in ${redactUrlCredentials(this.repository)}`);
  }

  /** Makes the working tree exactly `commit`, discarding anything a crashed or failed step left behind. */
  async checkout(commit: string): Promise<void> {
    await this.git(['reset', '--quiet', '--hard']);
    await this.git(['checkout', '--quiet', '--force', '--detach', commit]);
    await this.git(['clean', '--quiet', '-ffdx']);
  }

  /** The last `window` commits of `ref` with their promenade trailers, newest first. */
  async trailerCommits(ref: string, window: number): Promise<TrailerCommit[]> {
    const format = ['%H', '%s', `%(trailers:key=${TRAILER_PROMOTION},valueonly,separator=%x1d)`, `%(trailers:key=${TRAILER_STAGE},valueonly,separator=%x1d)`].join('%x1f');
    const out = await this.git(['log', `--max-count=${window}`, `--format=${format}%x1e`, ref, '--']);
    return out
      .split('\x1e')
      .map((record) => record.replace(/^\n/, ''))
      .filter((record) => record !== '')
      .map((record) => {
        const [commit = '', subject = '', promotion = '', stage = ''] = record.split('\x1f');
        const values = (text: string) => text.split('\x1d').map((v) => v.trim()).filter((v) => v !== '');
        return { commit, subject, promotion: values(promotion), stage: values(stage) };
      });
  }

  /** Pushes HEAD to `branch`, never forced: a remote that moved on says `rejected` and the caller re-applies. */
  async push(branch: string): Promise<PushOutcome> {
    try {
      await this.git(['push', '--quiet', '--porcelain', 'origin', `HEAD:refs/heads/${branch}`]);
      return 'pushed';
    } catch (error) {
      if (!(error instanceof GitCommandError)) throw this.unavailable('push', error);
      // `--porcelain` reports the ref on stdout: `!<TAB>HEAD:refs/heads/main<TAB>[rejected] (fetch first)`. A remote
      // that lost a race for the ref lock says `[remote rejected] ... (failed to lock)`: the same race, lost.
      const status = `${error.stdout}\n${error.stderr}`;
      if (/\[rejected\]|non-fast-forward|fetch first|failed to update ref|failed to lock|cannot lock ref|incorrect old value/i.test(status)) {
        return 'rejected';
      }
      if (/\[remote rejected\]/.test(status)) {
        const reason = /\[remote rejected\]\s*([^\n]*)/.exec(status)![1]!.trim();
        // What the server's hook said, in its own words (`remote: ...` lines), so a person can act on it.
        const said = error.stderr
          .split('\n')
          .filter((line) => line.startsWith('remote:'))
          .map((line) => line.slice('remote:'.length).trim())
          .filter(Boolean)
          .slice(0, 10)
          .join(' | ');
        const message = `push to ${redactUrlCredentials(this.repository)} ${branch} was refused by the remote: ${reason}${said ? `: ${said}` : ''}`;
        // An unpacker or connection fault on the server side may pass; a hook or a protected branch will not.
        if (/unpack|disconnect|n\/a/i.test(reason)) throw retryable(RETRYABLE.pushRejected, message);
        throw terminal(TERMINAL.pushRefused, message);
      }
      throw this.unavailable('push', error);
    }
  }

  unavailable(step: string, error: unknown) {
    const detail = error instanceof GitCommandError ? error.message : error instanceof Error ? error.message : String(error);
    return retryable(RETRYABLE.gitUnavailable, `git ${step} of ${redactUrlCredentials(this.repository)} failed: ${detail}`);
  }

  private async ensureClone(): Promise<void> {
    if (this.ready) return;
    if (existsSync(join(this.dir, '.git'))) {
      try {
        const url = (await this.git(['config', '--get', 'remote.origin.url'])).trim();
        if (url === this.repository) {
          // This process owns the directory now, so locks and revert state in it are left over from a crash.
          for (const leftover of ['index.lock', 'HEAD.lock', 'REVERT_HEAD', 'sequencer']) {
            rmSync(join(this.dir, '.git', leftover), { recursive: true, force: true });
          }
          this.ready = true;
          return;
        }
      } catch {
        // A broken clone (interrupted, corrupted) is thrown away and made again below.
      }
      rmSync(this.dir, { recursive: true, force: true });
    }
    // Clone beside the final place and rename, so a crash never leaves a half clone where a whole one is expected.
    const partial = `${this.dir}.partial-${randomBytes(4).toString('hex')}`;
    try {
      await runGit([...INLINE_CONFIG, 'clone', '--quiet', '--no-tags', '--no-checkout', '--origin', 'origin', '--', this.repository, partial], {
        cwd: this.cacheDir,
        env: this.env,
        secrets: this.secrets,
      });
    } catch (error) {
      rmSync(partial, { recursive: true, force: true });
      throw this.unavailable('clone', error);
    }
    rmSync(this.dir, { recursive: true, force: true });
    renameSync(partial, this.dir);
    this.ready = true;
  }
}

/**
 * The first of `<base>`, `<base>-1`, ... that no live process on this machine holds. Two worker processes sharing
 * a cache directory must not share a working tree; a dead owner's clone is reused, since its content is only a
 * cache of the remote.
 */
function claimCloneDir(base: string): string {
  for (let slot = 0; ; slot++) {
    const dir = slot === 0 ? base : `${base}-${slot}`;
    const lock = `${dir}.owner`;
    for (let tries = 0; tries < 3; tries++) {
      try {
        writeFileSync(lock, `${process.pid}@${hostname()}\n`, { flag: 'wx' });
        if (claimedLocks.size === 0) process.once('exit', releaseClaims);
        claimedLocks.add(lock);
        return dir;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const [pid, host] = readFileSync(lock, 'utf8').trim().split('@');
        // Our own pid in a lock we did not take is a previous life of this container, not us.
        const ours = Number(pid) === process.pid;
        if (host === hostname() && ((ours && !claimedLocks.has(lock)) || (!ours && !isAlive(Number(pid))))) {
          rmSync(lock, { force: true });
          continue;
        }
        break;
      }
    }
  }
}

function releaseClaims(): void {
  for (const lock of claimedLocks) {
    try {
      unlinkSync(lock);
    } catch {
      // Already gone with its cache directory.
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
