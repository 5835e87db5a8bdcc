// The approval gate: its policy, the decisions people send (signals and the `decide` update), the validator that
// refuses bad ones before they reach history, and the wait for enough approvals. State lives here, not in closures.
import { condition, log, setHandler } from '@temporalio/workflow';
import type { ApprovalPolicy } from '../config/pipeline.js';
import { approveSignal, decideUpdate, rejectSignal, type DecisionRequest } from './messages.js';
import type { Approval, ApprovalDecision, PromotionStatus } from './promotion-status.js';

export type GateOutcome = 'approved' | 'rejected' | 'expired' | 'superseded';

export class ApprovalGate {
  /** The policy of the gate that is (or was last) open; undefined until the first gate opens. */
  private policy?: ApprovalPolicy;

  constructor(
    private readonly status: PromotionStatus,
    private readonly promotionId: string,
    private readonly requestedBy: string,
  ) {}

  /** Registers the decision handlers; decisions arriving while no gate is open are refused and recorded. */
  listen(): void {
    setHandler(approveSignal, (decision) => this.decide('approve', decision));
    setHandler(rejectSignal, (decision) => this.decide('reject', decision));
    setHandler(
      decideUpdate,
      (request: DecisionRequest) => {
        this.decide(request.decision, request);
        return { accepted: true as const, state: this.status.state, approvals: this.status.approvals.length, required: this.policy?.required ?? 0 };
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

  /** Opens a gate: from now on decisions are checked against its policy (the state says awaiting-approval). */
  open(policy: ApprovalPolicy): void {
    this.policy = policy;
  }

  /**
   * Waits until the open gate is decided: a rejection, enough approvals, the promotion superseded (asked
   * through `superseded`), or the policy's timeout (or `timeoutMs`, what is left of it after an interruption).
   */
  async decision(superseded: () => boolean, timeoutMs?: number): Promise<Exclude<GateOutcome, 'approved'> | 'approvals-complete'> {
    const policy = this.policy!;
    const decided = await condition(
      () => this.status.rejections.length > 0 || this.status.approvals.length >= policy.required || superseded(),
      timeoutMs ?? policy.timeoutSeconds * 1000,
    );
    if (superseded()) return 'superseded';
    if (this.status.rejections.length > 0) return 'rejected';
    if (!decided) return 'expired';
    return 'approvals-complete';
  }

  /** Why a decision is refused, or undefined when it counts. */
  private refusal(decision: ApprovalDecision): string | undefined {
    const policy = this.policy;
    if (typeof decision?.approver !== 'string' || decision.approver.trim() === '') return 'approver must be a non-empty string';
    if (decision.comment !== undefined && typeof decision.comment !== 'string') return 'comment must be a string';
    if (this.status.state !== 'awaiting-approval' || !policy) return `promotion is ${this.status.state}, not awaiting approval`;
    if (policy.forbidSelfApproval && decision.approver === this.requestedBy) return 'the requester may not approve their own promotion';
    if (policy.approvers.length > 0 && !policy.approvers.includes(decision.approver)) return `${decision.approver} is not an allowed approver`;
    return undefined;
  }

  // Refused decisions are recorded, not thrown: a signal cannot answer its sender, the audit trail can.
  private decide(kind: 'approve' | 'reject', decision: ApprovalDecision): void {
    const at = new Date().toISOString();
    const reason = this.refusal(decision);
    const record: Approval = { approver: String(decision?.approver ?? ''), at, ...(typeof decision?.comment === 'string' ? { comment: decision.comment } : {}) };
    if (reason) {
      this.status.refused.push({ ...record, reason });
      log.warn('decision refused', { promotionId: this.promotionId, kind, approver: record.approver, reason });
      return;
    }
    const list = kind === 'approve' ? this.status.approvals : this.status.rejections;
    if (!list.some((a) => a.approver === record.approver)) list.push(record);
  }
}
