import { posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { GitSource } from './git-source.js';
import type { ApplicationSource, Manifest } from './types.js';

export class RenderError extends Error {}

interface ImageOverride {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

const rendered = new WeakMap<GitSource, Map<string, Promise<Manifest[]>>>();

/**
 * Renders the manifests an Application source describes at one commit. A commit never
 * changes, so results are memoised per source and SHA; callers get their own copy.
 */
export async function renderSource(git: GitSource, source: ApplicationSource, sha: string): Promise<Manifest[]> {
  let cache = rendered.get(git);
  if (!cache) rendered.set(git, (cache = new Map()));
  const key = JSON.stringify([source.repoURL, source.path ?? '', source.kustomize ?? null, source.directory ?? null, sha]);
  let result = cache.get(key);
  if (!result) {
    result = renderUncached(git, source, sha);
    cache.set(key, result);
    result.catch(() => cache.delete(key));
    if (cache.size > 5000) cache.delete(cache.keys().next().value!);
  }
  return structuredClone(await result);
}

async function renderUncached(git: GitSource, source: ApplicationSource, sha: string): Promise<Manifest[]> {
  const dir = posix.normalize(source.path ?? '.').replace(/^\.$/, '').replace(/\/$/, '');
  const manifests = await renderDir(git, source.repoURL, sha, dir, source, 0);
  const appImages = (source.kustomize?.images ?? []).map(parseImageOverrideString);
  if (appImages.length) for (const m of manifests) applyImages(m, appImages);
  return manifests;
}

async function renderDir(
  git: GitSource,
  repoURL: string,
  sha: string,
  dir: string,
  source: ApplicationSource,
  depth: number,
): Promise<Manifest[]> {
  if (depth > 10) throw new RenderError(`kustomize: resource nesting too deep at ${dir}`);
  const files = await git.files(repoURL, sha, dir);
  const prefix = dir === '' ? '' : `${dir}/`;
  const direct = [...files.keys()].filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/'));
  if (direct.length === 0 && [...files.keys()].every((p) => !p.startsWith(prefix))) {
    throw new RenderError(`${dir || '.'}: app path does not exist`);
  }
  const kustomization = KUSTOMIZATION_FILES.map((f) => prefix + f).find((f) => files.has(f));
  if (kustomization) return renderKustomization(git, repoURL, sha, dir, files, kustomization, source, depth);

  const recurse = Boolean((source.directory as { recurse?: boolean } | undefined)?.recurse);
  const candidates = (recurse ? [...files.keys()] : direct).filter((p) => /\.(ya?ml|json)$/i.test(p)).sort();
  const out: Manifest[] = [];
  for (const path of candidates) out.push(...parseManifests(files.get(path) ?? '', path));
  return out;
}

async function renderKustomization(
  git: GitSource,
  repoURL: string,
  sha: string,
  dir: string,
  files: Map<string, string>,
  kustomizationPath: string,
  source: ApplicationSource,
  depth: number,
): Promise<Manifest[]> {
  const docs = parseAllDocuments(files.get(kustomizationPath) ?? '');
  const spec = (docs[0]?.toJS() ?? {}) as {
    resources?: string[];
    bases?: string[];
    images?: ImageOverride[];
    namespace?: string;
    namePrefix?: string;
    nameSuffix?: string;
    commonLabels?: Record<string, string>;
    labels?: Array<{ pairs?: Record<string, string> }>;
  };
  const out: Manifest[] = [];
  for (const entry of [...(spec.resources ?? []), ...(spec.bases ?? [])]) {
    if (/^[a-z]+:\/\//i.test(entry)) throw new RenderError(`kustomize: remote resources are not supported: ${entry}`);
    const target = posix.normalize(posix.join(dir, entry)).replace(/\/$/, '');
    if (target.startsWith('..')) throw new RenderError(`kustomize: ${entry} is outside the repository`);
    if (files.has(target)) {
      out.push(...parseManifests(files.get(target)!, target));
    } else {
      // Either a directory (another kustomization or plain manifests) or a file outside `dir`.
      const parent = posix.dirname(target) === '.' ? '' : posix.dirname(target);
      const siblings = await git.files(repoURL, sha, parent);
      if (siblings.has(target)) out.push(...parseManifests(siblings.get(target)!, target));
      else out.push(...(await renderDir(git, repoURL, sha, target, { ...source, directory: undefined }, depth + 1)));
    }
  }
  const labels = { ...(spec.commonLabels ?? {}), ...Object.assign({}, ...(spec.labels ?? []).map((l) => l.pairs ?? {})) };
  for (const m of out) {
    if (spec.namespace && m.kind !== 'Namespace') m.metadata.namespace = spec.namespace;
    if (spec.namePrefix || spec.nameSuffix) m.metadata.name = `${spec.namePrefix ?? ''}${m.metadata.name}${spec.nameSuffix ?? ''}`;
    if (Object.keys(labels).length) m.metadata.labels = { ...((m.metadata.labels as object) ?? {}), ...labels };
    if (spec.images?.length) applyImages(m, spec.images);
  }
  return out;
}

export function parseManifests(text: string, path: string): Manifest[] {
  const out: Manifest[] = [];
  const docs = path.endsWith('.json') ? [{ toJS: () => JSON.parse(text), errors: [] }] : parseAllDocuments(text);
  for (const doc of docs as Array<{ toJS(): unknown; errors: Array<{ message: string }> }>) {
    if (doc.errors.length) throw new RenderError(`failed to unmarshal ${path}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as Record<string, unknown> | null;
    const items = value && value.kind === 'List' && Array.isArray(value.items) ? (value.items as unknown[]) : [value];
    for (const item of items) {
      const obj = item as Manifest | null;
      // Files that are not Kubernetes objects (config files, values) are skipped, as Argo CD does.
      if (!obj || typeof obj !== 'object' || typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') continue;
      if (!obj.metadata || typeof obj.metadata.name !== 'string') {
        throw new RenderError(`${path}: ${obj.kind} has no metadata.name`);
      }
      out.push(obj);
    }
  }
  return out;
}

/** `nginx=nginx:1.21`, `nginx:1.21` or `nginx@sha256:..` as in `spec.source.kustomize.images`. */
function parseImageOverrideString(text: string): ImageOverride {
  const eq = text.indexOf('=');
  const name = eq >= 0 ? text.slice(0, eq) : splitImage(text).name;
  const target = splitImage(eq >= 0 ? text.slice(eq + 1) : text);
  return { name, newName: target.name, newTag: target.tag, digest: target.digest };
}

export function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const rest = at >= 0 ? image.slice(0, at) : image;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) return { name: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
  return { name: rest, digest };
}

function applyImages(node: unknown, overrides: ImageOverride[]): void {
  if (Array.isArray(node)) {
    for (const item of node) applyImages(item, overrides);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  for (const key of ['containers', 'initContainers']) {
    const list = obj[key];
    if (!Array.isArray(list)) continue;
    for (const c of list as Array<{ image?: string }>) {
      if (typeof c.image !== 'string') continue;
      const current = splitImage(c.image);
      const o = overrides.find((x) => x.name === current.name);
      if (!o) continue;
      const name = o.newName ?? current.name;
      if (o.digest) c.image = `${name}@${o.digest}`;
      else if (o.newTag) c.image = `${name}:${o.newTag}`;
      else c.image = `${name}${current.tag ? `:${current.tag}` : ''}${current.digest ? `@${current.digest}` : ''}`;
    }
  }
  for (const value of Object.values(obj)) if (value && typeof value === 'object') applyImages(value, overrides);
}
