// verifyDecision against the run's real dev server (the single-use register is real Temporal workflow IDs), real
// ssh-keygen and a real OpenID Provider.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkIdentityPrerequisites, createIdentityActivities } from '../../src/activities/identity.js';
import { parseWorkerConfig } from '../../src/config/worker-config/index.js';
import type { IdentityConfig } from '../../src/config/worker-config/identity.js';
import { canonicalStatement, signedAtOf } from '../../src/identity/decision-statement.js';
import { signStatement } from '../../src/identity/ssh-signature.js';
import type { Verification } from '../../src/identity/verified-identity.js';
import type { VerifyDecisionInput } from '../../src/workflows/contract.js';
import { fingerprintOf, makeKey, type TestKey } from '../support/ssh-keys.js';
import { startOpenIdProvider, type TestOpenIdProvider } from '../support/openid-provider.js';

let dir: string;
let alice: TestKey;
let idp: TestOpenIdProvider;
let client: Client;
let worker: Worker;
let running: Promise<void>;
let workerConnection: NativeConnection;
let identity: IdentityConfig;
const taskQueue = `identity-${randomUUID()}`;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  dir = await mkdtemp(join(tmpdir(), 'promenade-identity-'));
  alice = await makeKey(dir, 'alice');
  idp = await startOpenIdProvider({ accounts: { alice: { email: 'alice@example.com', name: 'Alice Example', groups: ['release-managers'] } } });
  identity = parseWorkerConfig(
    `identity:
  ssh:
    allowedSigners: |
      alice@example.com ${alice.publicKey} Alice Example
  oidc:
    - { issuer: "${idp.issuer}", audience: promenade, groupsClaim: groups, for: [approvers] }
`,
    { source: 'test', env: {} },
  ).identity!;
  const address = inject('temporalAddress');
  client = new Client({ connection: await Connection.connect({ address }), namespace: 'default' });
  workerConnection = await NativeConnection.connect({ address });
  worker = await Worker.create({ connection: workerConnection, namespace: 'default', taskQueue, workflowBundle: { codePath: inject('workflowBundlePath') } });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await workerConnection?.close();
  await client?.connection.close();
  await idp?.close();
  await rm(dir, { recursive: true, force: true });
});

const run = (input: VerifyDecisionInput, activityId = randomUUID(), config: IdentityConfig | undefined = identity): Promise<Verification> => {
  const activities = createIdentityActivities({ identity: config, client, taskQueue, activityId: () => activityId });
  return activities.verifyDecision(input);
};

const decision = (over: Partial<Extract<VerifyDecisionInput, { purpose: 'decision' }>> = {}) => ({
  purpose: 'decision' as const,
  promotionId: `promote:myapp:nginx:${randomUUID()}`,
  runId: randomUUID(),
  gate: 'prod',
  image: 'nginx:1.25',
  decision: 'approve' as const,
  comment: 'ok',
  ...over,
});

describe('verifyDecision', () => {
  it('verifies an SSH-signed decision: the principal, its display name and key', async () => {
    const d = decision();
    const signedAt = signedAtOf(new Date());
    const signature = await signStatement(canonicalStatement({ ...d, signedAt }), { file: alice.file });
    expect(await run({ ...d, approver: 'mallory', credential: { kind: 'ssh', signature, signedAt } })).toEqual({
      verified: true,
      identity: { mechanism: 'ssh', subject: 'alice@example.com', displayName: 'Alice Example', email: 'alice@example.com', fingerprint: await fingerprintOf(alice), groups: [] },
    });
  });

  it('refuses a signature whose time is in the future, and a malformed time', async () => {
    const d = decision();
    const signedAt = signedAtOf(new Date(Date.now() + 3600_000));
    const signature = await signStatement(canonicalStatement({ ...d, signedAt }), { file: alice.file });
    expect(await run({ ...d, credential: { kind: 'ssh', signature, signedAt } })).toMatchObject({ verified: false, reason: /is in the future/ });
    expect(await run({ ...d, credential: { kind: 'ssh', signature, signedAt: 'yesterday' } })).toMatchObject({ verified: false, reason: /signedAt must be a UTC time/ });
  });

  it('verifies an ID token once, with the token\'s groups', async () => {
    const token = await idp.idToken('alice');
    const d = decision();
    expect(await run({ ...d, credential: { kind: 'oidc', token } })).toEqual({
      verified: true,
      identity: { mechanism: 'oidc', subject: 'alice@example.com', displayName: 'Alice Example', email: 'alice@example.com', issuer: idp.issuer, groups: ['release-managers'] },
    });
  });

  it('refuses a token replayed in the same promotion and in another, but lets the same activity retry', async () => {
    const token = await idp.idToken('alice');
    const d = decision();
    const first = randomUUID();
    expect((await run({ ...d, credential: { kind: 'oidc', token } }, first)).verified).toBe(true);
    // The same activity retried (a worker died before the result was recorded) is not a second use.
    expect((await run({ ...d, credential: { kind: 'oidc', token } }, first)).verified).toBe(true);
    expect(await run({ ...d, decision: 'reject', credential: { kind: 'oidc', token } })).toMatchObject({
      verified: false,
      reason: expect.stringMatching(new RegExp(`already used \\(by ${d.promotionId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, approve at prod\\)`)),
    });
    expect(await run({ ...decision(), credential: { kind: 'oidc', token } })).toMatchObject({ verified: false, reason: /already used/ });
  });

  it('refuses a requester token from an issuer trusted only for approvers, without using it up', async () => {
    const token = await idp.idToken('alice');
    expect(await run({ purpose: 'request', promotionId: 'p', runId: 'r', credential: { kind: 'oidc', token } })).toMatchObject({ verified: false, reason: /not trusted to vouch for requesters/ });
    expect((await run({ ...decision(), credential: { kind: 'oidc', token } })).verified).toBe(true);
  });

  it('refuses every credential on a worker without identities, and unknown credential kinds', async () => {
    const d = decision();
    expect(await run({ ...d, credential: { kind: 'oidc', token: 'x' } }, undefined, undefined)).toMatchObject({ verified: false, reason: /verifies no identities \(no identity section in its configuration file\)$/ });
    // A requester's token comes unasked from CI: the refusal says how to stop sending it.
    expect(await run({ purpose: 'request', promotionId: 'p', runId: 'r', credential: { kind: 'oidc', token: 'x' } }, undefined, undefined)).toMatchObject({
      verified: false,
      reason: /verifies no identities .*: trust your CI's issuer for requesters there, or stop sending one \(drop id-token: write/,
    });
    expect(await run({ ...d, credential: { kind: 'password', secret: 'x' } as never })).toMatchObject({ verified: false, reason: /credential must be/ });
    expect(await run({ ...d, credential: { kind: 'ssh', signature: 'x', signedAt: 'y' } }, undefined, { ...identity, ssh: undefined })).toMatchObject({ verified: false, reason: /no approvers' SSH keys/ });
  });
});

describe('identity prerequisites at worker start', () => {
  it('passes when the namespace keeps closed workflows longer than tokens are accepted', async () => {
    await expect(checkIdentityPrerequisites(identity, client, 'default')).resolves.toBeUndefined();
  });

  it('stops the worker when the single-use register would forget tokens that are still acceptable', async () => {
    const long = { ...identity, oidc: identity.oidc.map((o) => ({ ...o, maxTokenAgeSeconds: 400 * 24 * 3600 })) };
    await expect(checkIdentityPrerequisites(long, client, 'default')).rejects.toThrow(/keeps closed workflows for \d+s, but ID tokens are accepted for up to 34560060s/);
  });
});
