// How the CLI reads what Temporal's server said: which failures are worth another try, and that the server's own
// words survive the client's wrapping ("Workflow Update failed" alone tells nobody anything).
import { ServiceError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../../src/cli/exit-codes.js';
import { isTransientTemporalError, temporalCliError } from '../../src/cli/temporal-session.js';
import type { TemporalSettings } from '../../src/connection.js';

/** What @grpc/grpc-js rejects with, wrapped the way the client wraps an update's RPC failure. */
function wrapped(code: number, details: string): ServiceError {
  const grpc = Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
  return new ServiceError('Workflow Update failed', { cause: grpc });
}

const settings = { namespace: 'default', connectionOptions: { address: '127.0.0.1:7233' } } as TemporalSettings;

describe('isTransientTemporalError', () => {
  it.each([
    [14, 'workflow update was aborted', true],
    [10, 'aborted', true],
    [8, 'namespace rate limit exceeded', true],
    [9, 'Unable to perform workflow execution update due to unexpected workflow task failure.', true],
    [9, 'some other precondition', false],
    [3, 'invalid argument', false],
    [5, 'workflow not found', false],
  ])('gRPC %i "%s": %s', (code, details, transient) => {
    expect(isTransientTemporalError(wrapped(code, details))).toBe(transient);
  });

  it('is false for anything that is not a gRPC error', () => {
    expect(isTransientTemporalError(new Error('boom'))).toBe(false);
    expect(isTransientTemporalError(undefined)).toBe(false);
  });
});

describe('temporalCliError', () => {
  it("keeps the server's words when the client's message drops them", () => {
    const mapped = temporalCliError(wrapped(9, 'some other precondition'), settings);
    expect(mapped).toBeInstanceOf(CliError);
    expect((mapped as CliError).message).toBe('Workflow Update failed: some other precondition (gRPC status 9)');
    expect((mapped as CliError).exitCode).toBe(EXIT.failed);
  });
});
