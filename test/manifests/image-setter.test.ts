import { describe, expect, it } from 'vitest';
import { readImage, setImage } from '../../src/manifests/image-setter.js';
import type { ImageSetter } from '../../src/config/pipeline.js';

const SHA = 'b'.repeat(64);

// The seed layout's manifest, with comments and odd layout that must survive byte for byte.
const deployment = `# myapp in dev — owned by team-a
apiVersion: apps/v1
kind: Deployment
metadata:
  name: myapp
  namespace: dev   # keep in sync with the Application
spec:
  replicas: 1
  selector:
    matchLabels:
      app: myapp
  template:
    metadata:
      labels:
        app: myapp
    spec:
      initContainers:
      - name: migrate
        image: "nginx:1.19"   # runs first
      containers:
      - name: myapp
        image: nginx:1.19 # bumped by promenade
        ports:
        - containerPort: 80
      - name: sidecar
        image: 'envoy:1.30'
`;

const container = (name: string): ImageSetter => ({ kind: 'container', file: 'dev/myapp/deployment.yaml', container: name });

describe('container image', () => {
  it('changes only the image scalar, keeping comments and layout', () => {
    const { text, previousImage, changed } = setImage(deployment, container('myapp'), 'nginx:1.21');
    expect(changed).toBe(true);
    expect(previousImage).toBe('nginx:1.19');
    expect(text).toBe(deployment.replace('image: nginx:1.19 #', 'image: nginx:1.21 #'));
    expect(readImage(text, container('myapp'))).toBe('nginx:1.21');
  });

  it('keeps the quoting style of the scalar it edits', () => {
    expect(setImage(deployment, container('migrate'), 'nginx:1.21').text).toBe(deployment.replace('"nginx:1.19"', '"nginx:1.21"'));
    expect(setImage(deployment, container('sidecar'), `envoy@sha256:${SHA}`).text).toBe(deployment.replace("'envoy:1.30'", `'envoy@sha256:${SHA}'`));
  });

  it('is a no-op when the image is already there', () => {
    const once = setImage(deployment, container('myapp'), 'nginx:1.21').text;
    const twice = setImage(once, container('myapp'), 'nginx:1.21');
    expect(twice).toEqual({ text: once, previousImage: 'nginx:1.21', changed: false });
  });

  it('finds containers in every workload kind of a multi-document file', () => {
    const text = `apiVersion: batch/v1
kind: CronJob
metadata: { name: report }
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{ name: myapp, image: nginx:1.19 }]
---
# the pod
apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  containers:
    - name: other
      image: busybox:1
---
kind: StatefulSet
spec:
  template:
    spec:
      containers:
        - name: myapp
          image: nginx:1.19
`;
    const edit = setImage(text, container('myapp'), 'ghcr.io/acme/myapp:2.0.0');
    expect(edit.text).toBe(text.replaceAll('nginx:1.19', 'ghcr.io/acme/myapp:2.0.0'));
    expect(setImage(text, container('other'), 'busybox:2').text).toBe(text.replace('busybox:1', 'busybox:2'));
  });

  it('names the file and the containers it found when the container is missing', () => {
    expect(() => setImage(deployment, container('web'), 'nginx:1.21')).toThrow('dev/myapp/deployment.yaml: no container "web" (found: myapp, sidecar, migrate)');
    expect(() => setImage('kind: ConfigMap\ndata: {}\n', container('web'), 'nginx:1')).toThrow('no container "web" (found: no workload with containers)');
    try {
      setImage(deployment, container('web'), 'nginx:1.21');
    } catch (error) {
      expect((error as { type: string }).type).toBe('InvalidConfig');
      expect((error as { nonRetryable: boolean }).nonRetryable).toBe(true);
    }
  });

  it('refuses a manifest that is not YAML and an image that is not a reference', () => {
    expect(() => setImage('a: [unclosed', container('myapp'), 'nginx:1')).toThrow('dev/myapp/deployment.yaml: not valid YAML');
    expect(() => setImage(deployment, container('myapp'), 'nginx:1 ; rm -rf /')).toThrow('is not a valid OCI image reference');
  });
});

describe('kustomize image', () => {
  const setter: ImageSetter = { kind: 'kustomize', file: 'staging/myapp/kustomization.yaml', name: 'myapp' };
  const kustomization = `resources:
  - deployment.yaml
images:
  # pinned by promenade
  - name: myapp
    newName: registry.example.com/mirror/myapp # mirror
    newTag: "1.19"
  - name: other
    newTag: v1
`;

  it('sets newTag in place and keeps newName', () => {
    const edit = setImage(kustomization, setter, 'myapp:1.21');
    expect(edit.previousImage).toBe('registry.example.com/mirror/myapp:1.19');
    expect(edit.text).toBe(kustomization.replace('newTag: "1.19"', 'newTag: "1.21"'));
    expect(readImage(edit.text, setter)).toBe('registry.example.com/mirror/myapp:1.21');
    expect(setImage(edit.text, setter, 'myapp:1.21').changed).toBe(false);
  });

  it('sets a digest, adds a missing entry, and sets newName when the image moved', () => {
    const pinned = setImage(kustomization, setter, `myapp:1.21@sha256:${SHA}`);
    expect(readImage(pinned.text, setter)).toBe(`registry.example.com/mirror/myapp:1.21@sha256:${SHA}`);
    expect(pinned.text).toContain('# pinned by promenade');

    const added = setImage(kustomization, { ...setter, name: 'api' }, 'ghcr.io/acme/api:3');
    expect(added.previousImage).toBeUndefined();
    expect(readImage(added.text, { ...setter, name: 'api' })).toBe('ghcr.io/acme/api:3');
    expect(readImage(added.text, setter)).toBe('registry.example.com/mirror/myapp:1.19');

    const fresh = setImage('resources: [deployment.yaml]\n', setter, 'myapp:1');
    expect(readImage(fresh.text, setter)).toBe('myapp:1');
  });
});

describe('helm values image', () => {
  const values = `# values for prod
replicaCount: 3
image:
  repository: nginx   # upstream
  tag: "1.19"
  pullPolicy: IfNotPresent
app:
  image: nginx:1.19
`;
  const tagSetter: ImageSetter = { kind: 'helm', file: 'prod/myapp/values.yaml', key: 'image.tag', value: 'tag' };
  const refSetter: ImageSetter = { kind: 'helm', file: 'prod/myapp/values.yaml', key: 'app.image', value: 'reference' };

  it('sets only the tag, quoted so 1.20 stays a string', () => {
    const edit = setImage(values, tagSetter, 'nginx:1.20');
    expect(edit.previousImage).toBe('nginx:1.19');
    expect(edit.text).toBe(values.replace('tag: "1.19"', 'tag: "1.20"'));
    const plain = setImage(values.replace('"1.19"', 'v1'), tagSetter, 'nginx:1.20');
    expect(plain.text).toBe(values.replace('tag: "1.19"', 'tag: "1.20"'));
    expect(setImage(values, tagSetter, 'nginx:1.19').changed).toBe(false);
  });

  it('sets a whole reference', () => {
    const edit = setImage(values, refSetter, 'nginx:1.21');
    expect(edit.text).toBe(values.replace('image: nginx:1.19', 'image: nginx:1.21'));
    expect(readImage(edit.text, refSetter)).toBe('nginx:1.21');
  });

  it('refuses a missing key and a digest-only image for a tag key', () => {
    expect(() => setImage(values, { ...tagSetter, key: 'image.version' }, 'nginx:1')).toThrow('prod/myapp/values.yaml: no scalar value at image.version');
    expect(() => setImage(values, tagSetter, `nginx@sha256:${SHA}`)).toThrow('takes a tag');
  });
});
