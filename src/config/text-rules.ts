// The text rules that several boundaries share, written once: a change to what counts as a control character or
// a DNS label must reach every place that checks one.

/** C0 control characters and DEL: line breaks included, so accepted text can never break a commit or a terminal. */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** A DNS-1123 label (Kubernetes namespaces, app and environment names). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
