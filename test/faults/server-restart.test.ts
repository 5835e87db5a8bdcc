// Scenario 2: the Temporal server itself restarts (a dev server of this file's own, on a SQLite file) while
// promotions wait for approval and while they wait for Argo CD: every one resumes and finishes, once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/stack/dev-server.js';
import { freePort } from '../../src/stack/ports.js';
import { approveSignal } from '../../src/workflows/messages.js';
import type { PromotionEnvironment } from '../support/promotion-environment.js';
import { count, recordFigures } from './figures.js';
import { auditLedger, createServicesEnvironment, outcomeOf, promenadeCommits, remoteTip, sleep, until } from './support.js';

const AT_APPROVAL = ['t-gate-1', 't-gate-2'];
const AT_ARGOCD = ['t-sync-1', 't-sync-2'];
const RESTARTS = 2;

let env: PromotionEnvironment;
let server: DevServer;
let dataDir: string;
let port: number;
let worker: ChildProcess;

const startServer = () => startDevServer({ cliPath: inject('temporalCli'), port, dbFilename: join(dataDir, 'temporal.db'), headless: true });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'promenade-restart-'));
  port = await freePort();
  server = await startServer();
  env = await createServicesEnvironment(
    [...AT_APPROVAL, ...AT_ARGOCD],
    [
      { name: 'dev', automated: false },
      { name: 'prod', automated: false, pipeline: '{ name: prod, approval: { approvers: [alice], required: 1, timeout: 30m }, soak: 2s }' },
    ],
    { temporalAddress: server.address },
  );
  worker = env.spawnWorker();
}, 180_000);
afterAll(async () => {
  await env?.close();
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function restartServer() {
  await server.stop();
  await sleep(2000);
  server = await startServer();
  // A worker that gave up on the server while it was away is replaced; a live one reconnects by itself.
  if (worker.exitCode !== null || worker.signalCode !== null) worker = env.spawnWorker();
}

describe('Temporal server restart', () => {
  it('promotions waiting for approval and for Argo CD resume and finish', async () => {
    const started = Date.now();
    const startTip = await remoteTip(env);
    const image = (app: string) => `registry.example.com/${app}:5.0.0`;
    const gated = await Promise.all(AT_APPROVAL.map((app) => env.promote({ app, image: image(app) })));
    for (const h of gated) await env.waitForState(h.workflowId, ['awaiting-approval'], 180_000);

    // Hold Argo CD so the next two are stuck in dev-sync's wait, their commit pushed, when the server goes.
    env.sim.faults.pauseController(true);
    const waiting = await Promise.all(AT_ARGOCD.map((app) => env.promote({ app, image: image(app) })));
    await until('dev-sync commits of the waiting promotions', async () => {
      const commits = await promenadeCommits(env, startTip);
      return waiting.every((h) => commits.some((c) => c.promotion === h.workflowId && c.stage === 'dev-sync'));
    }, 120_000);

    await restartServer();
    env.sim.faults.pauseController(false);
    for (const h of gated) await h.signal(approveSignal, { approver: 'alice' });
    for (const h of waiting) await env.waitForState(h.workflowId, ['awaiting-approval'], 180_000);

    // Second restart: the first two are now in prod's wait or soak, the last two at their gate.
    await restartServer();
    for (const h of waiting) await h.signal(approveSignal, { approver: 'alice' });

    const all = [...gated, ...waiting];
    const outcomes = await Promise.all(all.map((h) => outcomeOf(env, h.workflowId)));
    const audit = await auditLedger(env, new Map(all.map((h) => [h.workflowId, ['dev-sync', 'prod-promote']])), startTip);
    recordFigures({
      scenario: '2 Temporal server restart',
      promotions: all.length,
      faults: { 'server restart': RESTARTS },
      outcomes: count(outcomes.map((o) => o.state)),
      duplicates: audit.duplicates,
      lostUpdates: audit.missing,
      notes: 'dev server on SQLite; promotions at approval and in Argo CD waits',
      durationMs: Date.now() - started,
    });
    expect(outcomes.map((o) => `${o.state} ${o.failure?.message ?? ''}`.trim())).toEqual(all.map(() => 'promoted'));
    expect(audit.mismatched).toEqual([]);
    for (const app of [...AT_APPROVAL, ...AT_ARGOCD]) expect(env.deployedImage('prod', app)).toBe(image(app));
  }, 420_000);
});
