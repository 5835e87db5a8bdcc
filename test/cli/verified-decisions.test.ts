// `promenade promote` sending CI's ID token and `promenade approve` signing or sending a token, end to end: the real
// CLI against the real dev server, a real OpenID Provider, ssh-keygen, and GitHub Actions' token endpoint played by a
// small local server. `approve --print` output is sent through the plain Temporal CLI, as a person would paste it.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { parseWorkerConfig } from '../../src/config/worker-config/index.js';
import { statusQuery } from '../../src/workflows/messages.js';
import { createPromotionEnvironment, promotionCommits, type PromotionEnvironment } from '../support/promotion-environment.js';
import { startOpenIdProvider, type TestOpenIdProvider } from '../support/openid-provider.js';
import { makeKey, type TestKey } from '../support/ssh-keys.js';
import { runInProcess } from './run-cli.js';

const exec = promisify(execFile);
let dir: string;
let alice: TestKey;
let idp: TestOpenIdProvider;
let env: PromotionEnvironment;
let actions: Server;
let actionsUrl: string;
const audiences: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promenade-cli-identity-'));
  alice = await makeKey(dir, 'alice');
  idp = await startOpenIdProvider({ accounts: { bob: { email: 'bob@example.com', name: 'Bob' }, octocat: { email: 'octocat@example.com', name: 'Octocat' } } });
  // GitHub Actions' token endpoint: a bearer-protected GET that answers {"value": <ID token>} for ?audience=.
  actions = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (req.headers.authorization !== 'bearer actions-request-token') return void res.writeHead(403).end();
    audiences.push(url.searchParams.get('audience') ?? '');
    void idp.idToken('octocat').then((value) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value })));
  });
  await new Promise<void>((resolve) => actions.listen(0, '127.0.0.1', resolve));
  actionsUrl = `http://127.0.0.1:${(actions.address() as AddressInfo).port}/token?api-version=2.0`;
  env = await createPromotionEnvironment({
    pipeline: `apps:
  myapp:
    environments:
      - dev
      - staging
      - name: prod
        approval: { approvers: [alice@example.com, bob@example.com], required: 2, timeout: 120s, identity: verified }
        soak: 0s
`,
  });
  env.settings.workerConfig = parseWorkerConfig(
    `identity:
  ssh:
    allowedSigners: |
      alice@example.com ${alice.publicKey} Alice
  oidc:
    - { issuer: "${idp.issuer}", audience: promenade }
`,
    { source: 'test', env: {} },
  );
  await env.startWorker();
}, 180_000);
afterAll(async () => {
  await env?.close();
  await idp?.close();
  await new Promise((r) => actions?.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe('verified decisions from the command line', () => {
  it('promote sends the GitHub Actions token; approve signs with a key; approve --print goes through temporal workflow signal', async () => {
    const image = 'nginx:1.60.0';
    const id = `promote:myapp:${image}`;
    const cli = { ...env.workerEnv, ACTIONS_ID_TOKEN_REQUEST_URL: actionsUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'actions-request-token', GITHUB_ACTOR: 'octocat' };
    const started = await runInProcess(['promote', '--app', 'myapp', '--image', image], cli);
    expect(started.code).toBe(EXIT.ok);
    expect(started.stdout).toContain("(requester's ID token from GitHub Actions)");
    expect(audiences).toEqual(['promenade']);
    await env.waitForState(id, ['awaiting-approval'], 90_000);
    expect((await env.client.workflow.getHandle(id).query(statusQuery)).requester).toMatchObject({ subject: 'octocat@example.com' });

    // An asserted name counts for nothing at this gate.
    const asserted = await runInProcess(['approve', id, '--by', 'alice@example.com'], env.workerEnv);
    expect(asserted.code).toBe(EXIT.refused);
    expect(asserted.stderr).toMatch(/counts only verified decisions/);

    const signedApproval = await runInProcess(['approve', id, '--key', alice.file, '--comment', 'canary fine'], env.workerEnv);
    expect(signedApproval).toMatchObject({ code: EXIT.ok, stdout: expect.stringMatching(/approved .* with an SSH signature \(1\/2 approvals\)/) });

    const tokenFile = join(dir, 'bob.jwt');
    await writeFile(tokenFile, await idp.idToken('bob'));
    const printed = await runInProcess(['approve', id, '--id-token-file', tokenFile, '--print'], env.workerEnv);
    expect(printed.code).toBe(EXIT.ok);
    const message = JSON.parse(printed.stdout);
    expect(message).toMatchObject({ gate: 'approval', credential: { kind: 'oidc' } });
    expect(printed.stderr).toContain(`temporal workflow signal --workflow-id '${id}' --name approve`);
    await exec(inject('temporalCli'), ['workflow', 'signal', '--address', env.workerEnv.TEMPORAL_ADDRESS!, '--workflow-id', id, '--name', 'approve', '--input', printed.stdout.trim()]);

    const result = await env.client.workflow.getHandle(id).result();
    expect(result.state).toBe('promoted');
    const prod = (await promotionCommits(env, id)).find((c) => c.stage === 'prod-promote')!;
    expect(prod.body).toMatch(/Approved-by: Alice <alice@example.com> \(ssh SHA256:\S+; canary fine\)/);
    expect(prod.body).toContain(`Approved-by: Bob <bob@example.com> (oidc ${idp.issuer})`);
    expect(prod.body).toContain(`Requested-by: Octocat <octocat@example.com> (oidc ${idp.issuer})`);

    const status = await runInProcess(['status', id], env.workerEnv);
    expect(status.stdout).toMatch(/approvals: Alice <alice@example.com> \(ssh SHA256:\S+; canary fine\), Bob <bob@example.com> \(oidc /);
    expect(status.stdout).toMatch(/requested by Octocat <octocat@example.com> \(oidc /);
  });

  it('refuses two credentials at once, and a token file that holds no token, before contacting anything', async () => {
    const bad = join(dir, 'bad.jwt');
    await writeFile(bad, 'not a token\n');
    expect(await runInProcess(['approve', 'promote:x', '--key', alice.file, '--id-token-file', bad], env.workerEnv)).toMatchObject({ code: EXIT.usage, stderr: /--key and --id-token-file each name a credential/ });
    expect(await runInProcess(['promote', '--app', 'myapp', '--image', 'nginx:1.61.0', '--id-token-file', bad], env.workerEnv)).toMatchObject({ code: EXIT.usage, stderr: /does not hold an ID token/ });
  });
});
