import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Files below a directory of one commit, keyed by path relative to the repository root. */
export type TreeFiles = Map<string, string>;

interface RefTable {
  at: number;
  refs: Map<string, string>;
}

const SHA = /^[0-9a-f]{40}$/;

export class GitReadError extends Error {}

/**
 * Reads Application sources from real git repositories. Branch resolution goes through
 * `git ls-remote` (one call per repository however many applications share it), and
 * trees are read straight out of the object store and cached by commit, since a commit
 * never changes.
 */
export class GitSource {
  private readonly refTables = new Map<string, RefTable>();
  private readonly inflightRefs = new Map<string, { startedAt: number; table: Promise<RefTable> }>();
  private readonly trees = new Map<string, Promise<TreeFiles>>();
  private readonly fetched = new Map<string, Promise<void>>();

  constructor(
    private readonly cacheDir: string,
    private readonly aliases: Record<string, string> = {},
    private readonly refCacheMs = 0,
  ) {}

  /** Resolves a branch, tag or HEAD to a commit SHA. `fresh` skips the ref cache as a requested refresh does. */
  async resolveRevision(repoURL: string, revision: string | undefined, fresh: boolean): Promise<string> {
    const rev = (revision ?? '').trim();
    if (SHA.test(rev)) return rev;
    const table = await this.refTable(repoURL, fresh);
    const want = rev === '' || rev === 'HEAD' ? ['HEAD'] : [rev, `refs/heads/${rev}`, `refs/tags/${rev}^{}`, `refs/tags/${rev}`];
    for (const name of want) {
      const sha = table.refs.get(name);
      if (sha) return sha;
    }
    throw new GitReadError(`unable to resolve '${rev}' to a commit SHA`);
  }

  /** All files under `dir` at `sha` (recursively), read in one batch. */
  async files(repoURL: string, sha: string, dir: string): Promise<TreeFiles> {
    const clean = normaliseDir(dir);
    const key = `${repoURL}\0${sha}\0${clean}`;
    let tree = this.trees.get(key);
    if (!tree) {
      tree = this.readTree(repoURL, sha, clean);
      this.trees.set(key, tree);
      tree.catch(() => this.trees.delete(key));
      if (this.trees.size > 2000) this.trees.delete(this.trees.keys().next().value!);
    }
    return tree;
  }

  private async refTable(repoURL: string, fresh: boolean): Promise<RefTable> {
    const requestedAt = Date.now();
    const cached = this.refTables.get(repoURL);
    if (!fresh && cached && requestedAt - cached.at < this.refCacheMs) return cached;
    // A fresh request may only share a listing that started after it was made: one that
    // started earlier can predate the push the caller is asking about.
    const running = this.inflightRefs.get(repoURL);
    if (running && (!fresh || running.startedAt >= requestedAt)) return running.table;
    const startedAt = Date.now();
    const table = this.listRefs(repoURL).then((refs) => {
      const result = { at: startedAt, refs };
      const newest = this.refTables.get(repoURL);
      if (!newest || newest.at <= startedAt) this.refTables.set(repoURL, result);
      return result;
    });
    const entry = { startedAt, table };
    this.inflightRefs.set(repoURL, entry);
    const done = () => {
      if (this.inflightRefs.get(repoURL) === entry) this.inflightRefs.delete(repoURL);
    };
    table.then(done, done);
    return table;
  }

  /** Local repositories are read straight from their ref files (no process); remotes via ls-remote. */
  private async listRefs(repoURL: string): Promise<Map<string, string>> {
    const local = this.localPath(repoURL);
    if (local) {
      const refs = await readRefFiles(await localGitDir(local)).catch(() => undefined);
      if (refs) return refs;
    }
    const out = await git(['ls-remote', this.remote(repoURL)]);
    const refs = new Map<string, string>();
    for (const line of out.toString('utf8').split('\n')) {
      const [sha, name] = line.split('\t');
      if (sha && name) refs.set(name, sha);
    }
    return refs;
  }

  private async readTree(repoURL: string, sha: string, dir: string): Promise<TreeFiles> {
    const gitDir = await this.objectStore(repoURL, sha);
    const listing = await git(['--git-dir', gitDir, 'ls-tree', '-r', '-z', sha, '--', dir === '' ? '.' : `${dir}/`]).catch(
      (err: Error) => {
        throw new GitReadError(`failed to read ${dir || '.'} at ${sha}: ${firstLine(err.message)}`);
      },
    );
    const blobs: Array<{ id: string; path: string }> = [];
    for (const entry of listing.toString('utf8').split('\0')) {
      const m = /^\d+ blob ([0-9a-f]+)\t(.+)$/.exec(entry);
      if (m) blobs.push({ id: m[1]!, path: m[2]! });
    }
    const files: TreeFiles = new Map();
    if (blobs.length === 0) return files;
    const contents = await catFileBatch(gitDir, blobs.map((b) => b.id));
    blobs.forEach((b, i) => files.set(b.path, contents[i] ?? ''));
    return files;
  }

  /** A git dir holding `sha`: the repository itself when it is local, else a private fetch cache. */
  private async objectStore(repoURL: string, sha: string): Promise<string> {
    const local = this.localPath(repoURL);
    if (local) return localGitDir(local);
    const cache = join(this.cacheDir, createHash('sha1').update(repoURL).digest('hex').slice(0, 16));
    const key = `${cache}\0${sha}`;
    let ready = this.fetched.get(key);
    if (!ready) {
      ready = (async () => {
        if (!existsSync(join(cache, 'HEAD'))) {
          mkdirSync(cache, { recursive: true });
          await git(['init', '--bare', '-q', cache]);
        }
        const has = await git(['--git-dir', cache, 'cat-file', '-e', `${sha}^{commit}`]).then(
          () => true,
          () => false,
        );
        if (!has) {
          await git(['--git-dir', cache, 'fetch', '-q', '--no-tags', repoURL, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*']).catch(
            (err: Error) => {
              throw new GitReadError(`failed to fetch ${repoURL}: ${firstLine(err.message)}`);
            },
          );
        }
      })();
      this.fetched.set(key, ready);
      ready.catch(() => this.fetched.delete(key));
    }
    await ready;
    return cache;
  }

  private remote(repoURL: string): string {
    return this.localPath(repoURL) ?? repoURL;
  }

  private localPath(repoURL: string): string | undefined {
    const alias = this.aliases[repoURL] ?? this.aliases[repoURL.replace(/\.git$/, '')];
    const url = alias ?? repoURL;
    if (url.startsWith('file://')) return fileURLToPath(url);
    if (isAbsolute(url)) return url;
    if (url.startsWith('./') || url.startsWith('../')) return resolvePath(url);
    return undefined;
  }
}

/**
 * Branches and tags of a local repository from `HEAD`, loose refs and `packed-refs`, as
 * `ls-remote` would list them. Returns undefined for layouts it does not know (reftable).
 */
async function readRefFiles(gitDir: string): Promise<Map<string, string> | undefined> {
  if (existsSync(join(gitDir, 'reftable'))) return undefined;
  const refs = new Map<string, string>();
  const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  let last = '';
  for (const line of packed.split('\n')) {
    if (line.startsWith('^') && last) refs.set(`${last}^{}`, line.slice(1).trim());
    const m = /^([0-9a-f]{40}) (refs\/\S+)$/.exec(line);
    if (m) refs.set((last = m[2]!), m[1]!);
  }
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = await readdir(join(gitDir, dir), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const rel = `${prefix}/${e.name}`;
      if (e.isDirectory()) await walk(`${dir}/${e.name}`, rel);
      else {
        const sha = (await readFile(join(gitDir, dir, e.name), 'utf8').catch(() => '')).trim();
        if (SHA.test(sha)) refs.set(rel, sha);
      }
    }
  };
  await walk('refs/heads', 'refs/heads');
  await walk('refs/tags', 'refs/tags');
  const head = (await readFile(join(gitDir, 'HEAD'), 'utf8')).trim();
  const symbolic = /^ref: (\S+)$/.exec(head);
  const headSha = symbolic ? refs.get(symbolic[1]!) : SHA.test(head) ? head : undefined;
  if (headSha) refs.set('HEAD', headSha);
  return refs;
}

const gitDirs = new Map<string, Promise<string>>();

function localGitDir(path: string): Promise<string> {
  let dir = gitDirs.get(path);
  if (!dir) {
    dir = git(['-C', path, 'rev-parse', '--absolute-git-dir'])
      .then((out) => out.toString('utf8').trim())
      .catch((err: Error) => {
        gitDirs.delete(path);
        throw new GitReadError(`repository not accessible: ${path}: ${firstLine(err.message)}`);
      });
    gitDirs.set(path, dir);
  }
  return dir;
}

function git(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } },
      (err, stdout, stderr) => {
        if (err) reject(new GitReadError(stderr.toString('utf8').trim() || err.message));
        else resolve(stdout);
      },
    );
  });
}

function catFileBatch(gitDir: string, ids: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    // git may exit before reading all ids (e.g. the repository vanished); its exit code reports that.
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => {
      if (code !== 0) return reject(new GitReadError(stderr.trim() || `git cat-file exited ${code}`));
      const out = Buffer.concat(chunks);
      const result: string[] = [];
      let pos = 0;
      while (pos < out.length) {
        const nl = out.indexOf(0x0a, pos);
        const header = out.subarray(pos, nl).toString('utf8').split(' ');
        const size = Number(header[2]);
        if (header[1] === 'missing' || !Number.isFinite(size)) {
          result.push('');
          pos = nl + 1;
          continue;
        }
        result.push(out.subarray(nl + 1, nl + 1 + size).toString('utf8'));
        pos = nl + 1 + size + 1;
      }
      resolve(result);
    });
    child.stdin.end(ids.join('\n') + '\n');
  });
}

function normaliseDir(dir: string): string {
  return dir.replace(/^\.?\/+/, '').replace(/\/+$/, '').replace(/^\.$/, '');
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
