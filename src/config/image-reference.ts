// OCI image references by the grammar of github.com/distribution/reference, so anything promenade writes into a
// manifest is something a container runtime would pull. Pure: bundled into workflow code.
import { hasWhitespaceOrControl } from './text-rules.js';

export interface ImageReference {
  /** Registry and repository, without tag or digest, e.g. `ghcr.io/acme/myapp`. */
  name: string;
  tag?: string;
  digest?: string;
  /** The whole reference as given, e.g. `ghcr.io/acme/myapp:1.2.3@sha256:...`. */
  reference: string;
}

export class ImageReferenceError extends Error {
  constructor(
    readonly reference: string,
    /** Why it is not an image reference, in a few words, e.g. `repository must be lowercase`. */
    readonly reason: string,
  ) {
    super(`${JSON.stringify(reference)} is not a valid OCI image reference (${reason})`);
    this.name = 'ImageReferenceError';
  }
}

const MAX_NAME_LENGTH = 255;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[0-9a-fA-F:.]+\]$/;
const PORT = /^[0-9]+$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const DIGEST_HEX: Record<string, RegExp> = {
  sha256: /^[a-f0-9]{64}$/,
  sha384: /^[a-f0-9]{96}$/,
  sha512: /^[a-f0-9]{128}$/,
};

export function parseImageReference(reference: string): ImageReference {
  const fail = (reason: string): never => {
    throw new ImageReferenceError(reference, reason);
  };
  if (typeof reference !== 'string') fail('not a string');
  if (reference === '') fail('empty');
  if (reference.length > 4096) fail('too long');
  if (hasWhitespaceOrControl(reference)) fail('contains whitespace or control characters');

  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const match = DIGEST.exec(digest);
    if (!match) fail(`digest ${JSON.stringify(digest)} is not algorithm:hex`);
    const hex = DIGEST_HEX[match![1]!];
    if (hex && !hex.test(match![2]!)) fail(`${match![1]} digest must be ${hex.source.match(/\{(\d+)\}/)![1]} lowercase hex characters`);
    if (!hex && match![2]!.length < 32) fail('digest is too short');
  }

  let tag: string | undefined;
  // A colon after the last slash starts the tag; one before it belongs to a registry port.
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail(`tag ${JSON.stringify(tag)} must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  }

  const name = rest;
  if (name === '') fail('repository name is empty');
  if (name.length > MAX_NAME_LENGTH) fail(`name longer than ${MAX_NAME_LENGTH} characters`);

  const components = name.split('/');
  const first = components[0]!;
  // The distribution rule: the first component is a registry only if it looks like a host.
  const hasDomain = components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || /[A-Z]/.test(first));
  if (hasDomain) {
    checkDomain(first, fail);
    components.shift();
  }
  for (const component of components) {
    if (component === '') fail('empty path component');
    if (component === '..' || component === '.') fail('path components may not be "." or ".."');
    if (/[A-Z]/.test(component)) fail('repository must be lowercase');
    if (!PATH_COMPONENT.test(component)) fail(`path component ${JSON.stringify(component)} must be lowercase letters and digits separated by ".", "_", "__" or "-"`);
  }

  const parsed: ImageReference = { name, reference };
  if (tag !== undefined) parsed.tag = tag;
  if (digest !== undefined) parsed.digest = digest;
  return parsed;
}

function checkDomain(domain: string, fail: (reason: string) => never): void {
  let host = domain;
  const portAt = domain.startsWith('[') ? domain.indexOf(']:') + 1 : domain.lastIndexOf(':');
  if (portAt > 0) {
    const port = domain.slice(portAt + 1);
    host = domain.slice(0, portAt);
    if (!PORT.test(port) || Number(port) > 65535) fail(`registry port ${JSON.stringify(port)} is not a port number`);
  }
  if (IPV6_HOST.test(host)) return;
  if (!host.split('.').every((part) => DOMAIN_COMPONENT.test(part))) fail(`registry ${JSON.stringify(host)} is not a host name`);
}

/** The reference for `name` carrying the tag and digest of `image`, e.g. to keep a kustomize `newName`. */
export function formatImageReference(image: Pick<ImageReference, 'name' | 'tag' | 'digest'>): string {
  return `${image.name}${image.tag !== undefined ? `:${image.tag}` : ''}${image.digest !== undefined ? `@${image.digest}` : ''}`;
}
