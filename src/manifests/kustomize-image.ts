// An `images:` entry of a kustomization.yaml, matched by `name`: the tag goes to `newTag`, the digest to `digest`,
// and an existing `newName` (a registry mirror, say) is kept. A missing entry is added.
import { isMap, isScalar, isSeq, type Document, type Scalar, type YAMLMap } from 'yaml';
import { TERMINAL, terminal } from '../failures.js';
import { formatImageReference, type ImageReference } from '../config/image-reference.js';
import { parseManifests, replaceScalar } from './manifest-text.js';

export function readKustomizeImage(text: string, file: string, name: string): string | undefined {
  const { entry } = findEntry(text, file, name);
  return entry ? describe(entry, name) : undefined;
}

export function setKustomizeImage(text: string, file: string, name: string, image: ImageReference): { text: string; previousImage?: string } {
  const { doc, entry } = findEntry(text, file, name);
  const wanted: Record<string, string | undefined> = { newTag: image.tag, digest: image.digest };
  if (entry && entry.get('newName') === undefined && image.name !== name) wanted.newName = image.name;
  if (!entry && image.name !== name) wanted.newName = image.name;

  if (entry) {
    const previousImage = describe(entry, name);
    const scalars = Object.entries(wanted).map(([key, value]) => ({ key, value, node: entry.get(key, true) }));
    // Only values that already exist as scalars: splice the text so nothing else moves.
    if (scalars.every(({ value, node }) => (value === undefined ? node === undefined : isScalar(node)))) {
      let edited = text;
      const changes = scalars.filter(({ value, node }) => value !== undefined && (node as Scalar).value !== value);
      for (const { value, node } of changes.sort((a, b) => (b.node as Scalar).range![0] - (a.node as Scalar).range![0])) {
        edited = replaceScalar(edited, node as Scalar, value!);
      }
      return { text: edited, previousImage };
    }
    for (const [key, value] of Object.entries(wanted)) {
      if (value === undefined) entry.delete(key);
      else entry.set(key, value);
    }
    return { text: doc.toString(), previousImage };
  }

  const added: Record<string, string> = { name };
  for (const [key, value] of Object.entries(wanted)) if (value !== undefined) added[key] = value;
  const images = doc.get('images', true);
  if (isSeq(images)) images.add(doc.createNode(added));
  else doc.set('images', doc.createNode([added]));
  return { text: doc.toString() };
}

function findEntry(text: string, file: string, name: string): { doc: Document.Parsed; entry?: YAMLMap } {
  const docs = parseManifests(text, file);
  const doc = docs[0];
  if (!doc || docs.length > 1 || (doc.contents !== null && !isMap(doc.contents))) {
    throw terminal(TERMINAL.invalidConfig, `${file}: not a kustomization (expected one YAML mapping)`);
  }
  const images = doc.get('images', true);
  if (images !== undefined && !isSeq(images)) throw terminal(TERMINAL.invalidConfig, `${file}: images is not a list`);
  const entry = images?.items.find((item): item is YAMLMap => isMap(item) && item.get('name') === name);
  return entry ? { doc, entry } : { doc };
}

function describe(entry: YAMLMap, name: string): string {
  const text = (key: string) => {
    const node = entry.get(key, true);
    if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
    // An unquoted `newTag: 1.10` is the number 1.1 to YAML; the tag is what was written.
    return typeof node.value === 'string' ? node.value : (node.source ?? String(node.value));
  };
  return formatImageReference({ name: text('newName') ?? name, tag: text('newTag'), digest: text('digest') });
}
