// What an approval decision must look like to be considered at all, whatever the channel (signal, update, CLI):
// one JSON object whose approver and comment are single-line text within limits, so nothing accepted can break a
// later commit trailer or draw on a terminal. Pure: the workflow checks decisions with it on arrival.
import { CONTROL_CHARACTERS } from './text-rules.js';

export const MAX_APPROVER = 128;
export const MAX_COMMENT = 1000;
const MAX_GATE = 128;

export interface DecisionFields {
  approver: string;
  comment?: string;
  gate?: string;
}

/** The decision's fields, or the rule it breaks (naming the field). */
export function decisionFields(raw: unknown): DecisionFields | { problem: string } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { problem: 'a decision must be a JSON object with an approver' };
  const { approver, comment, gate } = raw as Record<string, unknown>;
  const problem =
    textProblem('approver', approver, MAX_APPROVER, true) ?? textProblem('comment', comment, MAX_COMMENT, false) ?? textProblem('gate', gate, MAX_GATE, false);
  if (problem) return { problem };
  return { approver: approver as string, ...(comment !== undefined ? { comment: comment as string } : {}), ...(gate !== undefined ? { gate: gate as string } : {}) };
}

function textProblem(field: string, value: unknown, max: number, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string') return `${field} must be a string`;
  if (required && value.trim() === '') return `${field} must not be empty`;
  if (value.length > max) return `${field} must be at most ${max} characters`;
  if (CONTROL_CHARACTERS.test(value)) return `${field} must be a single line without control characters`;
  return undefined;
}

/** Text a stranger sent, made safe to keep and print: control characters escaped, length bounded. */
export function printable(value: unknown, max = MAX_APPROVER): string {
  const text = typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value) ?? '';
  const escaped = text.slice(0, max * 2).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}
