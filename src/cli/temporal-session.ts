// Every command that talks to Temporal goes through here: settings come from Temporal's own conventions
// (envconfig), and what can go wrong on the wire becomes one line and an exit code, never a stack trace.
import { Client, isGrpcServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { NamespaceNotFoundError } from '@temporalio/common';
import { connectClient, temporalSettingsFromEnv, type TemporalSettings } from '../connection.js';
import { CliError, EXIT } from './exit-codes.js';

// gRPC status codes (grpc/status.proto); numbers, so we do not import a transitive dependency.
const grpcStatus = { DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

/** Long enough for a remote Temporal Cloud namespace, short enough that CI does not hang on a typo. */
const CONNECT_TIMEOUT_MS = 5000;

export function cliTemporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  let settings: TemporalSettings;
  try {
    settings = temporalSettingsFromEnv(env);
  } catch (err) {
    throw new CliError(`Temporal settings are invalid: ${(err as Error).message} (check TEMPORAL_* variables and TEMPORAL_PROFILE / temporal.toml)`, EXIT.usage);
  }
  const address = settings.connectionOptions.address!;
  if (!/^[^\s:/]+:\d{1,5}$/.test(address) && !/^\[[0-9a-f:]+\]:\d{1,5}$/i.test(address)) {
    throw new CliError(`TEMPORAL_ADDRESS must be host:port, got "${address}"`, EXIT.usage);
  }
  return settings;
}

/** The gRPC error somewhere in the cause chain: the client wraps it in messages that drop its details. */
function grpcError(err: unknown, depth = 0): { code: number; details: string } | undefined {
  if (isGrpcServiceError(err)) return { code: err.code, details: err.details };
  const cause = (err as { cause?: unknown })?.cause;
  return cause && cause !== err && depth < 5 ? grpcError(cause, depth + 1) : undefined;
}

/** Maps a Temporal client error to a CliError; anything unrecognised is returned unchanged. */
export function temporalCliError(err: unknown, settings: TemporalSettings, promotionId?: string): unknown {
  if (err instanceof CliError) return err;
  const where = `Temporal at ${settings.connectionOptions.address} (namespace ${settings.namespace})`;
  if (err instanceof WorkflowNotFoundError) return new CliError(`no promotion "${promotionId ?? err.workflowId}" in ${where}; \`promenade list\` shows the known ones`, EXIT.notFound);
  if (err instanceof NamespaceNotFoundError) return new CliError(`namespace "${settings.namespace}" does not exist on ${where}; set TEMPORAL_NAMESPACE`, EXIT.usage);
  const message = (err as Error)?.message ?? String(err);
  const grpc = grpcError(err);
  const code = grpc?.code;
  if (code === grpcStatus.UNAVAILABLE || code === grpcStatus.DEADLINE_EXCEEDED || /Failed to connect before the deadline/.test(message)) {
    return new CliError(`cannot reach ${where}: is the server running and TEMPORAL_ADDRESS right?`, EXIT.unreachable);
  }
  if (code === grpcStatus.UNAUTHENTICATED || code === grpcStatus.PERMISSION_DENIED) {
    return new CliError(`${where} refused our credentials (${grpc?.details || message}); check TEMPORAL_API_KEY or the TLS client certificate`, EXIT.unauthorized);
  }
  if (code === grpcStatus.NOT_FOUND) {
    if (/namespace/i.test(message)) return new CliError(`namespace "${settings.namespace}" does not exist on ${where}; set TEMPORAL_NAMESPACE`, EXIT.usage);
    return new CliError(`no promotion "${promotionId ?? '?'}" in ${where}; \`promenade list\` shows the known ones`, EXIT.notFound);
  }
  // The client's own words ("Workflow Update failed") drop what the server said; keep it.
  if (grpc?.details && !message.includes(grpc.details)) return new CliError(`${message}: ${grpc.details} (gRPC status ${grpc.code})`, EXIT.failed);
  return err;
}

/**
 * The server shed or aborted a request it would take a moment later: ABORTED, RESOURCE_EXHAUSTED, UNAVAILABLE,
 * or an update aborted because the workflow task carrying it failed (FAILED_PRECONDITION, "workflow task
 * failure"; the server does not retry that one itself, see temporalio/temporal docs/architecture/workflow-update.md).
 */
export function isTransientTemporalError(err: unknown): boolean {
  const grpc = grpcError(err);
  if (!grpc) return false;
  if (grpc.code === grpcStatus.FAILED_PRECONDITION) return /workflow task failure/i.test(grpc.details);
  return grpc.code === grpcStatus.ABORTED || grpc.code === grpcStatus.RESOURCE_EXHAUSTED || grpc.code === grpcStatus.UNAVAILABLE;
}

/** Connects, runs `fn`, closes; every failure on the way is mapped by temporalCliError. */
export async function withTemporal<T>(settings: TemporalSettings, fn: (client: Client) => Promise<T>, promotionId?: string): Promise<T> {
  let client: Client;
  try {
    client = await connectClient({ ...settings, connectionOptions: { connectTimeout: CONNECT_TIMEOUT_MS, ...settings.connectionOptions } as TemporalSettings['connectionOptions'] });
  } catch (err) {
    throw temporalCliError(err, settings, promotionId);
  }
  try {
    return await fn(client);
  } catch (err) {
    throw temporalCliError(err, settings, promotionId);
  } finally {
    await client.connection.close().catch(() => {});
  }
}
