// Text that came from a workflow or its callers (approver, comment, failure, workflow ID...), made safe to
// print on a terminal. Anyone who can signal a promotion writes some of it, so control characters (C0, DEL,
// C1) and the Unicode controls that reorder or break lines become visible escapes: a stranger's comment can
// neither move the cursor, recolour the screen, nor draw a line that looks like promenade's own. Every CLI
// print of such data goes through here; validation of what a workflow accepts is src/config/text-rules.ts.

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function terminalText(value: unknown): string {
  return String(value).replace(UNSAFE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
