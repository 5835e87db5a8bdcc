// The workflow's half of verified identities: which decisions need a credential, sending credentials to the
// verifyDecision activity (never verified here: workflow code does no I/O), the gate's rules applied to the identity
// a credential proved, and the requester's token checked at start. The approver text a sender types never
// authorises a decision that carries a credential or is made at a `verified` gate; "no self-approval" then compares
// verified identities.
import { ApplicationFailure, patched, proxyActivities } from '@temporalio/workflow';
import type { AppPipeline, ApprovalPolicy, IdentityRequirement } from '../config/pipeline.js';
import { NON_RETRYABLE_TYPES } from '../failures.js';
import { credentialProblem } from '../identity/credential.js';
import { identityMatches, sameSubject, type Credential, type Verification, type VerifiedIdentity } from '../identity/verified-identity.js';
import type { PromotionActivities } from './contract.js';

/** Runs started before verified identities replay without the checks (no credential could reach them). */
export const VERIFIED_IDENTITIES_PATCH = 'verified-identities';

// ssh-keygen answers in milliseconds, an issuer's discovery and keys in seconds. An issuer that is down for a while
// is not the approver's fault, so it is retried; the gate's own timeout bounds the whole wait.
const { verifyDecision } = proxyActivities<PromotionActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

export interface Requester {
  /** `requestedBy` as sent. */
  name: string;
  /** Set when the requester's ID token verified at start. */
  identity?: VerifiedIdentity;
}

/** What a credential is bound to besides the decision itself, and who requested the promotion. */
export interface GateIdentityContext {
  runId: string;
  image: string;
  requester: Requester;
}

/** Whether this workflow run knows credentials at all (false while replaying runs from before them). */
export function identitiesInUse(): boolean {
  return patched(VERIFIED_IDENTITIES_PATCH);
}

/** The credential a decision carries, if it carries anything under that name. */
export function credentialOf(decision: unknown): unknown {
  return decision !== null && typeof decision === 'object' ? (decision as { credential?: unknown }).credential : undefined;
}

/**
 * What must hold before a decision is even verified (the update's validator runs it too): a well-formed credential,
 * and one at all at a verified gate.
 */
export function credentialRefusal(gate: string, identity: IdentityRequirement, credential: unknown): string | undefined {
  if (credential === undefined) {
    return identity === 'verified'
      ? `gate ${gate} counts only verified decisions: sign it (promenade approve --key <file> or --agent) or send an ID token (--id-token-file)`
      : undefined;
  }
  return credentialProblem(credential);
}

export interface DecisionAtGate {
  promotionId: string;
  runId: string;
  gate: string;
  image: string;
  decision: 'approve' | 'reject';
  comment?: string;
  approver?: string;
  credential: Credential;
}

export function verifyAtGate(d: DecisionAtGate): Promise<Verification> {
  return verifyDecision({ purpose: 'decision', ...d });
}

/** Why a verified identity may not decide at a gate with this policy, or undefined when it may. */
export function identityRefusal(identity: VerifiedIdentity, policy: ApprovalPolicy, requester: Requester): string | undefined {
  const who = `${identity.subject} (${identity.mechanism === 'ssh' ? `ssh ${identity.fingerprint}` : `oidc ${identity.issuer}`})`;
  // With a verified requester the comparison is between two proofs; without one, the requester's name is all there is.
  const isRequester = sameSubject(requester.identity?.subject ?? requester.name, identity.subject);
  if (policy.forbidSelfApproval && isRequester) return `${who} requested this promotion and may not approve it`;
  if (!identityMatches(identity, policy.approvers, policy.groups)) return `${who} is not an allowed approver`;
  return undefined;
}

/**
 * At start, before anything is committed: the requester's ID token verified (and used up), or, when the worker
 * requires a verified requester (recorded in the policy in force), its absence refused. Undefined: asserted requester.
 */
export async function verifyRequester(pipeline: AppPipeline, promotionId: string, runId: string, token: string | undefined): Promise<VerifiedIdentity | undefined> {
  if (token === undefined) {
    if (pipeline.policy?.requester !== 'verified') return undefined;
    throw ApplicationFailure.nonRetryable(
      'this worker requires a verified requester: run promenade promote where CI offers an ID token (GitHub Actions: permissions: id-token: write; GitLab: id_tokens: PROMENADE_ID_TOKEN), or pass --id-token-file',
      'InvalidInput',
    );
  }
  const verification = await verifyDecision({ purpose: 'request', promotionId, runId, credential: { kind: 'oidc', token } });
  if (!verification.verified) throw ApplicationFailure.nonRetryable(`the requester's ID token was refused: ${verification.reason}`, 'InvalidInput');
  return verification.identity;
}
