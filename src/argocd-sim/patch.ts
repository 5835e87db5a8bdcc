import { invalidArgument } from './api-error.js';

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

interface JsonPatchOp {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

/** RFC 6902 JSON patch. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw invalidArgument('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let root = structuredClone(doc);
  for (const raw of ops as JsonPatchOp[]) {
    switch (raw.op) {
      case 'add':
        root = put(root, raw.path, structuredClone(raw.value), true);
        break;
      case 'replace':
        get(root, raw.path);
        root = put(root, raw.path, structuredClone(raw.value), false);
        break;
      case 'remove':
        root = remove(root, raw.path);
        break;
      case 'copy':
        root = put(root, raw.path, structuredClone(get(root, raw.from ?? '')), true);
        break;
      case 'move': {
        const value = get(root, raw.from ?? '');
        root = put(remove(root, raw.from ?? ''), raw.path, value, true);
        break;
      }
      case 'test':
        if (JSON.stringify(get(root, raw.path)) !== JSON.stringify(raw.value)) throw invalidArgument(`testing value ${raw.path} failed: test failed`);
        break;
      default:
        throw invalidArgument(`Unexpected kind: ${raw.op}`);
    }
  }
  return root;
}

function tokens(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw invalidArgument(`JSON pointer must be empty or start with a "/": ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function get(root: unknown, path: string): unknown {
  let node = root;
  for (const t of tokens(path)) {
    if (node === null || typeof node !== 'object' || !(t in (node as object))) {
      throw invalidArgument(`doc is missing path: "${path}": missing value`);
    }
    node = (node as Record<string, unknown>)[t];
  }
  return node;
}

function put(root: unknown, path: string, value: unknown, insert: boolean): unknown {
  const ts = tokens(path);
  if (ts.length === 0) return value;
  const parent = get(root, pointer(ts.slice(0, -1))) as
    | Record<string, unknown>
    | unknown[];
  const last = ts[ts.length - 1]!;
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw invalidArgument(`add operation does not apply: doc is missing path: "${path}"`);
    if (insert) parent.splice(index, 0, value);
    else parent[index] = value;
  } else if (parent && typeof parent === 'object') {
    parent[last] = value;
  } else {
    throw invalidArgument(`doc is missing path: "${path}"`);
  }
  return root;
}

function remove(root: unknown, path: string): unknown {
  const ts = tokens(path);
  get(root, path);
  const parent = get(root, pointer(ts.slice(0, -1)));
  const last = ts[ts.length - 1]!;
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete (parent as Record<string, unknown>)[last];
  return root;
}

function pointer(ts: string[]): string {
  return ts.map((t) => '/' + t.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}
