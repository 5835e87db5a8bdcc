// Holds promenade.yaml's gates to the worker's policy floor: a pipeline may tighten a gate, never loosen it; and to
// what the worker can verify: a gate requiring verified identities needs a worker that verifies some. Pure; the
// loadPipeline activity applies it when a promotion starts, so the gates in force are recorded in history.
import { createHash } from 'node:crypto';
import { GROUP_PREFIX, type AppPipeline, type ApprovalPolicy } from './pipeline.js';
import { verifiedGateProblem, type IdentityConfig } from './worker-config/identity.js';
import type { PolicyFloor } from './worker-config/policy.js';

export class PolicyFloorError extends Error {
  constructor(readonly problems: string[]) {
    super(`promenade.yaml loosens the worker's policy floor; nothing was committed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PolicyFloorError';
  }
}

/** The pipeline with every gate at least as strict as the floor, groups expanded, and the policy recorded. */
export function holdToFloor(pipeline: AppPipeline, floor: PolicyFloor | undefined): AppPipeline {
  const problems: string[] = [];
  const groups = floor?.groups ?? {};
  const environments = pipeline.environments.map((env) => {
    const at = `apps.${pipeline.app}.environments.${env.name}.approval`;
    const min = floor?.environments[env.name];
    const rule = `policy.environments.${env.name}`;
    if (!env.approval) {
      if (min) problems.push(`${at}: promenade.yaml has no gate before ${env.name}; the worker's policy requires one (${rule}, ${min.required} approval(s))`);
      return env;
    }
    const gate: ApprovalPolicy = { ...env.approval, approvers: expand(env.approval.approvers, groups, `${at}.approvers`, problems) };
    // Kept so that a verified identity's groups claim can count for them too (decision-identity.ts).
    const named = env.approval.approvers.filter((a) => a.startsWith(GROUP_PREFIX)).map((a) => a.slice(GROUP_PREFIX.length));
    if (named.length > 0) gate.groups = named;
    gate.identity ??= min?.identity ?? 'asserted';
    if (min) {
      if (gate.required < min.required) problems.push(`${at}.required: promenade.yaml asks ${gate.required}, the worker's policy requires at least ${min.required} (${rule}.required)`);
      if (gate.identity === 'asserted' && min.identity === 'verified') problems.push(`${at}.identity: promenade.yaml asks asserted, the worker's policy requires verified (${rule}.identity)`);
      if (!gate.forbidSelfApproval && min.forbidSelfApproval) problems.push(`${at}.allowSelfApproval: promenade.yaml allows self-approval, the worker's policy forbids it (${rule}.allowSelfApproval)`);
      if (min.approvers.length > 0) {
        const outsiders = gate.approvers.filter((a) => !min.approvers.includes(a));
        if (outsiders.length > 0) problems.push(`${at}.approvers: promenade.yaml adds ${outsiders.join(', ')}, whom the worker's policy does not allow (${rule}.approvers: ${min.approvers.join(', ')})`);
        if (gate.approvers.length === 0) gate.approvers = [...min.approvers];
      }
    }
    if (gate.approvers.length > 0 && gate.required > gate.approvers.length) problems.push(`${at}.required: ${gate.required} approvals needed but only ${gate.approvers.length} may approve (${gate.approvers.join(', ')})`);
    return { ...env, approval: gate };
  });
  if (problems.length > 0) throw new PolicyFloorError(problems);
  const policy = floor ? { source: 'worker-config' as const, digest: digestOf(floor) } : { source: 'local' as const };
  return { ...pipeline, environments, policy };
}

function expand(approvers: string[], groups: Record<string, string[]>, at: string, problems: string[]): string[] {
  const people: string[] = [];
  for (const entry of approvers) {
    if (!entry.startsWith(GROUP_PREFIX)) {
      if (!people.includes(entry)) people.push(entry);
      continue;
    }
    const members = groups[entry.slice(GROUP_PREFIX.length)];
    if (!members) problems.push(`${at}: names ${entry}, which the worker's policy.groups does not define`);
    for (const person of members ?? []) if (!people.includes(person)) people.push(person);
  }
  return people;
}

export class IdentityUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentityUnavailableError';
  }
}

/**
 * The pipeline with what the worker's identity section adds to the policy in force (a requester that must be
 * verified), after checking that every gate requiring verified identities can be served: otherwise the promotion
 * would wait at a gate no decision can pass.
 */
export function holdToIdentity(pipeline: AppPipeline, identity: IdentityConfig | undefined): AppPipeline {
  const verified = pipeline.environments.filter((e) => e.approval?.identity === 'verified').map((e) => e.name);
  const missing = verified.length > 0 ? verifiedGateProblem(identity) : undefined;
  if (missing) throw new IdentityUnavailableError(`the gate before ${verified.join(', ')} requires verified identities, but ${missing}; nothing was committed`);
  if (identity?.requester !== 'verified') return pipeline;
  return { ...pipeline, policy: { ...(pipeline.policy ?? { source: 'worker-config' }), requester: 'verified' } };
}

/** sha256 of the floor as canonical JSON (keys sorted), e.g. `sha256:3f2a…`. */
export function digestOf(floor: PolicyFloor): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(canonical) : value && typeof value === 'object' ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])])) : value;
  return `sha256:${createHash('sha256').update(JSON.stringify(canonical(floor))).digest('hex')}`;
}
