// What the worker's identity section adds when a pipeline is held to the worker's policy: groups a gate names are
// kept beside their expanded members (a token's groups claim can count for them), a verified gate the worker cannot
// serve is refused at start, and a required verified requester is recorded in the policy in force. Pure.
import { describe, expect, it } from 'vitest';
import { parsePipelineFile } from '../../src/config/pipeline-file.js';
import { holdToFloor, holdToIdentity, IdentityUnavailableError } from '../../src/config/policy-floor.js';
import { parseWorkerConfig } from '../../src/config/worker-config/index.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJIC2nTYuUD1BRY0aVZXNJ10NcnnElt/DnRbApmJt7wO';
const config = (text: string) => parseWorkerConfig(text, { source: 'worker.yaml', env: {} });
function app(prodGate: string) {
  const file = parsePipelineFile(`apps:\n  myapp:\n    environments:\n      - dev\n      - name: prod\n        approval: ${prodGate}\n`, { repository: 'https://git.example.com/g.git' });
  return file.apps.myapp;
}

describe('groups a gate names', () => {
  it('are expanded into people and kept by name', () => {
    const floor = config('policy:\n  groups: { sre: [alice, bob], release-managers: [] }\n').policy;
    const gate = holdToFloor(app('{ approvers: [group:sre, carol, group:release-managers], identity: verified }'), floor).environments[1].approval;
    expect(gate).toMatchObject({ approvers: ['alice', 'bob', 'carol'], groups: ['sre', 'release-managers'] });
  });

  it('are not recorded when none is named', () => {
    expect(holdToFloor(app('{ approvers: [alice] }'), undefined).environments[1].approval).not.toHaveProperty('groups');
  });
});

describe('holding a pipeline to what the worker can verify', () => {
  const verified = () => holdToFloor(app('{ identity: verified }'), undefined);

  it('refuses a verified gate on a worker with no identity section, or none that verifies approvers, naming what is missing', () => {
    expect(() => holdToIdentity(verified(), undefined)).toThrow(IdentityUnavailableError);
    expect(() => holdToIdentity(verified(), undefined)).toThrow(/the gate before prod requires verified identities, but the worker has no identity section .*PROMENADE_CONFIG/);
    const ciOnly = config('identity:\n  oidc:\n    - { issuer: "https://ci.example.com", audience: p, for: [requesters] }\n').identity;
    expect(() => holdToIdentity(verified(), ciOnly)).toThrow(/names no way to verify an approver/);
  });

  it('passes a verified gate the worker can serve, and an asserted one anywhere', () => {
    const ssh = config(`identity:\n  ssh:\n    allowedSigners: |\n      alice ${KEY}\n`).identity;
    expect(holdToIdentity(verified(), ssh)).toEqual(verified());
    const asserted = holdToFloor(app('{ approvers: [alice] }'), undefined);
    expect(holdToIdentity(asserted, undefined)).toEqual(asserted);
  });

  it('records a worker that requires verified requesters in the policy in force', () => {
    const identity = config('identity:\n  oidc:\n    - { issuer: "https://ci.example.com", audience: p, for: [requesters] }\n  requester: verified\n').identity;
    expect(holdToIdentity(holdToFloor(app('{ approvers: [alice] }'), undefined), identity).policy).toEqual({ source: 'local', requester: 'verified' });
  });
});
