// One measurement of an http check: one request (TLS verified unless the check says insecure), its status and its
// body (a regular expression, or a JSON path and value) compared with what the check expects. A request that gets no
// answer (refused, timed out, TLS refused) is an Error measurement; a wrong answer is Failed. Secret headers get
// their values from the worker's configuration, which the caller has checked binds them to this host.
import got from 'got';
import type { HttpCheckConfig } from '../config/pipeline.js';
import { hostAllowed, type VerificationConfig } from '../config/worker-config/verification.js';
import type { CheckMeasurement } from './measurement.js';

/** Body bytes read for matching: checks look at health pages, not downloads. */
const MAX_BODY = 64 * 1024;

export async function measureHttp(check: HttpCheckConfig, config: VerificationConfig, during: CheckMeasurement['during'], signal?: AbortSignal): Promise<CheckMeasurement> {
  const base = { check: check.name, kind: 'http' as const, during, at: new Date().toISOString() };
  // The policy was applied when the pipeline was loaded; this guards the request itself as well.
  if (!hostAllowed(check.url, config.allowedHosts)) return { ...base, phase: 'Error', message: `${new URL(check.url).host} is not an allowed host` };
  const headers: Record<string, string> = { 'user-agent': 'promenade-check', ...check.headers };
  for (const [header, name] of Object.entries(check.secretHeaders)) {
    const secret = config.secrets[name];
    if (!secret || !hostAllowed(check.url, secret.hosts)) return { ...base, phase: 'Error', message: `secret ${name} is not bound to ${new URL(check.url).host}` };
    headers[header] = secret.value;
  }
  let status: number;
  let body: string;
  const started = Date.now();
  try {
    const res = await got(check.url, {
      method: check.method,
      headers,
      timeout: { request: check.timeoutSeconds * 1000 },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      https: { rejectUnauthorized: !check.insecure },
      responseType: 'buffer',
      signal,
    });
    status = res.statusCode;
    body = res.body.subarray(0, MAX_BODY).toString('utf8');
  } catch (err) {
    const e = err as { code?: string; name?: string; message?: string };
    const code = e.name === 'TimeoutError' ? `no answer within ${check.timeoutSeconds}s` : (e.code ?? e.name ?? 'error');
    const tls = /CERT|SELF_SIGNED|TLS|SSL/i.test(String(e.code)) ? ' (set insecure: true only for a known self-signed certificate)' : '';
    return { ...base, phase: 'Error', message: `${check.method} ${redacted(check.url)}: ${code}${tls}` };
  }
  const value = `${status} in ${Date.now() - started} ms`;
  if (status !== check.status) return { ...base, value, phase: 'Failed', message: `status ${status}, expected ${check.status}` };
  const mismatch = bodyMismatch(check.body, body);
  if (mismatch) return { ...base, value, phase: 'Failed', message: mismatch };
  return { ...base, value, phase: 'Successful' };
}

/** Why the body does not match, or undefined when it does. */
export function bodyMismatch(expected: HttpCheckConfig['body'], body: string): string | undefined {
  if (!expected) return undefined;
  if ('regex' in expected) return new RegExp(expected.regex).test(body) ? undefined : `body does not match /${expected.regex}/: ${excerpt(body)}`;
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return `body is not JSON: ${excerpt(body)}`;
  }
  const found = jsonPath(doc, expected.jsonPath);
  if (found.missing) return `${expected.jsonPath} is not in the body: ${excerpt(body)}`;
  return found.value === expected.value ? undefined : `${expected.jsonPath} is ${JSON.stringify(found.value)?.slice(0, 100)}, expected ${JSON.stringify(expected.value)}`;
}

/** `$.a.b[0].c` (the subset promenade.yaml accepts). */
function jsonPath(doc: unknown, path: string): { value?: unknown; missing?: true } {
  let cur: unknown = doc;
  for (const part of path.slice(1).match(/\.[^.[]+|\[\d+\]/g) ?? []) {
    const key = part.startsWith('[') ? Number(part.slice(1, -1)) : part.slice(1);
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return { missing: true };
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return { value: cur };
}

function excerpt(body: string): string {
  const one = body.replace(/\s+/g, ' ').trim();
  return JSON.stringify(one.length > 80 ? `${one.slice(0, 77)}...` : one);
}

function redacted(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
