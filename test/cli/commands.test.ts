// promote, status, list, approve and reject through the real entry point, against the run's Temporal dev
// server, a real git remote and the Argo CD simulator; outputs and exit codes are the contract.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Http2Server } from 'node:http2';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { freePort } from '../../src/stack/ports.js';
import { createPromotionEnvironment, labPipeline, type PromotionEnvironment } from '../support/promotion-environment.js';
import { expectOneLine, runCli, runInProcess } from './run-cli.js';

// Two of three approvers, like the lab's policy; a timeout long enough for a loaded CI machine.
const PIPELINE = labPipeline({ approvers: ['alice', 'bob', 'carol'], required: 2, timeout: '10m', soak: '1s' });

const exec = promisify(execFile);
let env: PromotionEnvironment;
let cliEnv: NodeJS.ProcessEnv;
// Unique per run: the IDs are derived from app and image, and the dev server is shared by every test file.
const tag = randomUUID().slice(0, 8);

beforeAll(async () => {
  env = await createPromotionEnvironment({ pipeline: PIPELINE });
  await env.startWorker();
  cliEnv = { ...env.workerEnv, PROMENADE_UI_URL: inject('temporalUiUrl'), GITHUB_ACTOR: '', GITLAB_USER_LOGIN: '', USER: 'ci-bot' };
});
afterAll(async () => env?.close());

describe('bad input is refused before anything is contacted', () => {
  const cases: Array<[string[], RegExp]> = [
    [['promote', '--app', 'myapp'], /--image is required/],
    [['promote', '--app', 'MyApp', '--image', 'nginx:1'], /input\.app/],
    [['promote', '--app', 'myapp', '--image', 'nginx:1', '--meta', 'novalue'], /--meta takes key=value/],
    [['approve', 'promote:myapp:nginx:1'], /--by is required/],
    [['status'], /usage: promenade status <promotion-id>/],
    [['list', '--state', 'waiting'], /--state must be one of .*awaiting-approval/],
    [['bootstrap', '--app', 'myapp'], /--repo is required/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ];
  it('exit 2 and a line that says what is wrong', async () => {
    // An address nothing listens on: a command that contacted it would fail with "cannot reach" instead.
    for (const [args, message] of cases) {
      const run = await runInProcess(args, { ...cliEnv, TEMPORAL_ADDRESS: '127.0.0.1:1', ARGOCD_SERVER: 'http://127.0.0.1:1' });
      expect(run.code, args.join(' ')).toBe(EXIT.usage);
      expect(run.stderr).toMatch(message);
    }
    // And once through the real entry point: the exit code and stderr a shell sees.
    const run = await runCli(cases[0]![0], { ...cliEnv, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(run.code).toBe(EXIT.usage);
    expect(expectOneLine(run.stderr)).toMatch(cases[0]![1]);
  });
});

describe('connection problems: one line and a distinct exit code', () => {
  let fakeServer: Http2Server | undefined;
  afterAll(() => fakeServer?.close());

  it('unreachable Temporal', async () => {
    const run = await runCli(['status', 'promote:myapp:nginx:1'], { ...cliEnv, TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
    expect(run.code).toBe(EXIT.unreachable);
    expect(expectOneLine(run.stderr)).toMatch(/^promenade status: cannot reach Temporal at 127\.0\.0\.1:\d+ \(namespace default\)/);
  });

  it('bad credentials (the server answers UNAUTHENTICATED)', async () => {
    // A gRPC endpoint that refuses every call the way Temporal Cloud refuses a wrong API key.
    fakeServer = createServer((req, res) => {
      req.resume();
      res.stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'Request unauthorized.' }, { endStream: true });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => fakeServer!.listen(port, '127.0.0.1', resolve));
    const run = await runCli(['list'], { ...cliEnv, TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_API_KEY: 'wrong', TEMPORAL_TLS: 'false' });
    expect(run.code).toBe(EXIT.unauthorized);
    expect(expectOneLine(run.stderr)).toMatch(/refused our credentials \(Request unauthorized\.\); check TEMPORAL_API_KEY/);
  });

  it('unknown promotion, unknown namespace', async () => {
    const status = await runCli(['status', `promote:myapp:nginx:0.0.${tag}`], cliEnv);
    const approve = await runInProcess(['approve', `promote:myapp:nginx:0.0.${tag}`, '--by', 'alice'], cliEnv);
    const namespace = await runInProcess(['list'], { ...cliEnv, TEMPORAL_NAMESPACE: `nope-${tag}` });
    expect(status.code).toBe(EXIT.notFound);
    expect(expectOneLine(status.stderr)).toBe(`promenade status: no promotion "promote:myapp:nginx:0.0.${tag}" in Temporal at ${env.workerEnv.TEMPORAL_ADDRESS} (namespace default); \`promenade list\` shows the known ones`);
    expect(approve.code).toBe(EXIT.notFound);
    expect(namespace.code).toBe(EXIT.usage);
    expect(expectOneLine(namespace.stderr)).toMatch(/namespace "nope-.*" does not exist/);
  });
});

describe('a promotion from CI to prod, decided on the command line', () => {
  it('promote --wait follows every stage; list, status, approve; exit 0', async () => {
    const image = `nginx:1.27.${tag}`;
    const id = `promote:myapp:${image}`;
    const promoting = runCli(['promote', '--app', 'myapp', '--image', image, '--wait', '--meta', 'pipeline=42'], cliEnv);
    await env.waitForState(id, ['awaiting-approval']);

    const status = await runCli(['status', id], cliEnv);
    const list = await runInProcess(['list', '--app', 'myapp', '--state', 'awaiting-approval', '--json'], cliEnv);
    const statusJson = await runInProcess(['status', id, '--json'], cliEnv);
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as Array<{ workflowId: string; state: string; app: string; image: string }>;
    expect(rows).toContainEqual(expect.objectContaining({ workflowId: id, state: 'awaiting-approval', app: 'myapp', image }));
    expect(rows.every((r) => r.state === 'awaiting-approval' && r.app === 'myapp')).toBe(true);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^${id.replace(/[.]/g, '\\.')}: awaiting-approval at approval$`, 'm'));
    expect(status.stdout).toMatch(/^ {2}dev-sync +succeeded {2}commit [0-9a-f]{12}, synced [0-9a-f]{12}$/m);
    expect(status.stdout).toMatch(/^ {2}gate approval \(prod\): open, 0 of \d approval\(s\) from .+, identity asserted$/m);
    expect(status.stdout).toContain(`waiting for: approval (0 so far): promenade approve '${id}' --by <name>`);
    expect(status.stdout).toContain(`${inject('temporalUiUrl')}/namespaces/default/workflows/${encodeURIComponent(id)}`);
    const parsed = JSON.parse(statusJson.stdout);
    expect(parsed).toMatchObject({ workflowId: id, state: 'awaiting-approval', app: 'myapp', image, requestedBy: 'ci-bot' });
    expect(parsed.waitingFor).toMatch(/^approval/);

    const mallory = await runInProcess(['approve', id, '--by', 'mallory'], cliEnv);
    expect(mallory.code).toBe(EXIT.refused);
    expect(expectOneLine(mallory.stderr)).toBe('promenade approve: approve refused: mallory is not an allowed approver');
    const alice = await runCli(['approve', id, '--by', 'alice', '--comment', 'ship it'], cliEnv);
    expect(alice.code).toBe(0);
    expect(alice.stdout.trim()).toBe(`approved ${id} as alice (1/2 approvals)`);
    const bob = await runCli(['approve', id, '--by', 'bob'], cliEnv);
    expect(bob.stderr).toBe('');
    expect(bob.stdout.trim()).toBe(`approved ${id} as bob (2/2 approvals)`);

    const run = await promoting;
    expect(run.code).toBe(EXIT.ok);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe(`promotion ${id} started`);
    expect(lines[1]).toMatch(new RegExp(`^  ${inject('temporalUiUrl')}/namespaces/default/workflows/${encodeURIComponent(id).replace(/[.]/g, '\\.')}/[0-9a-f-]{36}/history$`));
    // Plain lines in a log (no TTY): elapsed time, the transition, no spinner escape codes.
    expect(run.stdout).not.toMatch(/\x1b|\r/);
    const transitions = lines.slice(2, -1).map((l) => l.replace(/^\[ *\d+(m\d+)?s\] /, '').replace(/ \(commit [0-9a-f]{12}\)$/, ''));
    // A stage that starts and ends between two polls shows only its end, so "running" lines are optional;
    // every end, and the order, are not.
    const expected = [
      'dev-sync running',
      'dev-sync succeeded',
      'staging-promote running',
      'staging-promote succeeded',
      'approval running',
      `waiting for approval: promenade approve '${id}' --by <name>`,
      'approval succeeded',
      'prod-promote running',
      'prod-promote succeeded',
      'verify-health running',
      'verify-health succeeded',
    ];
    expect(transitions.filter((t) => !t.endsWith(' running'))).toEqual(expected.filter((t) => !t.endsWith(' running')));
    expect(transitions).toEqual(expected.filter((t) => transitions.includes(t)));
    expect(lines.at(-1)).toBe(`promotion ${id}: promoted`);
    expect(env.deployedImage('prod')).toBe(image);

    const late = await runInProcess(['approve', id, '--by', 'carol'], cliEnv);
    expect(late.code).toBe(EXIT.refused);
    expect(expectOneLine(late.stderr)).toMatch(/promotion .* has ended \(completed\)/);
  });

  it('a rejection: --json gives one result object, exit 3', async () => {
    const image = `nginx:1.28.${tag}`;
    const id = `promote:myapp:${image}`;
    const promoting = runCli(['promote', '--app', 'myapp', '--image', image, '--wait', '--json'], cliEnv);
    await env.waitForState(id, ['awaiting-approval']);
    // The README's plain Temporal CLI equivalents, exactly as written there.
    const temporal = (...args: string[]) => exec(inject('temporalCli'), [...args, '--address', env.workerEnv.TEMPORAL_ADDRESS!]);
    const queried = JSON.parse((await temporal('workflow', 'query', '--workflow-id', id, '--name', 'status', '--output', 'json')).stdout);
    expect(JSON.stringify(queried)).toContain('"awaiting-approval"');
    await temporal('workflow', 'signal', '--workflow-id', id, '--name', 'reject', '--input', '{"approver":"carol","comment":"not this week"}');
    const run = await promoting;
    expect(run.code).toBe(EXIT.rejected);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]!);
    expect(result).toMatchObject({ workflowId: id, state: 'rejected', link: expect.stringMatching(/\/history$/) });
    expect(result.status.rejections).toMatchObject([{ approver: 'carol', comment: 'not this week' }]);
  });

  it('a failure after a commit is rolled back: exit 6 with the reason', async () => {
    const image = `nginx:9.0.${tag}-broken`;
    env.sim.faults.failImages(image);
    try {
      const run = await runCli(['promote', '--app', 'myapp', '--image', image, '--wait'], cliEnv);
      expect(run, run.stderr).toMatchObject({ code: EXIT.rolledBack });
      expect(run.stdout).toMatch(/dev-sync failed/);
      expect(run.stderr.trim()).toMatch(/^promotion promote:myapp:nginx:9\.0\..*-broken: rolled-back: dev-sync failed: .*; rolled back dev \([0-9a-f]{12}\)$/);
    } finally {
      env.sim.faults.reset();
    }
  });

  it('promote without --wait prints the ID and link and returns at once; list shows it', async () => {
    const image = `nginx:1.29.${tag}`;
    const run = await runCli(['promote', '--app', 'myapp', '--image', image, '--json'], cliEnv);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ workflowId: `promote:myapp:${image}`, state: 'started' });
    await env.waitForState(`promote:myapp:${image}`, ['awaiting-approval']);
    const list = await runInProcess(['list', '--app', 'myapp', '--state', 'awaiting-approval'], cliEnv);
    expect(list.stdout).toMatch(new RegExp(`^promote:myapp:nginx:1\\.29\\.${tag} +awaiting-approval +\\d{4}-`, 'm'));
    const rejected = await runCli(['reject', `promote:myapp:${image}`, '--by', 'alice', '--comment', 'wrong tag'], cliEnv);
    expect(rejected.code).toBe(0);
    expect(rejected.stdout.trim()).toBe(`rejected promote:myapp:${image} as alice (0/2 approvals)`);
  });
});
