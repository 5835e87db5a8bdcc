// Verified identities end to end: the real dev server, the Argo CD simulator, a real git remote, real ssh-keygen and
// a real OpenID Provider. A gate with `identity: verified` counts only decisions whose credential verifies, and the
// prod commit names who approved with the proof. Groups come from the policy section (policy.groups) or, for a
// token, from its issuer's groups claim.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWorkerConfig } from '../../src/config/worker-config/index.js';
import { canonicalStatement, signedAtOf, type DecisionStatement } from '../../src/identity/decision-statement.js';
import { signStatement } from '../../src/identity/ssh-signature.js';
import type { Credential } from '../../src/identity/verified-identity.js';
import { approveSignal, decideUpdate, statusQuery } from '../../src/workflows/messages.js';
import { createPromotionEnvironment, promotionCommits, recordHistory, type PromotionEnvironment } from '../support/promotion-environment.js';
import { fingerprintOf, makeKey, type TestKey } from '../support/ssh-keys.js';
import { startOpenIdProvider, type TestOpenIdProvider } from '../support/openid-provider.js';

let dir: string;
let keys: Record<'alice' | 'bob' | 'carol' | 'erin' | 'stranger', TestKey>;
let idp: TestOpenIdProvider;
let env: PromotionEnvironment;
let strict: PromotionEnvironment;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promenade-verified-'));
  const names = ['alice', 'bob', 'carol', 'erin', 'stranger'] as const;
  keys = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await makeKey(dir, n)]))) as typeof keys;
  idp = await startOpenIdProvider({
    accounts: {
      alice: { email: 'alice@example.com', name: 'Alice Example' },
      bob: { email: 'bob@example.com', name: 'Bob' },
      dave: { email: 'dave@example.com', name: 'Dave' },
      frank: { email: 'frank@example.com', name: 'Frank', groups: ['release-managers'] },
    },
    clients: ['promenade', 'another-app'],
  });
  const signers = (['alice', 'bob', 'carol', 'erin'] as const).map((n) => `${n}@example.com ${keys[n].publicKey} ${n[0].toUpperCase()}${n.slice(1)}`).join('\n      ');
  env = await createPromotionEnvironment({
    pipeline: `apps:
  myapp:
    environments:
      - dev
      - staging
      - name: prod
        approval: { approvers: [group:sre, carol@example.com, group:release-managers], required: 2, timeout: 120s, identity: verified }
        soak: 0s
`,
  });
  env.settings.workerConfig = parseWorkerConfig(
    `policy:
  groups: { sre: [alice@example.com, bob@example.com], release-managers: [] }
identity:
  ssh:
    allowedSigners: |
      ${signers}
  oidc:
    - { issuer: "${idp.issuer}", audience: promenade, groupsClaim: groups }
`,
    { source: 'test', env: {} },
  );
  await env.startWorker();
  // A second deployment whose operators require verified requesters and trust the provider only for them.
  strict = await createPromotionEnvironment({
    pipeline: `apps:
  myapp:
    environments: [dev, staging, prod]
  gated:
    environments: [dev, staging, { name: prod, approval: { identity: verified } }]
`,
  });
  strict.settings.workerConfig = parseWorkerConfig(
    `identity:\n  oidc:\n    - { issuer: "${idp.issuer}", audience: promenade, for: [requesters] }\n  requester: verified\n`,
    { source: 'test', env: {} },
  );
  await strict.startWorker();
}, 180_000);
afterAll(async () => {
  await env?.close();
  await strict?.close();
  await idp?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Decision {
  decision: 'approve' | 'reject';
  approver: string;
  comment?: string;
  credential?: Credential;
}

async function signed(handle: WorkflowHandle, key: TestKey, over: Partial<DecisionStatement> = {}, approver = 'someone'): Promise<Decision> {
  const { runId } = await handle.describe();
  const status = await handle.query(statusQuery);
  const statement: DecisionStatement = {
    promotionId: handle.workflowId,
    runId,
    // The open gate's name (its stage), as promenade approve reads it from the status.
    gate: status.gates!.find((g) => g.state === 'open')!.gate,
    image: status.image,
    decision: 'approve',
    comment: 'looks good',
    signedAt: signedAtOf(new Date()),
    ...over,
  };
  const signature = await signStatement(canonicalStatement(statement), { file: key.file });
  // What is sent is always an approval of this promotion at prod: only the signed statement differs.
  return { decision: 'approve', approver, comment: 'looks good', credential: { kind: 'ssh', signature, signedAt: statement.signedAt } };
}

const refusedBy = async (handle: WorkflowHandle, decision: Decision): Promise<string> => {
  try {
    await handle.executeUpdate(decideUpdate, { args: [decision] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return err.cause?.message ?? err.message;
    throw err;
  }
  throw new Error('the decision was accepted');
};

describe('a gate that requires verified identities', () => {
  it('counts only decisions whose credential verifies, names the proof in the prod commit, and refuses a replayed token', async () => {
    const requesterToken = await idp.idToken('dave');
    const handle = await env.promote({ app: 'myapp', image: 'nginx:1.40.0', requestedBy: 'dave', requesterIdToken: requesterToken });
    await env.waitForState(handle.workflowId, ['awaiting-approval'], 90_000);
    expect((await handle.query(statusQuery)).requester).toMatchObject({ mechanism: 'oidc', subject: 'dave@example.com', issuer: idp.issuer });
    // The Web UI tells an approver how to send a decision this gate can count.
    expect((await handle.query(workflowMetadataQuery)).currentDetails).toContain('paste what `promenade approve --print` prints into signal `approve`');

    // Asserted names count for nothing here.
    expect(await refusedBy(handle, { decision: 'approve', approver: 'alice@example.com' })).toMatch(/gate approval counts only verified decisions/);
    // A forged name: a key that is not an approver's, sent as alice.
    expect(await refusedBy(handle, await signed(handle, keys.stranger, {}, 'alice@example.com'))).toMatch(/not in the worker's allowed signers/);
    // Alice's real signature, made for something else.
    for (const other of [{ promotionId: 'promote:myapp:nginx:1.39.0' }, { gate: 'staging' }, { image: 'nginx:1.41.0' }, { decision: 'reject' as const }]) {
      expect(await refusedBy(handle, await signed(handle, keys.alice, other))).toMatch(/signature by alice@example.com is not for this decision/);
    }
    // A key in the allowed signers whose principal is neither in group:sre nor listed.
    expect(await refusedBy(handle, await signed(handle, keys.erin, {}, 'carol@example.com'))).toMatch(/erin@example.com \(ssh SHA256:.*\) is not an allowed approver/);

    // Alice, whatever name she types, is alice; and she counts once under any number of names.
    const first = await handle.executeUpdate(decideUpdate, { args: [await signed(handle, keys.alice, {}, 'bob@example.com')] });
    expect(first).toMatchObject({ approvals: 1, required: 2 });
    const again = await handle.executeUpdate(decideUpdate, { args: [await signed(handle, keys.alice, {}, 'alice-second-name')] });
    expect(again).toMatchObject({ approvals: 1 });

    // Bob logs in at the identity provider; the token is sent as a signal, as the Web UI would.
    const bobToken = await idp.idToken('bob');
    await handle.signal(approveSignal, { approver: 'bob', comment: 'dashboards green', credential: { kind: 'oidc', token: bobToken } });
    const result = await handle.result();
    expect(result.state).toBe('promoted');
    expect(result.status.approvals).toEqual([
      expect.objectContaining({ approver: 'alice@example.com', gate: 'approval', identity: 'verified', proof: expect.objectContaining({ mechanism: 'ssh', fingerprint: await fingerprintOf(keys.alice) }) }),
      expect.objectContaining({ approver: 'bob@example.com', gate: 'approval', identity: 'verified', proof: expect.objectContaining({ mechanism: 'oidc', issuer: idp.issuer }) }),
    ]);
    expect(result.status.gates?.[0]).toMatchObject({ gate: 'approval', state: 'approved', identity: 'verified' });
    // The update's validator refused the asserted one before it reached history; the rest were checked and recorded.
    expect(result.status.refused.map((r) => r.mechanism)).toEqual(['ssh', 'ssh', 'ssh', 'ssh', 'ssh', 'ssh']);
    const prod = (await promotionCommits(env, handle.workflowId)).find((c) => c.stage === 'prod-promote')!;
    expect(prod.body).toContain(`Approved-by: Alice <alice@example.com> (ssh ${await fingerprintOf(keys.alice)}; looks good)`);
    expect(prod.body).toContain(`Approved-by: Bob <bob@example.com> (oidc ${idp.issuer}; dashboards green)`);
    expect(prod.body).toContain(`Requested-by: Dave <dave@example.com> (oidc ${idp.issuer})`);
    await recordHistory(env, handle.workflowId, 'verified-approvals');

    // Bob's token is in that promotion's history now: it does not count anywhere again.
    const next = await env.promote({ app: 'myapp', image: 'nginx:1.42.0', requestedBy: 'alice@example.com', requesterIdToken: await idp.idToken('alice') });
    await env.waitForState(next.workflowId, ['awaiting-approval'], 90_000);
    expect(await refusedBy(next, { decision: 'approve', approver: 'bob', credential: { kind: 'oidc', token: bobToken } })).toMatch(/already used \(by .*nginx:1.40.0|already used/);
    // Self-approval under another name: the requester is verified as alice, and so is her key.
    expect(await refusedBy(next, await signed(next, keys.alice, {}, 'bob@example.com'))).toMatch(/alice@example.com \(ssh .*\) requested this promotion and may not approve it/);
    // Hand-made tokens never count: HS256 with the provider's public key as the secret.
    const forged = await idp.handMade({ email: 'bob@example.com' }, { alg: 'HS256', key: new TextEncoder().encode(idp.publicKeyPem) });
    expect(await refusedBy(next, { decision: 'approve', approver: 'bob', credential: { kind: 'oidc', token: forged } })).toMatch(/algorithm "HS256" is not allowed/);
    // Frank is in no list, but the provider says he is a release manager, a group the gate names.
    await next.executeUpdate(decideUpdate, { args: [{ decision: 'approve', approver: 'frank', credential: { kind: 'oidc', token: await idp.idToken('frank') } }] });
    expect((await next.query(statusQuery)).approvals).toEqual([expect.objectContaining({ approver: 'frank@example.com', proof: expect.objectContaining({ groups: ['release-managers'] }) })]);
    // Carol, listed by name, rejects with her signature.
    await next.executeUpdate(decideUpdate, { args: [{ ...(await signed(next, keys.carol, { decision: 'reject' })), decision: 'reject' }] });
    expect(await next.result()).toMatchObject({ state: 'rejected', status: { rejections: [expect.objectContaining({ approver: 'carol@example.com' })] } });
  });

  it('refuses a requester token replayed by a second promotion', async () => {
    const token = await idp.idToken('dave');
    const a = await env.promote({ app: 'myapp', image: 'nginx:1.43.0', requestedBy: 'dave', requesterIdToken: token });
    await env.waitForState(a.workflowId, ['promoting', 'awaiting-approval'], 90_000);
    const b = await env.promote({ app: 'myapp', image: 'nginx:1.44.0', requestedBy: 'dave', requesterIdToken: token });
    await expect(b.result()).rejects.toThrow(WorkflowFailedError);
    expect((await b.query(statusQuery)).failure).toMatch(/requester's ID token was refused: this ID token was already used/);
    await a.terminate('test done');
  });
});

describe('at start, before anything is committed', () => {
  const startFailure = async (handle: WorkflowHandle): Promise<string> => {
    const error = await handle.result().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const status = await handle.query(statusQuery);
    expect(status.stages.every((s) => s.status === 'pending')).toBe(true);
    return status.failure ?? '';
  };

  it('fails a verified gate on a worker that cannot verify approvers, naming what is missing', async () => {
    const handle = await strict.promote({ app: 'gated', image: 'nginx:1.50.0', requesterIdToken: await idp.idToken('dave') });
    expect(await startFailure(handle)).toMatch(/the gate before prod requires verified identities, but the worker's identity section names no way to verify an approver/);
  });

  it('fails a promotion without a requester token where the worker requires one, and one whose token is refused', async () => {
    expect(await startFailure(await strict.promote({ app: 'myapp', image: 'nginx:1.51.0' }))).toMatch(/requires a verified requester/);
    const wrongAudience = await idp.idToken('dave', { client: 'another-app' });
    expect(await startFailure(await strict.promote({ app: 'myapp', image: 'nginx:1.52.0', requesterIdToken: wrongAudience }))).toMatch(
      /requester's ID token was refused: .*audience is not promenade/,
    );
  });

  it('starts with a verified requester', async () => {
    const handle = await strict.promote({ app: 'myapp', image: 'nginx:1.53.0', requestedBy: 'ci', requesterIdToken: await idp.idToken('dave') });
    const status = await strict.waitForState(handle.workflowId, ['promoting', 'awaiting-approval'], 60_000);
    expect(status.requester).toMatchObject({ subject: 'dave@example.com', displayName: 'Dave' });
    await handle.terminate('test done');
  });
});
