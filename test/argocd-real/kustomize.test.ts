// A Kustomize-layout app: each environment is a kustomization whose `images:` entry promenade edits; Argo CD's
// repo-server renders it with the real kustomize binary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDeployment } from '../../src/bootstrap/seed-layout.js';
import { createRealPromotionEnvironment, liveImage, livePods, realLane, type RealPromotionEnvironment } from './environment.js';

const APP = 'lane-kustomize';
const REPLICAS = { dev: 1, staging: 2, prod: 3 } as const;
let env: RealPromotionEnvironment;

const kustomization = (tag: string) => `resources:
  - deployment.yaml
images:
  - name: ${APP}
    newName: nginx
    newTag: "${tag}"
`;

beforeAll(async () => {
  env = await createRealPromotionEnvironment(APP, {
    layout: async (repo) => {
      for (const [name, replicas] of Object.entries(REPLICAS)) {
        // The Deployment names the image by the kustomization's placeholder; kustomize substitutes it.
        await repo.commitFile(`${name}/${APP}/deployment.yaml`, seedDeployment(APP, name, replicas, APP), `${name}: deployment`);
        await repo.commitFile(`${name}/${APP}/kustomization.yaml`, kustomization(name === 'prod' ? '1.20' : '1.19'), `${name}: kustomization`);
      }
    },
    pipeline: `apps:
  ${APP}:
    environments:
${Object.keys(REPLICAS)
  .map((name) => `      - name: ${name}\n        image: { kustomize: "{app}", file: kustomization.yaml }${name === 'prod' ? '\n        approval: false\n        soak: 2s' : ''}`)
  .join('\n')}
`,
  });
});
afterAll(async () => env?.close());

describe('a Kustomize layout against a real Argo CD', () => {
  it('bootstraps from the kustomizations, then promotes by editing newTag in each environment', async () => {
    expect(await liveImage('prod', APP)).toBe('nginx:1.20');
    const handle = await env.promote({ image: 'nginx:1.25.3' });
    const done = await env.waitForState(handle.workflowId, ['promoted', 'rejected', 'expired', 'superseded', 'rolled-back', 'rollback-failed'], 120_000);
    expect(done.state, JSON.stringify(done.stages)).toBe('promoted');
    const result = await handle.result();
    expect(result.state).toBe('promoted');
    for (const name of Object.keys(REPLICAS)) {
      expect(await env.repo.read(`${name}/${APP}/kustomization.yaml`)).toBe(kustomization('1.25.3'));
      expect(await liveImage(name, APP)).toBe('nginx:1.25.3');
    }
    await expect.poll(async () => (await livePods('prod', APP)).map((p) => `${p.spec.containers[0].image} ${p.status.phase}`), { timeout: 30_000 }).toEqual(Array(3).fill('nginx:1.25.3 Running'));
    // Argo CD detected the layout itself: the app's source type is Kustomize.
    const prod = (await (await realLane().client()).getApplication(`${APP}-prod`, { project: 'default' })) as { status?: { sourceType?: string } };
    expect(prod.status?.sourceType).toBe('Kustomize');
  });
});
