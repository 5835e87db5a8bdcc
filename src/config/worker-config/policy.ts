// The `policy` section of the worker's configuration: the platform team's floor for approval gates. promenade.yaml
// may tighten a gate, never loosen it (see ../policy-floor.ts). Groups name people once; gates list them as
// `group:<name>`.
//
//   policy:
//     groups:
//       sre: [alice, bob]
//     environments:
//       prod:
//         required: 2                 # at least this many distinct approvals
//         identity: verified          # asserted | verified
//         approvers: [group:sre]      # who may approve; absent = anyone
//         allowSelfApproval: false
import { MAX_APPROVER } from '../decision.js';
import { DNS_LABEL } from '../text-rules.js';
import { GROUP_PREFIX, IDENTITY_REQUIREMENTS, type IdentityRequirement } from '../pipeline.js';
import type { ConfigProblems } from './problems.js';

export interface GateFloor {
  required: number;
  identity: IdentityRequirement;
  /** People who may approve, groups expanded; empty = anyone. */
  approvers: string[];
  forbidSelfApproval: boolean;
}

export interface PolicyFloor {
  groups: Record<string, string[]>;
  /** The minimum gate per environment name; an environment listed here must have a gate. */
  environments: Record<string, GateFloor>;
}

const SECTION_KEYS = ['groups', 'environments'];
const GATE_KEYS = ['required', 'identity', 'approvers', 'allowSelfApproval'];


export function parsePolicy(raw: unknown, problems: ConfigProblems): PolicyFloor | undefined {
  const section = problems.mapping(raw, 'policy');
  if (!section) return undefined;
  problems.onlyKeys(section, SECTION_KEYS, 'policy');
  const groups: Record<string, string[]> = {};
  if (section.groups !== undefined) {
    const map = problems.mapping(section.groups, 'policy.groups');
    for (const [name, members] of Object.entries(map ?? {})) {
      if (!DNS_LABEL.test(name)) problems.add(`policy.groups.${name}`, 'group names are lowercase letters, digits and "-"');
      const list = problems.sequence(members, `policy.groups.${name}`);
      if (list) groups[name] = people(list, `policy.groups.${name}`, problems);
    }
  }
  const environments: Record<string, GateFloor> = {};
  const envs = section.environments === undefined ? {} : problems.mapping(section.environments, 'policy.environments');
  for (const [name, value] of Object.entries(envs ?? {})) {
    const at = `policy.environments.${name}`;
    if (!DNS_LABEL.test(name)) problems.add(at, 'environment names are lowercase letters, digits and "-"');
    const gate = problems.mapping(value, at);
    if (!gate) continue;
    problems.onlyKeys(gate, GATE_KEYS, at);
    const floor: GateFloor = { required: 1, identity: 'asserted', approvers: [], forbidSelfApproval: true };
    if (gate.required !== undefined) {
      if (!Number.isInteger(gate.required) || (gate.required as number) < 1 || (gate.required as number) > 100) problems.add(`${at}.required`, 'must be a whole number from 1 to 100');
      else floor.required = gate.required as number;
    }
    if (gate.identity !== undefined) {
      if (!IDENTITY_REQUIREMENTS.includes(gate.identity as IdentityRequirement)) problems.add(`${at}.identity`, 'must be "asserted" or "verified"');
      else floor.identity = gate.identity as IdentityRequirement;
    }
    if (gate.approvers !== undefined) {
      const list = problems.sequence(gate.approvers, `${at}.approvers`);
      for (const entry of list ? people(list, `${at}.approvers`, problems) : []) {
        const members = entry.startsWith(GROUP_PREFIX) ? groups[entry.slice(GROUP_PREFIX.length)] : [entry];
        if (!members) problems.add(`${at}.approvers`, `names ${entry}, which policy.groups does not define`);
        for (const person of members ?? []) if (!floor.approvers.includes(person)) floor.approvers.push(person);
      }
      if (list && floor.approvers.length === 0) problems.add(`${at}.approvers`, 'lists nobody (leave it out to let anyone approve)');
    }
    if (gate.allowSelfApproval !== undefined) {
      if (typeof gate.allowSelfApproval !== 'boolean') problems.add(`${at}.allowSelfApproval`, 'must be true or false');
      else floor.forbidSelfApproval = !gate.allowSelfApproval;
    }
    if (floor.approvers.length > 0 && floor.required > floor.approvers.length) problems.add(`${at}.required`, `is more than the ${floor.approvers.length} people who may approve`);
    environments[name] = floor;
  }
  return { groups, environments };
}

function people(list: unknown[], at: string, problems: ConfigProblems): string[] {
  const names: string[] = [];
  list.forEach((entry, index) => {
    const name = problems.text(entry, `${at}[${index}]`, { max: MAX_APPROVER });
    if (name !== undefined && !names.includes(name)) names.push(name);
  });
  return names;
}
