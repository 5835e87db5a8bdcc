// What counts as a full commit id (SHA-1 or SHA-256), checked before any revision from outside (Argo CD's
// status, workflow history) reaches a git command line, where `--upload-pack=...` or `HEAD~1` would mean something.
const COMMIT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export function isCommitId(text: string): boolean {
  return COMMIT_ID.test(text);
}
