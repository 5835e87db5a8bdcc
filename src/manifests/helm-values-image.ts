// A key of a Helm values file, by dotted path: `image.tag` takes only the tag, `image` (value: reference) the
// whole reference. The key must already exist: its place in the chart's values is the chart's decision.
import { isMap, isScalar, type Scalar } from 'yaml';
import { TERMINAL, terminal } from '../failures.js';
import type { ImageReference } from '../config/image-reference.js';
import { parseManifests, replaceScalar } from './manifest-text.js';

export function readHelmValuesImage(text: string, file: string, key: string, value: 'tag' | 'reference'): string {
  const { node, parent } = findKey(text, file, key);
  const current = String(node.source ?? node.value);
  if (value === 'reference') return current;
  // The previous image of a tag-only key is only restorable as a reference if the chart names its repository.
  const repository = parent.get('repository');
  return typeof repository === 'string' ? `${repository}:${current}` : current;
}

export function setHelmValuesImage(
  text: string,
  file: string,
  key: string,
  value: 'tag' | 'reference',
  image: ImageReference,
): { text: string; previousImage: string } {
  const previousImage = readHelmValuesImage(text, file, key, value);
  const { node } = findKey(text, file, key);
  let wanted = image.reference;
  if (value === 'tag') {
    // A bare `1.2.3` (as readImage returns when the chart has no repository key) parses as a name: it is the tag.
    const bare = image.tag === undefined && image.digest === undefined;
    if (!bare && image.tag === undefined) throw terminal(TERMINAL.invalidConfig, `${file}: ${key} takes a tag, but ${image.reference} has only a digest`);
    wanted = bare ? image.reference : image.tag!;
  }
  const current = String(node.source ?? node.value);
  return { text: current === wanted && typeof node.value === 'string' ? text : replaceScalar(text, node, wanted), previousImage };
}

function findKey(text: string, file: string, key: string): { node: Scalar; parent: import('yaml').YAMLMap } {
  const docs = parseManifests(text, file);
  const doc = docs[0];
  if (!doc || !isMap(doc.contents)) throw terminal(TERMINAL.invalidConfig, `${file}: not a Helm values mapping`);
  const path = key.split('.');
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const node = isMap(parent) ? parent.get(path.at(-1)!, true) : undefined;
  if (!isMap(parent) || !isScalar(node) || node.value === null || typeof node.value === 'object') {
    throw terminal(TERMINAL.invalidConfig, `${file}: no scalar value at ${key}`);
  }
  return { node, parent };
}
