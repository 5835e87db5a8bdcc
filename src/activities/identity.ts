// The verifyDecision activity: checks an SSH-signed decision or an OpenID Connect ID token against the worker's
// identity configuration, and registers each accepted token as used. Verification is I/O (ssh-keygen, the issuer's
// keys, the register), so it lives here and never in workflow code; the workflow gets an identity or a reason.
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { longestTokenAgeSeconds, type IdentityConfig } from '../config/worker-config/identity.js';
import { canonicalStatement, isSignedAt } from '../identity/decision-statement.js';
import { IssuerUnavailableError, OidcVerifier, CLOCK_SKEW_SECONDS, type VerifiedToken } from '../identity/oidc-token.js';
import { SshSignatureVerifier } from '../identity/ssh-signature.js';
import type { Verification, VerifiedIdentity } from '../identity/verified-identity.js';
import { RETRYABLE, retryable } from '../failures.js';
import type { VerifyDecisionInput } from '../workflows/contract.js';
import type { TokenUse } from '../workflows/token-use.js';
import { tokenUseWorkflowId } from '../workflows/workflow-ids.js';

export interface IdentityActivityDeps {
  identity?: IdentityConfig;
  client: Client;
  taskQueue: string;
  /** The running activity's ID (a seam for tests that call the function outside a worker). */
  activityId?: () => string;
}

export function createIdentityActivities({ identity, client, taskQueue, activityId = () => Context.current().info.activityId }: IdentityActivityDeps) {
  const ssh = identity?.ssh ? new SshSignatureVerifier(identity.ssh.signers) : undefined;
  const oidc = identity && identity.oidc.length > 0 ? new OidcVerifier(identity.oidc) : undefined;
  const refuse = (reason: string): Verification => ({ verified: false, reason });

  /** Starts the token's register entry; a second start of the same ID fails, except for this activity's own retry. */
  const registerUse = async (token: VerifiedToken, use: TokenUse): Promise<string | undefined> => {
    const workflowId = tokenUseWorkflowId(token.useKey);
    try {
      await client.workflow.start('tokenUse', {
        workflowId,
        taskQueue,
        args: [use],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
        memo: { use },
      });
      return undefined;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const first = (await client.workflow.getHandle(workflowId).describe()).memo?.use as TokenUse | undefined;
      if (first && first.promotionId === use.promotionId && first.runId === use.runId && first.activityId === use.activityId) return undefined;
      return `this ID token was already used${first ? ` (by ${first.promotionId}, ${first.purpose})` : ''}: each token counts once, ask your identity provider for a new one`;
    }
  };

  return {
    async verifyDecision(input: VerifyDecisionInput): Promise<Verification> {
      const { credential } = input;
      if (!identity) {
        // A requester's token usually comes unasked (CI offers one), so say how to stop sending it as well.
        const remedy =
          input.purpose === 'request'
            ? ': trust your CI\'s issuer for requesters there, or stop sending one (drop id-token: write / id_tokens: from the CI job, or --id-token-file)'
            : '';
        return refuse(`this worker verifies no identities (no identity section in its configuration file)${remedy}`);
      }
      if (credential?.kind === 'ssh') {
        if (!ssh) return refuse('this worker has no approvers\' SSH keys (identity.ssh in its configuration file)');
        if (input.purpose !== 'decision') return refuse('a promotion request is verified with an ID token, not an SSH signature');
        if (!isSignedAt(credential.signedAt)) return refuse('credential.signedAt must be a UTC time to the second, such as 2026-11-30T21:12:30Z');
        if (Date.parse(credential.signedAt) > Date.now() + CLOCK_SKEW_SECONDS * 1000) return refuse(`the signature's time ${credential.signedAt} is in the future`);
        const statement = canonicalStatement({
          promotionId: input.promotionId,
          runId: input.runId,
          gate: input.gate,
          image: input.image,
          decision: input.decision,
          comment: input.comment ?? '',
          signedAt: credential.signedAt,
        });
        const result = await ssh.verify({ statement, signature: credential.signature, ...(input.approver ? { approver: input.approver } : {}) });
        if (!result.verified) return result;
        const identityOf: VerifiedIdentity = {
          mechanism: 'ssh',
          subject: result.principal,
          displayName: result.displayName ?? result.principal,
          ...(result.principal.includes('@') ? { email: result.principal } : {}),
          fingerprint: result.fingerprint,
          // A principal counts for a group through policy.groups, from which the gate's approvers were expanded.
          groups: [],
        };
        return { verified: true, identity: identityOf };
      }
      if (credential?.kind === 'oidc') {
        if (!oidc) return refuse('this worker trusts no OpenID Connect issuer (identity.oidc in its configuration file)');
        let checked;
        try {
          checked = await oidc.verify(credential.token, input.purpose === 'decision' ? 'approvers' : 'requesters');
        } catch (err) {
          if (err instanceof IssuerUnavailableError) throw retryable(RETRYABLE.issuerUnavailable, err.message);
          throw err;
        }
        if (!checked.verified) return checked;
        const { token } = checked;
        const refused = await registerUse(token, {
          promotionId: input.promotionId,
          runId: input.runId,
          activityId: activityId(),
          purpose: input.purpose === 'decision' ? `${input.decision} at ${input.gate}` : 'request',
          acceptableUntil: token.acceptableUntil,
        });
        if (refused) return refuse(refused);
        const identityOf: VerifiedIdentity = {
          mechanism: 'oidc',
          subject: token.subject,
          displayName: token.displayName,
          ...(token.email ? { email: token.email } : {}),
          issuer: token.issuer,
          groups: token.groups,
        };
        return { verified: true, identity: identityOf };
      }
      return refuse('credential must be {"kind":"ssh","signature":...,"signedAt":...} or {"kind":"oidc","token":...}');
    },
  };
}

/**
 * Checks, when the worker starts, that what verification needs is there: ssh-keygen for SSH signatures, and a
 * namespace that keeps closed workflows longer than any token is accepted (else the single-use register would forget
 * a token while it could still be replayed).
 */
export async function checkIdentityPrerequisites(identity: IdentityConfig | undefined, client: Client, namespace: string): Promise<void> {
  if (!identity) return;
  if (identity.ssh) await new SshSignatureVerifier([]).selfCheck();
  const longest = longestTokenAgeSeconds(identity);
  if (longest === 0) return;
  let config;
  try {
    ({ config } = await client.workflowService.describeNamespace({ namespace }));
  } catch (err) {
    throw new Error(`cannot read namespace ${namespace}'s retention, which the ID token register depends on: ${(err as Error).message}`);
  }
  const ttl = config?.workflowExecutionRetentionTtl;
  const retentionSeconds = Number(ttl?.seconds ?? 0);
  const needed = longest + CLOCK_SKEW_SECONDS;
  if (retentionSeconds < needed) {
    throw new Error(
      `namespace ${namespace} keeps closed workflows for ${retentionSeconds}s, but ID tokens are accepted for up to ${needed}s ` +
        `(identity.oidc maxTokenAge plus clock skew): the single-use register would forget tokens that can still be replayed. ` +
        `Raise the namespace's retention or lower maxTokenAge.`,
    );
  }
}
