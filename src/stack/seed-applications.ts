// Puts the seed lab's Argo CD side in place through Argo CD's own API (so it works against a real server too):
// upsert the three Applications, then sync each once, as the lab does by hand, and wait until all are healthy.
import { setTimeout as sleep } from 'node:timers/promises';
import { ArgoCDClient } from '../argocd/client.js';
import type { Application } from '../argocd/types.js';

export async function argocdSessionToken(baseUrl: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new Error(`Argo CD at ${baseUrl} refused the login of ${username}: HTTP ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

export async function installSeedApplications(client: ArgoCDClient, applications: Application[], options: { timeoutMs?: number } = {}): Promise<void> {
  for (const app of applications) await client.createApplication(app, { upsert: true });
  const project = (app: Application) => app.spec?.project ?? 'default';
  for (const app of applications) {
    const live = await client.getApplication(app.metadata.name, { project: project(app), refresh: 'normal' });
    // Auto-sync apps sync themselves; a manual app that was never synced gets its first sync here.
    if (!live.spec?.syncPolicy?.automated && !live.status?.operationState && !live.operation) {
      await client.sync(app.metadata.name, { project: project(app) });
    }
  }
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (const app of applications) {
    for (;;) {
      const live = await client.getApplication(app.metadata.name, { project: project(app) });
      if (live.status?.sync?.status === 'Synced' && live.status?.health?.status === 'Healthy' && !live.operation) break;
      if (Date.now() > deadline) throw new Error(`${app.metadata.name} did not become Synced and Healthy (sync ${live.status?.sync?.status}, health ${live.status?.health?.status})`);
      await sleep(200);
    }
  }
}
