// The approval gates: each gate's policy and its own decisions, the handlers people send decisions through (the
// approve/reject signals and the `decide` update, whose validator refuses bad ones before they reach history), and
// the wait for enough approvals. State lives here, in one class, not in closures.
//
// Since GATES_HOLD_PATCH each gate counts only the decisions made to it while it was open; runs started before it
// keep the single list every gate shared (so their histories replay as recorded).
import { condition, log, setHandler } from '@temporalio/workflow';
import type { ApprovalPolicy } from '../config/pipeline.js';
import { decisionFields, printable, MAX_COMMENT } from '../config/decision.js';
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
  ) {}

  /** Registers the decision handlers; decisions arriving while no gate is open are refused and recorded. */
  listen(): void {
    setHandler(approveSignal, (decision) => this.decide('approve', decision));
    setHandler(rejectSignal, (decision) => this.decide('reject', decision));
    setHandler(
      decideUpdate,
      (request: DecisionRequest) => {
        this.decide(request.decision, request);
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
    // The identity slot: every decision is asserted until a verified identity arrives with it.
    if (gate.identity === 'verified') return `gate ${gate.gate} counts only verified identities; this decision is only asserted`;
    if (this.policy!.forbidSelfApproval && fields.approver === this.requestedBy) return 'the requester may not approve their own promotion';
    if (gate.approvers.length > 0 && !gate.approvers.includes(fields.approver)) return `${fields.approver} is not an allowed approver`;
    return undefined;
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

  // Refused decisions are recorded, not thrown: a signal cannot answer its sender, the audit trail can. Whatever
  // a stranger sent is kept escaped and bounded, and only the latest few in full.
  private decide(kind: 'approve' | 'reject', decision: ApprovalDecision): void {
    try {
      this.record(kind, decision);
    } finally {
      this.changed();
    }
  }

  private record(kind: 'approve' | 'reject', decision: ApprovalDecision): void {
    const at = new Date().toISOString();
    const reason = this.refusal(decision);
    const fields = decision !== null && typeof decision === 'object' ? (decision as Partial<ApprovalDecision>) : {};
    if (reason) {
      const comment = fields.comment === undefined ? {} : { comment: printable(fields.comment, 200) };
      this.status.refused.push({ approver: printable(fields.approver), at, ...comment, reason });
      if (this.status.refused.length > REFUSED_KEPT) this.status.refused.splice(0, this.status.refused.length - REFUSED_KEPT);
      this.status.refusedCount = (this.status.refusedCount ?? this.status.refused.length - 1) + 1;
      log.warn('decision refused', { promotionId: this.promotionId, kind, approver: printable(fields.approver), reason });
      return;
    }
    const record: Approval = { approver: String(fields.approver), at, ...(typeof fields.comment === 'string' ? { comment: fields.comment.slice(0, MAX_COMMENT) } : {}) };
    if (this.perGate) Object.assign(record, { gate: this.current!.gate, identity: 'asserted' });
    const list = kind === 'approve' ? this.approvals : this.rejections;
    if (list.some((a) => a.approver === record.approver)) return;
    list.push(record);
    if (this.perGate) (kind === 'approve' ? this.status.approvals : this.status.rejections).push(record);
  }
}
