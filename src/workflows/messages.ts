// Every message a promotion understands. Client code (CLI, tests, the lane) sends exactly these definitions.
// Each takes ONE object argument because the Web UI's signal form sends a single JSON value.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalDecision, PromotionStatus } from './promotion-status.js';

export const approveSignal = defineSignal<[ApprovalDecision]>('approve');
export const rejectSignal = defineSignal<[ApprovalDecision]>('reject');

export interface DecisionRequest extends ApprovalDecision {
  decision: 'approve' | 'reject';
}
export interface DecisionOutcome {
  accepted: true;
  state: PromotionStatus['state'];
  approvals: number;
  required: number;
}
/** For callers that want an immediate yes/no: the validator refuses bad decisions before they reach history. */
export const decideUpdate = defineUpdate<DecisionOutcome, [DecisionRequest]>('decide');

export const statusQuery = defineQuery<PromotionStatus>('status');

/** Sent by the app's lane (see app-lane.ts), never by people. */
export const laneSignal = defineSignal<[{ kind: 'granted' | 'superseded' | 'prod-cleared'; by?: string }]>('lane');

/** App lane: one promotion per app in flight past staging. */
export const laneRequestSignal = defineSignal<[import('./contract.js').LaneMessage]>('lane-request');
