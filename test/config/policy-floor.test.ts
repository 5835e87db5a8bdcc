// The worker's policy floor, read from PROMENADE_CONFIG's `policy` section and applied to promenade.yaml's gates:
// pure, so every rule is checked here directly; gates.test.ts proves the same against a running worker.
import { describe, expect, it } from 'vitest';
import { parsePipelineFile } from '../../src/config/pipeline-file.js';
import { digestOf, holdToFloor, PolicyFloorError } from '../../src/config/policy-floor.js';
import { parseWorkerConfig } from '../../src/config/worker-config/index.js';
import { InvalidWorkerConfigError } from '../../src/config/worker-config/problems.js';

const config = (text: string) => parseWorkerConfig(text, { source: 'worker.yaml', env: {} });
const FLOOR = config(`policy:
  groups: { sre: [alice, bob, carol] }
  environments:
    prod: { required: 2, identity: verified, approvers: [group:sre, dave] }
`).policy!;

function app(prodGate: string) {
  const file = parsePipelineFile(`apps:\n  myapp:\n    environments:\n      - dev\n      - name: prod\n        approval: ${prodGate}\n`, { repository: 'https://git.example.com/g.git' });
  return file.apps.myapp;
}

describe('policy section', () => {
  it('expands groups and keeps defaults', () => {
    expect(FLOOR.environments.prod).toEqual({ required: 2, identity: 'verified', approvers: ['alice', 'bob', 'carol', 'dave'], forbidSelfApproval: true });
  });

  it('names every problem at once', () => {
    const err = (() => {
      try {
        config(`policy:\n  environments:\n    prod: { required: 0, identity: sure, approvers: [group:ops], allowSelfApproval: yes, color: red }\n`);
      } catch (e) {
        return e as InvalidWorkerConfigError;
      }
    })();
    expect(err).toBeInstanceOf(InvalidWorkerConfigError);
    expect(err!.problems).toEqual([
      'policy.environments.prod.color: is not a known setting (known: required, identity, approvers, allowSelfApproval)',
      'policy.environments.prod.required: must be a whole number from 1 to 100',
      'policy.environments.prod.identity: must be "asserted" or "verified"',
      'policy.environments.prod.approvers: names group:ops, which policy.groups does not define',
      'policy.environments.prod.approvers: lists nobody (leave it out to let anyone approve)',
      'policy.environments.prod.allowSelfApproval: must be true or false',
    ]);
  });
});

describe('holding promenade.yaml to the floor', () => {
  it('a tighter gate passes, inherits what it leaves out, and records the floor digest', () => {
    const held = holdToFloor(app('{ approvers: [group:sre], required: 3 }'), FLOOR);
    expect(held.environments[1].approval).toMatchObject({ approvers: ['alice', 'bob', 'carol'], required: 3, identity: 'verified' });
    expect(held.policy).toEqual({ source: 'worker-config', digest: digestOf(FLOOR) });
    expect(digestOf(FLOOR)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('an empty approver list takes the floor’s', () => {
    expect(holdToFloor(app('{ required: 2 }'), FLOOR).environments[1].approval?.approvers).toEqual(['alice', 'bob', 'carol', 'dave']);
  });

  it.each([
    ['fewer approvals', '{ required: 1 }', 'approval.required: promenade.yaml asks 1, the worker\'s policy requires at least 2 (policy.environments.prod.required)'],
    ['asserted identity', '{ required: 2, identity: asserted }', "approval.identity: promenade.yaml asks asserted, the worker's policy requires verified"],
    ['self-approval', '{ required: 2, allowSelfApproval: true }', "approval.allowSelfApproval: promenade.yaml allows self-approval, the worker's policy forbids it"],
    ['an extra approver', '{ required: 2, approvers: [alice, mallory] }', "approval.approvers: promenade.yaml adds mallory, whom the worker's policy does not allow"],
    ['no gate', 'false', "approval: promenade.yaml has no gate before prod; the worker's policy requires one (policy.environments.prod, 2 approval(s))"],
  ])('loosening by %s fails, naming the rule and both values', (_name, gate, problem) => {
    const err = (() => {
      try {
        holdToFloor(app(gate), FLOOR);
      } catch (e) {
        return e as PolicyFloorError;
      }
    })();
    expect(err).toBeInstanceOf(PolicyFloorError);
    expect(err!.problems.some((p) => p.includes(problem))).toBe(true);
  });

  it('local mode: no floor, gates as written, marked asserted', () => {
    const held = holdToFloor(app('{ approvers: [alice], required: 1 }'), undefined);
    expect(held.policy).toEqual({ source: 'local' });
    expect(held.environments[1].approval).toMatchObject({ approvers: ['alice'], identity: 'asserted' });
  });
});
