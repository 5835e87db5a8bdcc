// The text rules that several boundaries share, written once: a change to what counts as a control character or
// a DNS label must reach every place that checks one.

/** C0 control characters and DEL: line breaks included, so accepted text can never break a commit or a terminal. */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Whitespace of any kind or a control character: refused in one-token values such as URLs and image references. */
export function hasWhitespaceOrControl(text: string): boolean {
  return /\s/.test(text) || CONTROL_CHARACTERS.test(text);
}

/** A refused value as error messages quote it: JSON (strings in quotes), cut to `max` characters with "...". */
export function quoteValue(value: unknown, max = 120): string {
  let text: string;
  try {
    // A huge string is cut before it is escaped, not after.
    text = typeof value === 'string' ? JSON.stringify(value.slice(0, max)) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** A DNS-1123 label (Kubernetes namespaces, app and environment names). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The longest app or environment name promenade accepts. */
export const MAX_NAME_LENGTH = 53;

/** An app or environment name: a DNS-1123 label of at most MAX_NAME_LENGTH characters. */
export function isNameLabel(text: string): boolean {
  return text.length <= MAX_NAME_LENGTH && DNS_LABEL.test(text);
}

/** A Kubernetes resource name (DNS-1123 subdomain) as Argo CD names applications and projects; at most 253. */
export const RESOURCE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * A branch name promenade accepts: the subset of `git check-ref-format --branch` that also keeps a name from being
 * read by git as an option (leading "-") or a revision range (".."). It reaches git command lines.
 */
export function isBranchName(name: string): boolean {
  return (
    /^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(name) &&
    name.length <= 200 &&
    !name.includes('..') &&
    !name.includes('//') &&
    !name.endsWith('/') &&
    !name.endsWith('.') &&
    !name.endsWith('.lock')
  );
}

/** A loopback host name or address: plain-text transports to it never leave this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
