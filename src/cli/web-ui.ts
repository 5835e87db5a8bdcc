// Where a person looks at a promotion: PROMENADE_UI_URL when set, else what the address implies
// (Temporal Cloud's UI, or a local dev server's UI on its default port, the gRPC port + 1000).

export function webUiBase(address: string, namespace: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PROMENADE_UI_URL) return env.PROMENADE_UI_URL.replace(/\/+$/, '');
  const match = /^(.*):(\d+)$/.exec(address);
  if (!match) return undefined;
  const [, host, port] = match;
  if (host.endsWith('.tmprl.cloud')) return 'https://cloud.temporal.io';
  if (host === 'localhost' || host === '127.0.0.1' || host === '[::1]') return `http://${host}:${Number(port) + 1000}`;
  return undefined;
}

export function workflowLink(base: string | undefined, namespace: string, workflowId: string, runId?: string): string | undefined {
  if (!base) return undefined;
  const path = `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${path}/${encodeURIComponent(runId)}/history` : path;
}
