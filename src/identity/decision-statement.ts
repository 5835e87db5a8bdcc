// The exact bytes an approver signs: a decision bound to one promotion run, gate, image and outcome. The CLI builds
// them to sign, the worker builds them again from what it knows to verify, and anyone can rebuild them later from
// the promotion's history to re-check a past approval. Pure and free of Node built-ins: workflow code may import it.

export const STATEMENT_HEADER = 'promenade decision v1';
/** The SSH signature namespace (`ssh-keygen -Y sign -n promenade`): a promenade signature is useless elsewhere. */
export const SIGNATURE_NAMESPACE = 'promenade';

export interface DecisionStatement {
  /** The promotion's workflow ID. */
  promotionId: string;
  /** Its run ID: a later promotion under the same ID is another run, and a signature for this one does not fit it. */
  runId: string;
  gate: string;
  image: string;
  decision: 'approve' | 'reject';
  /** Empty when the decision has no comment: an absent and an empty comment sign the same. */
  comment: string;
  /** When the approver signed, UTC to the second (`2026-11-30T21:12:30Z`). */
  signedAt: string;
}

const SIGNED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export function isSignedAt(value: unknown): value is string {
  return typeof value === 'string' && SIGNED_AT.test(value) && !Number.isNaN(Date.parse(value));
}

/** `signedAt` for now (or a given time), to the second. */
export function signedAtOf(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * One line per field in a fixed order, each value JSON-encoded, so no value can forge another line or field
 * whatever characters it holds, and the same decision always gives the same bytes.
 */
export function canonicalStatement(s: DecisionStatement): string {
  const fields: Array<[string, string]> = [
    ['promotion', s.promotionId],
    ['run', s.runId],
    ['gate', s.gate],
    ['image', s.image],
    ['decision', s.decision],
    ['comment', s.comment],
    ['signed-at', s.signedAt],
  ];
  return `${STATEMENT_HEADER}\n${fields.map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join('\n')}\n`;
}
