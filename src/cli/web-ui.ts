// The one home of the Temporal Web UI's address and its links, for every command and the local stack:
// PROMENADE_UI_URL when set, else what the address implies (Temporal Cloud's UI, or a local dev server's UI on
// its default port, the gRPC port + 1000).

/** The dev server listens on an IP; `localhost` may resolve to ::1 where nothing listens, so loopback is 127.0.0.1. */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1']);

export function webUiBase(address: string, namespace: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PROMENADE_UI_URL) return env.PROMENADE_UI_URL.replace(/\/+$/, '');
  const match = /^(.*):(\d+)$/.exec(address);
  if (!match) return undefined;
  const [, host, port] = match;
  if (host.endsWith('.tmprl.cloud')) return 'https://cloud.temporal.io';
  if (LOOPBACK_NAMES.has(host)) return `http://127.0.0.1:${Number(port) + 1000}`;
  if (host === '[::1]') return `http://[::1]:${Number(port) + 1000}`;
  return undefined;
}

export function workflowLink(base: string | undefined, namespace: string, workflowId: string, runId?: string): string | undefined {
  if (!base) return undefined;
  const path = `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${path}/${encodeURIComponent(runId)}/history` : path;
}
