// Every message a promotion understands. Client code (CLI, tests, the lane) sends exactly these definitions.
// Each takes ONE object argument because the Web UI's signal form sends a single JSON value.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { CONTROL_CHARACTERS } from '../config/text-rules.js';
import type { LaneDecision, LaneMessage } from './contract.js';
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

/**
 * Sent by the app's lane (see app-lane.ts). Anyone can send a signal, so since the lane-v2 patch a promotion treats
 * it only as a reason to ask its lane (readLane); `prod-cleared` and `superseded` stay for promotions started before.
 */
export interface LaneNotice {
  kind: 'granted' | 'superseded' | 'prod-cleared' | 'changed';
  by?: string;
}
export const laneSignal = defineSignal<[LaneNotice]>('lane');

/** App lane: one promotion per app in each environment; the message names the promotion to look at. */
export const laneRequestSignal = defineSignal<[LaneMessage]>('lane-request');

/** The lane's decisions and holders; promotions read their own decision through it (never from a signal). */
export const laneViewQuery = defineQuery<LaneView>('lane-view');

export interface LaneView {
  /** The promotion holding each environment. */
  holders: Record<string, string>;
  decisions: Record<string, LaneDecision>;
  /** The newest promotion (by start time) that entered each environment. */
  reached: Record<string, { promotionId: string; startedAt: number }>;
}

const MAX_ID = 400;

/** The promotion a `lane-request` names, or undefined when the message is malformed. */
export function laneMessageSender(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
  const id = (message as { promotionId?: unknown }).promotionId;
  return typeof id === 'string' && id !== '' && id.length <= MAX_ID && !CONTROL_CHARACTERS.test(id) ? id : undefined;
}

/** Whether a `lane` signal has the shape the lane sends. */
export function isLaneNotice(message: unknown): message is LaneNotice {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return false;
  const { kind, by } = message as { kind?: unknown; by?: unknown };
  return ['granted', 'superseded', 'prod-cleared', 'changed'].includes(kind as string) && (by === undefined || (typeof by === 'string' && by.length <= MAX_ID));
}
