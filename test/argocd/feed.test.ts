// The watch feed's reconnect backoff: the schedule as a pure function, and the feed against a server that closes
// every stream after its first event (as a misconfigured proxy does). Counts, not timings, are asserted.
import { afterEach, describe, expect, it } from 'vitest';
import { ArgoCDClient } from '../../src/argocd/client.js';
import { ApplicationFeed, DEFAULT_RECONNECT, nextReconnect } from '../../src/argocd/feed.js';
import { app } from './fixtures.js';
import { startTestServer, type TestServer } from './http-server.js';

describe('#silent-resumable-stream: nextReconnect', () => {
  it('doubles for each short-lived connection in a row, up to the cap', () => {
    let shortLived = 0;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const next = nextReconnect(shortLived, 1_000);
      shortLived = next.shortLived;
      delays.push(next.delayMs);
    }
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
  });

  it('starts over only after a connection stayed up stableAfterMs, however many events a short one carried', () => {
    expect(nextReconnect(5, DEFAULT_RECONNECT.stableAfterMs)).toEqual({ shortLived: 0, delayMs: 500 });
    expect(nextReconnect(5, DEFAULT_RECONNECT.stableAfterMs - 1)).toEqual({ shortLived: 6, delayMs: 10_000 });
    expect(nextReconnect(0, 0)).toEqual({ shortLived: 1, delayMs: 500 });
    expect(nextReconnect(1, 0, { initialDelayMs: 20, maxDelayMs: 100, stableAfterMs: 50 })).toEqual({ shortLived: 2, delayMs: 40 });
  });
});

describe('#silent-resumable-stream: ApplicationFeed against a proxy that closes each stream after one event', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('backs off across connections instead of reconnecting at the initial delay after every event', async () => {
    let rv = 100;
    server = await startTestServer((req, res) => {
      if (req.path !== '/api/v1/stream/applications') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ result: { type: 'MODIFIED', application: app({ resourceVersion: String(rv++) }) } }) + '\n');
    });
    const client = new ArgoCDClient({ baseUrl: server.url, token: 'tok.en.x', insecure: false });
    // 20 ms to start with: resetting on each event would reconnect every 10-30 ms, some 60 times in the window below.
    const feed = new ApplicationFeed(client, 'myapp-staging', 'default', undefined, Date.now, {
      initialDelayMs: 20,
      maxDelayMs: 60_000,
      stableAfterMs: 60_000,
    });
    feed.start();
    await new Promise((r) => setTimeout(r, 1_500));
    await feed.stopped();
    const connects = server.requests.filter((r) => r.path === '/api/v1/stream/applications').length;
    // Doubling from 20 ms (jittered 0.5x-1.5x) leaves room for at most 8 connections in 1.5 s; a slow machine makes fewer.
    expect(connects).toBeGreaterThanOrEqual(2);
    expect(connects).toBeLessThanOrEqual(9);
    // Every connection but perhaps one cut short by stop() delivered its event.
    expect(feed.version).toBeGreaterThanOrEqual(connects - 1);
    // Each reconnect resumes from the last resourceVersion it saw.
    const resumed = server.requests.slice(1).map((r) => r.query.get('resourceVersion'));
    expect(resumed).toEqual(Array.from({ length: connects - 1 }, (_, i) => String(100 + i)));
  });
});
