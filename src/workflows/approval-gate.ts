// The approval gates: each gate's policy and its own decisions, the handlers people send decisions through (the
// approve/reject signals and the `decide` update, whose validator refuses bad ones before they reach history), and
// the wait for enough approvals. State lives here, in one class, not in closures.
//
// Since GATES_HOLD_PATCH each gate counts only the decisions made to it while it was open; runs started before it
// keep the single list every gate shared (so their histories replay as recorded). Since VERIFIED_IDENTITIES_PATCH a
// decision that carries a credential, and every decision at a `verified` gate, counts as the identity the credential
// proves (checked by an activity, see decision-identity.ts); the approver text is then only a hint.
import { ApplicationFailure, condition, log, setHandler } from '@temporalio/workflow';
import type { ApprovalPolicy } from '../config/pipeline.js';
import { decisionFields, printable, MAX_COMMENT, type DecisionFields } from '../config/decision.js';
import { failureMessage } from '../failures.js';
import { sameSubject, type Credential, type Mechanism } from '../identity/verified-identity.js';
import { credentialOf, credentialRefusal, identityRefusal, verifyAtGate, type GateIdentityContext } from './decision-identity.js';
import { approveSignal, decideUpdate, rejectSignal, type DecisionRequest } from './messages.js';
import { REFUSED_KEPT, type Approval, type ApprovalDecision, type GateRecord, type PromotionStatus } from './promotion-status.js';

export type GateOutcome = 'approved' | 'rejected' | 'expired' | 'superseded';
export const GATES_HOLD_PATCH = 'gates-hold-their-own-decisions';

export class ApprovalGate {
  /** The policy of the gate that is (or was last) open; undefined until the first gate opens. */
  private policy?: ApprovalPolicy;
  /** The open gate's record (per-gate runs only). */
  private current?: GateRecord;

  constructor(
    private readonly status: PromotionStatus,
    private readonly promotionId: string,
    private readonly requestedBy: string,
    /** Whether gates hold their own decisions (GATES_HOLD_PATCH); false while replaying older runs. */
    private readonly perGate: boolean,
    /** Called after a decision is recorded, so what the UI shows keeps up. */
    private readonly changed: () => void = () => {},
    /** Set when this run verifies identities (VERIFIED_IDENTITIES_PATCH, per-gate runs only). */
    private readonly identities?: GateIdentityContext,
  ) {}

  /** Registers the decision handlers; decisions arriving while no gate is open are refused and recorded. */
  listen(): void {
    // A signal cannot answer its sender: whatever the outcome, it is in the status.
    setHandler(approveSignal, async (decision) => void (await this.decide('approve', decision)));
    setHandler(rejectSignal, async (decision) => void (await this.decide('reject', decision)));
    setHandler(
      decideUpdate,
      async (request: DecisionRequest) => {
        const refused = await this.decide(request.decision, request);
        // Only a credential's verification can refuse after the validator: the sender hears why, as from the validator.
        if (refused) throw ApplicationFailure.nonRetryable(refused, 'DecisionRefused');
        return { accepted: true as const, state: this.status.state, approvals: this.approvals.length, required: this.policy?.required ?? 0 };
      },
      {
        validator: (request: DecisionRequest) => {
          if (request?.decision !== 'approve' && request?.decision !== 'reject') throw new Error('decision must be "approve" or "reject"');
          const reason = this.refusal(request);
          if (reason) throw new Error(reason);
        },
      },
    );
  }

  /** Records every gate of the plan as waiting, so status shows them before they open (per-gate runs only). */
  plan(gates: Array<{ gate: string; environment: string; policy: ApprovalPolicy }>): void {
    if (!this.perGate) return;
    this.status.gates = gates.map(({ gate, environment, policy }) => ({
      gate,
      environment,
      state: 'waiting',
      required: policy.required,
      identity: policy.identity ?? 'asserted',
      approvers: policy.approvers,
      approvals: [],
      rejections: [],
    }));
  }

  /** Opens a gate: from now on decisions are checked against its policy (the state says awaiting-approval). */
  open(gate: string, policy: ApprovalPolicy): void {
    this.policy = policy;
    this.current = this.status.gates?.find((g) => g.gate === gate);
    if (this.current) this.current.state = 'open';
  }

  /**
   * Waits until the open gate is decided: a rejection, enough approvals, the promotion superseded (asked
   * through `superseded`), or the policy's timeout (or `timeoutMs`, what is left of it after an interruption).
   */
  async decision(superseded: () => boolean, timeoutMs?: number): Promise<Exclude<GateOutcome, 'approved'> | 'approvals-complete'> {
    const policy = this.policy!;
    const who = policy.approvers.length > 0 ? ` from ${policy.approvers.join(', ')}` : '';
    const summary = `approval gate ${this.current?.gate ?? ''}: wait ${policy.timeoutSeconds}s for ${policy.required} approval(s)${who}`.slice(0, 200);
    const decided = await condition(() => this.rejections.length > 0 || this.approvals.length >= policy.required || superseded(), timeoutMs ?? policy.timeoutSeconds * 1000, { summary });
    if (superseded()) return 'superseded';
    if (this.rejections.length > 0) return 'rejected';
    if (!decided) return 'expired';
    return 'approvals-complete';
  }

  /** Closes the open gate with its outcome; later decisions to it are refused. */
  close(outcome: GateOutcome): void {
    if (this.current) this.current.state = outcome;
    this.current = undefined;
  }

  /** The approvals a commit to `environment` names: its own gate's (per-gate), or the one shared list. */
  approvalsFor(environment: string): Approval[] {
    if (!this.perGate) return this.status.approvals;
    return this.status.gates?.find((g) => g.environment === environment)?.approvals ?? [];
  }

  private get approvals(): Approval[] {
    return this.perGate ? (this.current?.approvals ?? []) : this.status.approvals;
  }

  private get rejections(): Approval[] {
    return this.perGate ? (this.current?.rejections ?? []) : this.status.rejections;
  }

  /** Why a decision is refused, or undefined when it counts. */
  private refusal(decision: ApprovalDecision): string | undefined {
    if (!this.perGate) return this.refusalBeforeGatesHeld(decision);
    const fields = decisionFields(decision);
    if ('problem' in fields) return fields.problem;
    const gate = this.current;
    if (this.status.state !== 'awaiting-approval' || !gate) {
      return fields.gate ? `gate ${fields.gate} is not open (promotion is ${this.status.state})` : `promotion is ${this.status.state}, not awaiting approval`;
    }
    if (fields.gate !== undefined && fields.gate !== gate.gate && fields.gate !== gate.environment) return `decision is for gate ${fields.gate}, but the open gate is ${gate.gate}`;
    // With a credential, who decided is known only once it is verified: the name rules then apply to that identity.
    if (this.verifying(decision)) return credentialRefusal(gate.gate, gate.identity, credentialOf(decision));
    // Runs from before verified identities: every decision is asserted, so a verified gate counts none.
    if (gate.identity === 'verified') return `gate ${gate.gate} counts only verified identities; this decision is only asserted`;
    if (this.policy!.forbidSelfApproval && fields.approver === this.requestedBy) return 'the requester may not approve their own promotion';
    // A gate that names groups admits an asserted name only through the people listed for them.
    const anyone = gate.approvers.length === 0 && !this.policy!.groups?.length;
    if (!anyone && !gate.approvers.includes(fields.approver)) return `${fields.approver} is not an allowed approver`;
    return undefined;
  }

  /** Whether this decision's identity is what a credential proves (and not the approver text). */
  private verifying(decision: ApprovalDecision): boolean {
    return this.identities !== undefined && this.perGate && (credentialOf(decision) !== undefined || this.current?.identity === 'verified');
  }

  private refusalBeforeGatesHeld(decision: ApprovalDecision): string | undefined {
    const policy = this.policy;
    if (typeof decision?.approver !== 'string' || decision.approver.trim() === '') return 'approver must be a non-empty string';
    if (decision.comment !== undefined && typeof decision.comment !== 'string') return 'comment must be a string';
    if (this.status.state !== 'awaiting-approval' || !policy) return `promotion is ${this.status.state}, not awaiting approval`;
    if (policy.forbidSelfApproval && decision.approver === this.requestedBy) return 'the requester may not approve their own promotion';
    if (policy.approvers.length > 0 && !policy.approvers.includes(decision.approver)) return `${decision.approver} is not an allowed approver`;
    return undefined;
  }

  // Returns why the decision was refused, if it was. A decision without a credential is recorded before the first
  // await, as it always was; one with a credential after its verification.
  private async decide(kind: 'approve' | 'reject', decision: ApprovalDecision): Promise<string | undefined> {
    try {
      return await this.record(kind, decision);
    } finally {
      this.changed();
    }
  }

  private record(kind: 'approve' | 'reject', decision: ApprovalDecision): string | undefined | Promise<string | undefined> {
    const at = new Date().toISOString();
    const reason = this.refusal(decision);
    const fields = decision !== null && typeof decision === 'object' ? (decision as Partial<ApprovalDecision>) : {};
    if (reason) return this.refuse(kind, fields, at, reason);
    if (this.verifying(decision)) return this.recordVerified(kind, decisionFields(decision) as DecisionFields, credentialOf(decision) as Credential, at);
    const record: Approval = { approver: String(fields.approver), at, ...(typeof fields.comment === 'string' ? { comment: fields.comment.slice(0, MAX_COMMENT) } : {}) };
    if (this.perGate) Object.assign(record, { gate: this.current!.gate, identity: 'asserted' });
    const list = kind === 'approve' ? this.approvals : this.rejections;
    if (list.some((a) => a.approver === record.approver)) return undefined;
    list.push(record);
    if (this.perGate) (kind === 'approve' ? this.status.approvals : this.status.rejections).push(record);
    return undefined;
  }

  private async recordVerified(kind: 'approve' | 'reject', fields: DecisionFields, credential: Credential, at: string): Promise<string | undefined> {
    const gate = this.current!;
    const policy = this.policy!;
    const { runId, image, requester } = this.identities!;
    const refuse = (reason: string, approver = fields.approver) => this.refuse(kind, { ...fields, approver }, at, reason, credential.kind);
    let verification;
    try {
      verification = await verifyAtGate({
        promotionId: this.promotionId,
        runId,
        gate: gate.gate,
        image,
        decision: kind,
        ...(fields.comment !== undefined ? { comment: fields.comment } : {}),
        approver: fields.approver,
        credential,
      });
    } catch (err) {
      // The activity gave up (an issuer down for minutes): the decision is refused, the gate goes on waiting.
      return refuse(`the credential could not be checked: ${failureMessage(err)}`);
    }
    if (!verification.verified) return refuse(verification.reason);
    const { identity } = verification;
    if (this.current !== gate || this.status.state !== 'awaiting-approval') return refuse(`gate ${gate.gate} closed while the credential was checked`, identity.subject);
    const refused = identityRefusal(identity, policy, requester);
    if (refused) return refuse(refused, identity.subject);
    const record: Approval = { approver: identity.subject, at, ...(fields.comment !== undefined ? { comment: fields.comment } : {}), gate: gate.gate, identity: 'verified', proof: identity };
    // One person counts once, whatever names they sign or log in under.
    const list = kind === 'approve' ? gate.approvals : gate.rejections;
    if (list.some((a) => sameSubject(a.proof?.subject ?? a.approver, identity.subject))) return undefined;
    list.push(record);
    (kind === 'approve' ? this.status.approvals : this.status.rejections).push(record);
    return undefined;
  }

  // Refused decisions are recorded, not thrown: a signal cannot answer its sender, the audit trail can. Whatever
  // a stranger sent is kept escaped and bounded, and only the latest few in full.
  private refuse(kind: 'approve' | 'reject', fields: Partial<ApprovalDecision>, at: string, reason: string, mechanism?: Mechanism): string {
    const comment = fields.comment === undefined ? {} : { comment: printable(fields.comment, 200) };
    const carried = mechanism ?? mechanismOf(fields.credential);
    this.status.refused.push({ approver: printable(fields.approver), at, ...comment, reason, ...(carried ? { mechanism: carried } : {}) });
    if (this.status.refused.length > REFUSED_KEPT) this.status.refused.splice(0, this.status.refused.length - REFUSED_KEPT);
    this.status.refusedCount = (this.status.refusedCount ?? this.status.refused.length - 1) + 1;
    log.warn('decision refused', { promotionId: this.promotionId, kind, approver: printable(fields.approver), reason });
    return reason;
  }
}

/** The kind of credential a decision carried, when it names a known one (only that word is kept). */
function mechanismOf(credential: unknown): Mechanism | undefined {
  const kind = credential !== null && typeof credential === 'object' ? (credential as { kind?: unknown }).kind : undefined;
  return kind === 'ssh' || kind === 'oidc' ? kind : undefined;
}
