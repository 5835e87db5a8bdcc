import type { Application } from './types.js';

/**
 * The Application as the API serves it: Go's encoding/json drops empty strings and nil
 * fields (omitempty) but always emits struct-valued fields such as `status`, `health`. A copy: callers may keep it.
 */
export function presentApplication(app: Application): Application {
  const status = app.status ?? {};
  const out: Record<string, unknown> = {
    metadata: app.metadata,
    spec: app.spec,
    status: {
      ...status,
      sync: status.sync ?? { comparedTo: { source: {}, destination: {} } },
      health: status.health ?? {},
      summary: status.summary ?? {},
    },
  };
  if (app.operation) out.operation = app.operation;
  return JSON.parse(JSON.stringify(out, omitEmptyStrings)) as Application;
}

function omitEmptyStrings(_key: string, value: unknown): unknown {
  return value === '' ? undefined : value;
}
