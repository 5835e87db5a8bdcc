import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedApplication, sleep, startLab } from './seed-lab.js';

interface Watch {
  status: number;
  contentType: string | null;
  chunks: string[];
  events(): any[];
  waitFor(check: (e: any) => boolean, timeoutMs?: number): Promise<any>;
  close(): void;
}

async function watch(url: string, token: string | undefined, headers: Record<string, string> = {}): Promise<Watch> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers }, signal: abort.signal });
  const chunks: string[] = [];
  const sse = (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
  let wake: (() => void) | undefined;
  void (async () => {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        chunks.push(decoder.decode(value, { stream: true }));
        wake?.();
      }
    } catch {
      /* aborted */
    }
  })();
  const events = () => {
    const text = chunks.join('');
    if (sse) return text.split('\n\n').filter((f) => f.startsWith('data: ')).map((f) => JSON.parse(f.slice(6)).result);
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l).result);
  };
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    chunks,
    events,
    async waitFor(check, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = events().find(check);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no matching event in ${JSON.stringify(events().map((e) => e.type))}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
    },
    close: () => abort.abort(),
  };
}

describe('#silent-resumable-stream: GET /api/v1/stream/applications', () => {
  let lab: Awaited<ReturnType<typeof startLab>>;
  const open: Watch[] = [];
  const stream = async (query: string, headers: Record<string, string> = {}, token: string | undefined = lab.client.token) => {
    const w = await watch(`${lab.sim.url}/api/v1/stream/applications${query}`, token, headers);
    open.push(w);
    return w;
  };
  beforeAll(async () => {
    lab = await startLab(
      { sseKeepaliveMs: 150, tokens: [{ token: 'dev-only', subject: 'dev', policies: [{ action: 'get', object: 'default/myapp-dev' }] }] },
      ['dev', 'staging'],
    );
    await lab.client.waitSyncedHealthy('myapp-dev');
  });
  afterAll(async () => {
    for (const w of open) w.close();
    await lab.close();
  });

  it('NDJSON: ADDED first, MODIFIED as the sync progresses, no identical consecutive payloads, no keepalive', async () => {
    const w = await stream('?name=myapp-staging');
    expect(w.status).toBe(200);
    expect(w.contentType).toBe('application/json');
    const first = await w.waitFor(() => true);
    expect(first.type).toBe('ADDED');
    expect(first.application.metadata.name).toBe('myapp-staging');
    const t0 = Date.now();
    expect((await lab.client.sync('myapp-staging')).status).toBe(200);
    const accepted = await w.waitFor((e) => e.type === 'MODIFIED' && e.application.operation);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(accepted.application.status.operationState).toBeUndefined();
    await w.waitFor((e) => e.application.status.operationState?.phase === 'Running');
    await w.waitFor((e) => e.application.status.operationState?.phase === 'Succeeded');
    await w.waitFor((e) => e.application.status.health?.status === 'Healthy' && e.application.status.sync.status === 'Synced' && !e.application.operation);
    await sleep(400);
    const events = w.events();
    expect(events.slice(1).every((e) => e.type === 'MODIFIED')).toBe(true);
    const payloads = events.map((e) => JSON.stringify(e));
    for (let i = 1; i < payloads.length; i++) expect(payloads[i]).not.toBe(payloads[i - 1]);
    const versions = events.map((e) => Number(e.application.metadata.resourceVersion));
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(w.chunks.join('')).not.toMatch(/^:/m);
    expect(events.every((e) => e.application.metadata.name === 'myapp-staging')).toBe(true);
  });

  it('SSE framing with a ":" keepalive when asked for text/event-stream', async () => {
    const w = await stream('?name=myapp-dev', { Accept: 'text/event-stream' });
    expect(w.contentType).toBe('text/event-stream');
    await w.waitFor((e) => e.type === 'ADDED');
    await sleep(400);
    const text = w.chunks.join('');
    expect(text.startsWith('data: {"result":{"type":"ADDED"')).toBe(true);
    expect(text).toMatch(/\n\n:\n\n/);
    await lab.client.app('myapp-dev', '?refresh=normal');
    await w.waitFor((e) => e.type === 'MODIFIED');
  });

  it('skips missing and forbidden apps silently, then follows one once it exists', async () => {
    const missing = await stream('?name=late');
    const forbidden = await stream('?name=myapp-staging', {}, 'dev-only');
    expect([missing.status, forbidden.status]).toEqual([200, 200]);
    await lab.client.app('myapp-staging', '?refresh=normal');
    await sleep(300);
    expect(missing.events()).toEqual([]);
    expect(forbidden.events()).toEqual([]);
    const created = await lab.client.call('POST', '/api/v1/applications', { ...seedApplication('prod'), metadata: { name: 'late' } });
    expect(created.status).toBe(200);
    const added = await missing.waitFor(() => true);
    expect([added.type, added.application.metadata.name]).toEqual(['ADDED', 'late']);
    await lab.client.call('DELETE', '/api/v1/applications/late');
    await missing.waitFor((e) => e.type === 'DELETED');
  });

  it('reports an error before the first event as a stream error body', async () => {
    const res = await fetch(`${lab.sim.url}/api/v1/stream/applications?name=myapp-dev`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { grpc_code: 16, http_code: 401, message: 'no session information', http_status: 'Unauthorized' },
    });
  });

  it('resumes with resourceVersion: a named watch restarts with ADDED, an unnamed one only with changes', async () => {
    const current = (await lab.client.app('myapp-dev')).body.metadata.resourceVersion;
    const named = await stream(`?name=myapp-dev&resourceVersion=${current}`);
    const all = await stream(`?resourceVersion=${current}`);
    const everything = await stream('');
    expect((await named.waitFor(() => true)).type).toBe('ADDED');
    await everything.waitFor((e) => e.application.metadata.name === 'myapp-staging');
    expect(everything.events().filter((e) => e.type === 'ADDED').map((e) => e.application.metadata.name).sort()).toEqual(['myapp-dev', 'myapp-staging']);
    await lab.client.app('myapp-staging', '?refresh=hard');
    const change = await all.waitFor((e) => e.application.metadata.name === 'myapp-staging');
    expect(change.type).toBe('MODIFIED');
    // Without a name, resuming from a resourceVersion replays nothing: only changes arrive.
    expect(all.events().filter((e) => e.type === 'ADDED')).toEqual([]);
    expect(Math.min(...all.events().map((e) => Number(e.application.metadata.resourceVersion)))).toBeGreaterThan(Number(current));
  });
});
