// The image of a named container in workload manifests: Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
// CronJob, Pod, in any document of a multi-document file, among `containers` and `initContainers`.
import { isMap, isScalar, isSeq, type Document, type Scalar, type YAMLMap } from 'yaml';
import { TERMINAL, terminal } from '../failures.js';
import { parseManifests, replaceScalar } from './manifest-text.js';

const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};
const TEMPLATE_POD_SPEC = ['spec', 'template', 'spec'];

export function readContainerImage(text: string, file: string, container: string): string {
  return findImageNodes(text, file, container)[0]!.value as string;
}

export function setContainerImage(text: string, file: string, container: string, image: string): { text: string; previousImage: string } {
  const nodes = findImageNodes(text, file, container);
  const previousImage = nodes[0]!.value as string;
  // Splice from the end so earlier offsets stay valid.
  let edited = text;
  for (const node of [...nodes].sort((a, b) => b.range![0] - a.range![0])) {
    if (node.value !== image) edited = replaceScalar(edited, node, image);
  }
  return { text: edited, previousImage };
}

function findImageNodes(text: string, file: string, container: string): Scalar[] {
  const found: Scalar[] = [];
  const names = new Set<string>();
  for (const doc of parseManifests(text, file)) {
    const podSpec = podSpecOf(doc);
    if (!podSpec) continue;
    for (const list of ['containers', 'initContainers']) {
      const containers = podSpec.get(list, true);
      if (!isSeq(containers)) continue;
      for (const item of containers.items) {
        if (!isMap(item)) continue;
        const name = item.get('name');
        if (typeof name === 'string') names.add(name);
        if (name !== container) continue;
        const image = item.get('image', true);
        if (!isScalar(image) || typeof image.value !== 'string') {
          throw terminal(TERMINAL.invalidConfig, `${file}: container "${container}" has no image string to set`);
        }
        found.push(image as Scalar);
      }
    }
  }
  if (found.length === 0) {
    const seen = [...names];
    throw terminal(TERMINAL.invalidConfig, `${file}: no container "${container}" (found: ${seen.length ? seen.join(', ') : 'no workload with containers'})`);
  }
  return found;
}

function podSpecOf(doc: Document.Parsed): YAMLMap | undefined {
  const kind = doc.get('kind');
  const path = (typeof kind === 'string' && POD_SPEC_PATHS[kind]) || TEMPLATE_POD_SPEC;
  const node = doc.getIn(path, true);
  return isMap(node) ? node : undefined;
}
