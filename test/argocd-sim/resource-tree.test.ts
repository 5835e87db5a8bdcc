// The simulator's resource tree and its stream against Argo CD's swagger and the behaviour seen on a real v3.6:
// Pods under their ReplicaSet under the Deployment, health by gitops-engine's pod rules, info as Argo CD fills it,
// restarts counted while a container crash-loops, and a stream that says nothing while the tree is quiet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployment, settled, sleep, startLab } from './seed-lab.js';
import { definition, responseSchema, shapeProblems } from './swagger-shape.js';

type Node = {
  kind: string;
  name: string;
  uid: string;
  parentRefs?: Array<{ kind: string; name: string; uid: string }>;
  health?: { status?: string; message?: string };
  info?: Array<{ name: string; value: string }>;
  images?: string[];
};
const info = (n: Node, name: string) => n.info?.find((i) => i.name === name)?.value;

describe('resource tree', () => {
  let lab: Awaited<ReturnType<typeof startLab>>;
  beforeAll(async () => {
    lab = await startLab({ progressDeadlineMs: 600_000, crashBackoffMs: 200 }, ['staging']);
    await lab.client.sync('myapp-staging');
    await lab.client.waitSyncedHealthy('myapp-staging');
  });
  afterAll(() => lab?.close());

  const tree = async () => {
    const r = await lab.client.call('GET', '/api/v1/applications/myapp-staging/resource-tree');
    expect(r.status).toBe(200);
    return r.body as { nodes: Node[] };
  };

  it('has the swagger shape: Deployment without parent, ReplicaSet with Revision, Pods with parentRefs, images and info', async () => {
    const body = await tree();
    expect(shapeProblems(body, responseSchema('/api/v1/applications/{applicationName}/resource-tree'))).toEqual([]);
    const dep = body.nodes.find((n) => n.kind === 'Deployment')!;
    expect(dep).toMatchObject({ name: 'myapp', health: { status: 'Healthy' } });
    expect(dep.parentRefs).toBeUndefined();
    const rs = body.nodes.filter((n) => n.kind === 'ReplicaSet');
    expect(rs).toHaveLength(1);
    expect(rs[0]!.parentRefs).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'myapp', uid: dep.uid })]);
    expect(info(rs[0]!, 'Revision')).toBe('Rev:1');
    const pods = body.nodes.filter((n) => n.kind === 'Pod');
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.parentRefs).toEqual([expect.objectContaining({ kind: 'ReplicaSet', name: rs[0]!.name, uid: rs[0]!.uid })]);
      expect(pod.health).toEqual({ status: 'Healthy' });
      expect(pod.images).toEqual(['nginx:1.19']);
      expect(info(pod, 'Status Reason')).toBe('Running');
      expect(info(pod, 'Containers')).toBe('1/1');
      expect(info(pod, 'Restart Count')).toBeUndefined();
    }
  });

  it('a crash-looping image: new pods Degraded with CrashLoopBackOff and restarts that grow; old pods stay', async () => {
    lab.sim.faults.failImages('nginx:9.1', 'crash');
    lab.repo.write('staging/myapp/deployment.yaml', deployment('staging', 2, 'nginx:9.1'));
    lab.repo.push('staging: crashing image');
    await lab.client.sync('myapp-staging');
    await lab.client.waitFor('myapp-staging', (a) => settled(a) && a.status.operationState?.phase === 'Succeeded');
    let crashing: Node | undefined;
    for (let i = 0; i < 200 && !(crashing && Number(info(crashing, 'Restart Count')) >= 3); i++) {
      await sleep(50);
      crashing = (await tree()).nodes.find((n) => n.kind === 'Pod' && n.images?.includes('nginx:9.1'));
    }
    expect(crashing, 'a crash-looping pod with 3 restarts').toBeDefined();
    expect(crashing!.health?.status).toBe('Degraded');
    expect(crashing!.health?.message).toMatch(/^back-off \d+s restarting failed container=myapp pod=/);
    expect(info(crashing!, 'Status Reason')).toBe('CrashLoopBackOff');
    expect(info(crashing!, 'Containers')).toBe('0/1');
    const body = await tree();
    expect(shapeProblems(body, responseSchema('/api/v1/applications/{applicationName}/resource-tree'))).toEqual([]);
    const sets = body.nodes.filter((n) => n.kind === 'ReplicaSet');
    expect(sets.map((s) => info(s, 'Revision')).sort()).toEqual(['Rev:1', 'Rev:2']);
    const newSet = sets.find((s) => info(s, 'Revision') === 'Rev:2')!;
    expect(crashing!.parentRefs?.[0]?.uid).toBe(newSet.uid);
    const old = body.nodes.filter((n) => n.kind === 'Pod' && n.images?.includes('nginx:1.19'));
    expect(old.length).toBeGreaterThan(0);
    for (const pod of old) expect(pod.health?.status).toBe('Healthy');
    // The Application itself does not turn Degraded before the progress deadline: that is what fail-fast is for.
    expect((await lab.client.app('myapp-staging')).body.status.health.status).toBe('Progressing');
  });

  it('image pull failures are Degraded; an init container crash-loop is only Progressing, named Init:CrashLoopBackOff', async () => {
    lab.sim.faults.reset();
    lab.sim.faults.failImages('nginx:9.2', 'pull');
    lab.sim.faults.failImages('nginx:9.3', 'init-crash');
    const podOf = async (image: string, reason: string) => {
      for (let i = 0; i < 200; i++) {
        const pod = (await tree()).nodes.find((n) => n.kind === 'Pod' && n.images?.includes(image) && /BackOff|ErrImagePull/.test(info(n, 'Status Reason') ?? ''));
        if (pod && info(pod, 'Status Reason') === reason) return pod;
        await sleep(50);
      }
      throw new Error(`no pod of ${image} with ${reason}: ${JSON.stringify((await tree()).nodes.filter((n) => n.kind === 'Pod'))}`);
    };
    lab.repo.write('staging/myapp/deployment.yaml', deployment('staging', 2, 'nginx:9.2'));
    lab.repo.push('staging: unpullable image');
    await lab.client.sync('myapp-staging');
    const pulling = await podOf('nginx:9.2', 'ImagePullBackOff');
    expect(pulling.health).toEqual({ status: 'Degraded', message: 'Back-off pulling image "nginx:9.2"' });

    lab.repo.write('staging/myapp/deployment.yaml', deployment('staging', 2, 'nginx:9.3'));
    lab.repo.push('staging: init container crashes');
    await lab.client.waitFor('myapp-staging', (a) => settled(a));
    await lab.client.sync('myapp-staging');
    const init = await podOf('nginx:9.3', 'Init:CrashLoopBackOff');
    expect(init.health?.status).toBe('Progressing');
    expect(info(init, 'Containers')).toBe('0/1');
    for (let i = 0; i < 100 && !(Number(info(init, 'Restart Count')) >= 2); i++) {
      await sleep(50);
      Object.assign(init, (await tree()).nodes.find((n) => n.uid === init.uid));
    }
    expect(Number(info(init, 'Restart Count'))).toBeGreaterThanOrEqual(2);
  });

  it('the stream sends nothing while the tree is quiet, then the changed tree under `result`', async () => {
    lab.sim.faults.reset();
    lab.repo.write('staging/myapp/deployment.yaml', deployment('staging', 2, 'nginx:1.19'));
    lab.repo.push('staging: back to good');
    await lab.client.sync('myapp-staging');
    await lab.client.waitSyncedHealthy('myapp-staging', undefined, 20_000);
    await sleep(300);
    const abort = new AbortController();
    const res = await fetch(`${lab.sim.url}/api/v1/stream/applications/myapp-staging/resource-tree`, {
      headers: { Authorization: `Bearer ${lab.client.token}` },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    const lines: string[] = [];
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
            lines.push(buffer.slice(0, nl));
            buffer = buffer.slice(nl + 1);
          }
        }
      } catch {
        /* aborted */
      }
    })();
    await sleep(1000);
    expect(lines, 'no initial snapshot, nothing while quiet').toEqual([]);
    lab.sim.faults.drift({ app: 'myapp-staging', replicas: 3 });
    for (let i = 0; i < 100 && lines.length === 0; i++) await sleep(50);
    abort.abort();
    expect(lines.length).toBeGreaterThan(0);
    const streamSchema = responseSchema('/api/v1/stream/applications/{applicationName}/resource-tree');
    for (const line of lines) expect(shapeProblems(JSON.parse(line), streamSchema)).toEqual([]);
    expect(JSON.parse(lines.at(-1)!).result.nodes.some((n: Node) => n.kind === 'Pod')).toBe(true);
  });

  it('an unknown application is refused like the rest of the API, on the GET and on the stream', async () => {
    const get = await lab.client.call('GET', '/api/v1/applications/nope/resource-tree');
    expect(get.status).toBe(403);
    expect(shapeProblems(get.body, definition('runtimeError'))).toEqual([]);
    const stream = await lab.client.call('GET', '/api/v1/stream/applications/nope/resource-tree?project=default');
    expect(stream.status).toBe(404);
    expect(shapeProblems(stream.body.error, definition('runtimeStreamError'))).toEqual([]);
  });
});
