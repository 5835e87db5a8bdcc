// A small typed client of the Argo CD REST API (grpc-gateway), built on got. It works against a real
// Argo CD: nothing here depends on a simulator. Errors leave as ArgoCDApiError, built from scratch so that
// got's request options (and with them the bearer token) never travel with an error. It does not trust the
// server blindly: answers and stream lines are read up to a size bound, every call has a deadline, and the
// token goes over plain HTTP only where the operator said so for a loopback or named host.
import got, { type Got, type Response } from 'got';
import { RETRYABLE, TERMINAL, retryable, terminal } from '../failures.js';
import type { ApplicationFailure } from '@temporalio/common';
import { abortError, sleep } from './abort.js';
import type { Application, ApplicationWatchEvent, Info } from './types.js';
import { isLoopbackHost } from '../config/text-rules.js';

/** Default bound of one answer or stream line: far above the largest Application (thousands of resources). */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export interface ArgoCDConfig {
  /** e.g. `https://argocd.example.com` or `http://127.0.0.1:8080/argocd`, without a trailing slash. */
  baseUrl: string;
  token: string;
  /** Skip TLS certificate verification (ARGOCD_INSECURE). */
  insecure: boolean;
  /** Per-request timeout for ordinary calls. */
  requestTimeoutMs?: number;
  /** Tries per call for transient failures (connection errors, 429, 502, 503, 504); 1 = no retry. */
  maxTries?: number;
  /** The largest answer (or watch stream line) read before the call fails; DEFAULT_MAX_RESPONSE_BYTES. */
  maxResponseBytes?: number;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);

/** Hosts whose traffic never leaves the machine. */
/**
 * Reads the Argo CD connection the way the argocd CLI does: `ARGOCD_SERVER` is `host:port` (https unless
 * `ARGOCD_PLAINTEXT=true`) or a full http(s):// URL; `ARGOCD_AUTH_TOKEN` is the bearer token;
 * `ARGOCD_INSECURE=true` skips TLS verification. Plain HTTP carries the token readable to anyone on the path,
 * so it is refused unless the host is loopback or named in `ARGOCD_PLAINTEXT_HOSTS` (comma-separated, e.g. the
 * compose file's `argocd-sim`), and a named host still gets a warning. Called at worker start, never from
 * workflow input.
 */
export function argocdConfigFromEnv(env: NodeJS.ProcessEnv = process.env, warn: (line: string) => void = console.warn): ArgoCDConfig {
  const server = env.ARGOCD_SERVER?.trim();
  if (!server) {
    throw terminal(TERMINAL.invalidConfig, 'ARGOCD_SERVER is not set (host:port or an http(s):// URL of the Argo CD API server)');
  }
  const token = env.ARGOCD_AUTH_TOKEN?.trim();
  if (!token) {
    throw terminal(TERMINAL.invalidConfig, 'ARGOCD_AUTH_TOKEN is not set (an Argo CD account or project-role token)');
  }
  const plaintext = TRUE.has((env.ARGOCD_PLAINTEXT ?? '').trim().toLowerCase());
  const insecure = TRUE.has((env.ARGOCD_INSECURE ?? '').trim().toLowerCase());
  let url: URL;
  try {
    url = new URL(/^https?:\/\//i.test(server) ? server : `${plaintext ? 'http' : 'https'}://${server}`);
  } catch {
    throw terminal(TERMINAL.invalidConfig, `ARGOCD_SERVER is not a host:port or URL: ${JSON.stringify(server)}`);
  }
  if (url.username || url.password) {
    throw terminal(TERMINAL.invalidConfig, 'ARGOCD_SERVER must not carry credentials; use ARGOCD_AUTH_TOKEN');
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    const allowed = (env.ARGOCD_PLAINTEXT_HOSTS ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
    if (!allowed.includes(url.hostname)) {
      throw terminal(
        TERMINAL.invalidConfig,
        `ARGOCD_SERVER ${url.host}: plain HTTP would send ARGOCD_AUTH_TOKEN unencrypted; it is allowed only for loopback or a host listed in ARGOCD_PLAINTEXT_HOSTS. Use TLS (unset ARGOCD_PLAINTEXT, https://)`,
      );
    }
    warn(`promenade: warning: talking to Argo CD at ${url.host} over plain HTTP (ARGOCD_PLAINTEXT_HOSTS); the token travels unencrypted`);
  }
  const baseUrl = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  return { baseUrl, token, insecure };
}

/** A failed Argo CD call, with the server's own message; never carries the token or request headers. */
export class ArgoCDApiError extends Error {
  override readonly name = 'ArgoCDApiError';
  constructor(
    message: string,
    /** HTTP status, or undefined when no response arrived (connection error, timeout). */
    readonly status: number | undefined,
    /** gRPC code from the error body, when there was one. */
    readonly grpcCode: number | undefined,
    /** The server's message (`message` of the error body), or the connection error code. */
    readonly argoMessage: string,
    /** Application the call was about, if any. */
    readonly application?: string,
  ) {
    super(message);
  }

  get transient(): boolean {
    return this.status === undefined || this.status === 429 || this.status >= 500;
  }

  get accessDenied(): boolean {
    return this.status === 401 || this.status === 403 || this.status === 404;
  }

  get operationInProgress(): boolean {
    return this.status === 400 && /another operation is already in progress/i.test(this.argoMessage);
  }
}

/**
 * The typed failure for an error from the client: 401/403/404 are terminal ArgoCDAccessDenied, connection
 * errors, timeouts, 409/429/5xx retryable ArgoCDUnavailable; anything else is passed to `otherwise`.
 */
export function argocdFailure(
  err: unknown,
  otherwise: (e: ArgoCDApiError) => ApplicationFailure = (e) => terminal(TERMINAL.syncFailed, e.message),
): Error {
  if (!(err instanceof ArgoCDApiError)) return err instanceof Error ? err : new Error(String(err));
  if (err.accessDenied) {
    const cause =
      err.status === 401
        ? 'the token is missing, invalid or expired (ARGOCD_AUTH_TOKEN)'
        : err.status === 403
          ? 'the token lacks RBAC permission for it, or its project is wrong'
          : 'it does not exist in that project';
    return terminal(TERMINAL.argocdAccess, `Argo CD application ${err.application ?? '?'}: ${cause}; ${err.message}`);
  }
  if (err.transient || err.status === 409) return retryable(RETRYABLE.argocdUnavailable, err.message);
  return otherwise(err);
}

export interface GetOptions {
  project: string;
  /** `normal` or `hard`: the server blocks until the controller has reconciled the app. */
  refresh?: 'normal' | 'hard';
  appNamespace?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Tries for transient failures; defaults to the client's maxTries. */
  tries?: number;
}

export interface SyncOptions {
  project: string;
  /** Omit to sync to the app's targetRevision. */
  revision?: string;
  prune?: boolean;
  infos?: Info[];
  appNamespace?: string;
  signal?: AbortSignal;
}

export interface WatchOptions {
  project: string;
  resourceVersion?: string;
  appNamespace?: string;
  signal?: AbortSignal;
}

interface CallSpec {
  method: 'GET' | 'POST';
  path: string;
  query?: URLSearchParams;
  body?: unknown;
  application?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  tries?: number;
}

export class ArgoCDClient {
  /** HTTP requests made so far (every try and every stream opened), for budgets in tests and benchmarks. */
  requests = 0;
  private readonly http: Got;
  private readonly maxTries: number;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;

  constructor(private readonly config: ArgoCDConfig) {
    this.maxTries = Math.max(1, config.maxTries ?? 3);
    this.timeoutMs = config.requestTimeoutMs ?? 30_000;
    this.maxBytes = config.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.http = got.extend({
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      // Bytes counted are bytes kept: a compressed answer could inflate far past the bound.
      decompress: false,
      https: { rejectUnauthorized: !config.insecure },
      headers: {
        authorization: `Bearer ${config.token}`,
        accept: 'application/json',
        'user-agent': 'promenade',
      },
    });
  }

  get baseUrl(): string {
    return this.config.baseUrl;
  }

  async getApplication(name: string, opts: GetOptions): Promise<Application> {
    const query = new URLSearchParams({ project: opts.project });
    if (opts.refresh) query.set('refresh', opts.refresh);
    if (opts.appNamespace) query.set('appNamespace', opts.appNamespace);
    return this.call<Application>({
      method: 'GET',
      path: `/api/v1/applications/${encodeURIComponent(name)}`,
      query,
      application: name,
      signal: opts.signal,
      // A refresh blocks until the controller has reconciled; the server gives up on its own deadline.
      timeoutMs: opts.timeoutMs ?? (opts.refresh ? Math.max(this.timeoutMs, 90_000) : undefined),
      tries: opts.tries,
    });
  }

  async sync(name: string, opts: SyncOptions): Promise<Application> {
    const body: Record<string, unknown> = { name, project: opts.project, prune: opts.prune ?? false };
    if (opts.revision) body.revision = opts.revision;
    if (opts.infos?.length) body.infos = opts.infos;
    if (opts.appNamespace) body.appNamespace = opts.appNamespace;
    return this.call<Application>({
      method: 'POST',
      path: `/api/v1/applications/${encodeURIComponent(name)}/sync`,
      body,
      application: name,
      signal: opts.signal,
    });
  }

  async createApplication(app: Application, opts: { upsert?: boolean; signal?: AbortSignal } = {}): Promise<Application> {
    const query = new URLSearchParams();
    if (opts.upsert) query.set('upsert', 'true');
    return this.call<Application>({
      method: 'POST',
      path: '/api/v1/applications',
      query,
      body: app,
      application: app.metadata?.name,
      signal: opts.signal,
    });
  }

  /**
   * Events of one application from `/api/v1/stream/applications` (NDJSON; the client never asks for SSE). The
   * first event is the current state (ADDED), also when `resourceVersion` is given. Ends when the server closes
   * the stream or `signal` aborts; throws ArgoCDApiError when the server answers with an error instead of
   * events, or sends a line longer than the response bound.
   */
  async *watchApplication(name: string, opts: WatchOptions): AsyncGenerator<ApplicationWatchEvent, void, undefined> {
    const query = new URLSearchParams({ name });
    query.append('projects', opts.project);
    if (opts.resourceVersion) query.set('resourceVersion', opts.resourceVersion);
    if (opts.appNamespace) query.set('appNamespace', opts.appNamespace);
    for await (const result of this.streamResults<ApplicationWatchEvent>('/api/v1/stream/applications', query, name, opts.signal)) {
      if (result.application) yield result;
    }
  }

  /** A plain GET of any API path, with the client's retries, error mapping, size limit and redaction. */
  async get<T>(path: string, query: URLSearchParams, opts: { application?: string; signal?: AbortSignal; tries?: number } = {}): Promise<T> {
    return this.call<T>({ method: 'GET', path, query, application: opts.application, signal: opts.signal, tries: opts.tries });
  }

  /**
   * The `result` of every line of a grpc-gateway stream (NDJSON). Ends when the server closes the stream or
   * `signal` aborts; throws ArgoCDApiError for an error answer, an `error` line or a line above the size limit.
   */
  async *streamResults<T>(path: string, query: URLSearchParams, name: string, signal?: AbortSignal): AsyncGenerator<T, void, undefined> {
    const what = `GET ${path}?${query}`;
    if (signal?.aborted) return;
    this.requests++;
    const stream = this.http.stream(`${this.config.baseUrl}${path}`, {
      searchParams: query,
      signal,
      timeout: { connect: 10_000, secureConnect: 10_000, response: 30_000 },
    });
    // got emits 'response' before data; keep status for error bodies that come before any event.
    let status: number | undefined;
    stream.once('response', (res: Response) => {
      status = res.statusCode;
    });
    // The line being read, as raw chunks: decoded once whole, so a character split across chunks stays intact.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const takeLine = (last: Buffer): string => {
      pending.push(last);
      const line = Buffer.concat(pending).toString('utf8');
      pending = [];
      pendingBytes = 0;
      return line;
    };
    let errorBody = '';
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (status !== undefined && status !== 200) {
          // Only the first 500 characters make it into the error; keep a little more, never the whole body.
          if (errorBody.length < 4096) errorBody += chunk.toString('utf8');
          continue;
        }
        let from = 0;
        for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
          if (pendingBytes + nl - from > this.maxBytes) throw this.tooLarge(what, 'a stream line', name);
          const ev = this.parseStreamLine<T>(takeLine(chunk.subarray(from, nl)), what, name);
          from = nl + 1;
          if (ev) yield ev;
        }
        pending.push(chunk.subarray(from));
        pendingBytes += chunk.length - from;
        if (pendingBytes > this.maxBytes) throw this.tooLarge(what, 'a stream line', name);
      }
      if (status !== undefined && status !== 200) throw this.httpError(what, status, errorBody, name);
      const ev = this.parseStreamLine<T>(takeLine(Buffer.alloc(0)), what, name);
      if (ev) yield ev;
    } catch (err) {
      if (signal?.aborted) return;
      if (err instanceof ArgoCDApiError) throw err;
      throw this.connectionError(what, err, name);
    } finally {
      stream.destroy();
    }
  }

  private parseStreamLine<T>(raw: string, what: string, app: string): T | undefined {
    const line = raw.trim();
    if (!line) return undefined;
    let parsed: { result?: T; error?: { grpc_code?: number; http_code?: number; message?: string } };
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new ArgoCDApiError(`${what}: unreadable stream line`, 502, undefined, 'unreadable stream line', app);
    }
    if (parsed.error) {
      const msg = this.redact(parsed.error.message ?? 'stream error');
      const httpCode = parsed.error.http_code ?? 500;
      throw new ArgoCDApiError(`${what}: ${httpCode} ${msg}`, httpCode, parsed.error.grpc_code, msg, app);
    }
    return parsed.result ?? undefined;
  }

  private async call<T>(spec: CallSpec): Promise<T> {
    const url = `${this.config.baseUrl}${spec.path}`;
    const qs = spec.query?.toString();
    const what = `${spec.method} ${spec.path}${qs ? `?${qs}` : ''}`;
    let lastError: ArgoCDApiError | undefined;
    const tries = Math.max(1, spec.tries ?? this.maxTries);
    for (let attempt = 0; attempt < tries; attempt++) {
      if (attempt > 0) await backoff(attempt, spec.signal);
      if (spec.signal?.aborted) throw abortError(spec.signal);
      this.requests++;
      let res: Response<string>;
      let oversized = false;
      try {
        const request = this.http(url, {
          method: spec.method,
          searchParams: spec.query,
          // Argo CD compares the content type exactly: no charset.
          headers: spec.method === 'GET' ? {} : { 'content-type': 'application/json' },
          body: spec.method === 'GET' ? undefined : spec.body === undefined ? '' : JSON.stringify(spec.body),
          signal: spec.signal,
          // The whole exchange, body included: a server that drips its answer cannot hold the call open.
          timeout: { request: spec.timeoutMs ?? this.timeoutMs },
          responseType: 'text',
        });
        // Stop reading at the bound (at once when Content-Length announces more) instead of buffering it all.
        request.on('downloadProgress', ({ transferred, total }) => {
          if (transferred > this.maxBytes || (total ?? 0) > this.maxBytes) {
            oversized = true;
            request.cancel();
          }
        });
        res = await request;
      } catch (err) {
        if (spec.signal?.aborted) throw abortError(spec.signal);
        if (oversized) throw this.tooLarge(what, 'the answer', spec.application);
        lastError = this.connectionError(what, err, spec.application);
        continue;
      }
      if (res.statusCode >= 200 && res.statusCode < 300) {
        if (!res.body) return {} as T;
        try {
          return JSON.parse(res.body) as T;
        } catch {
          throw new ArgoCDApiError(`${what}: ${res.statusCode} with a body that is not JSON`, 502, undefined, 'not JSON', spec.application);
        }
      }
      lastError = this.httpError(what, res.statusCode, res.body, spec.application);
      if (!(lastError.status === 429 || lastError.status === 502 || lastError.status === 503 || lastError.status === 504)) {
        throw lastError;
      }
    }
    throw lastError!;
  }

  /** Not retried inside the call: the same request would get the same answer. */
  private tooLarge(what: string, part: string, app?: string): ArgoCDApiError {
    const mib = Math.round((this.maxBytes / 1024 / 1024) * 10) / 10;
    return new ArgoCDApiError(
      `${what}: ${part} is larger than ${mib} MiB (${this.maxBytes} bytes), the bound on what promenade reads from Argo CD; the rest was not read`,
      502,
      undefined,
      'response too large',
      app,
    );
  }

  private httpError(what: string, status: number, body: string, app?: string): ArgoCDApiError {
    let message = body.trim();
    let code: number | undefined;
    try {
      const parsed = JSON.parse(body) as
        | { error?: string | { message?: string; grpc_code?: number }; code?: number; message?: string }
        | undefined;
      if (parsed && typeof parsed === 'object') {
        if (typeof parsed.error === 'object' && parsed.error) {
          message = parsed.error.message ?? message;
          code = parsed.error.grpc_code;
        } else {
          message = parsed.message || (typeof parsed.error === 'string' ? parsed.error : '') || message;
          code = typeof parsed.code === 'number' ? parsed.code : undefined;
        }
      }
    } catch {
      // plain-text bodies (415 `Invalid content type`, proxies) are used as they are
    }
    message = this.redact(message.slice(0, 500)) || `HTTP ${status}`;
    return new ArgoCDApiError(`${what}: ${status} ${message}`, status, code, message, app);
  }

  private connectionError(what: string, err: unknown, app?: string): ArgoCDApiError {
    const e = err as { code?: string; name?: string; message?: string };
    const code = e?.name === 'TimeoutError' ? 'timeout' : (e?.code ?? e?.name ?? 'error');
    const detail = this.redact(String(e?.message ?? err).split('\n')[0]!.slice(0, 300));
    const tls = /CERT|SELF_SIGNED|TLS|SSL/i.test(String(code));
    const hint = tls ? '; set ARGOCD_INSECURE=true only if the certificate is known to be self-signed' : '';
    return new ArgoCDApiError(
      `${what}: cannot reach Argo CD (${code}: ${detail})${hint}`,
      undefined,
      undefined,
      String(code),
      app,
    );
  }

  private redact(text: string): string {
    return this.config.token ? text.split(this.config.token).join('[redacted]') : text;
  }
}

async function backoff(attempt: number, signal?: AbortSignal): Promise<void> {
  const base = Math.min(2_000, 250 * 2 ** (attempt - 1));
  const ms = base / 2 + Math.random() * base;
  await sleep(ms, signal);
}
