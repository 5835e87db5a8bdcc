// The Argo CD half of `promenade bootstrap`: the three Applications of the lab for one app, created through
// Argo CD's API. An existing Application that points elsewhere or syncs differently is a conflict; one that
// matches is left alone, so a second run changes nothing.
import { ArgoCDApiError, ArgoCDClient } from '../argocd/client.js';
import type { Application } from '../argocd/types.js';
import { seedApplications } from './seed-layout.js';

export type DesiredApplication = ReturnType<typeof seedApplications>[number];

export interface ApplicationsPlan {
  missing: DesiredApplication[];
  conflicts: Array<{ name: string; reason: string }>;
}

function differences(live: Application, desired: DesiredApplication): string[] {
  const out: string[] = [];
  const ls = live.spec?.source;
  const ds = desired.spec.source;
  if (ls?.repoURL !== ds.repoURL) out.push(`repoURL is ${ls?.repoURL}`);
  if (ls?.path !== ds.path) out.push(`path is ${ls?.path}`);
  if ((ls?.targetRevision || 'HEAD') !== ds.targetRevision) out.push(`targetRevision is ${ls?.targetRevision || 'HEAD'}`);
  if (live.spec?.destination?.namespace !== desired.spec.destination.namespace) out.push(`destination namespace is ${live.spec?.destination?.namespace}`);
  const automated = live.spec?.syncPolicy?.automated;
  const wantAutomated = (desired.spec.syncPolicy as { automated?: { prune: boolean; selfHeal: boolean } }).automated;
  if (Boolean(automated) !== Boolean(wantAutomated)) out.push(automated ? 'it syncs automatically' : 'it does not sync automatically');
  else if (automated && wantAutomated && (Boolean(automated.prune) !== wantAutomated.prune || Boolean(automated.selfHeal) !== wantAutomated.selfHeal)) out.push('prune/selfHeal differ');
  if (!(live.spec?.syncPolicy?.syncOptions ?? []).includes('CreateNamespace=true')) out.push('CreateNamespace=true is missing');
  return out;
}

export async function planApplications(client: ArgoCDClient, desired: DesiredApplication[]): Promise<ApplicationsPlan> {
  const plan: ApplicationsPlan = { missing: [], conflicts: [] };
  for (const app of desired) {
    let live: Application;
    try {
      live = await client.getApplication(app.metadata.name, { project: app.spec.project, tries: 1 });
    } catch (err) {
      // Argo CD answers 404 for an Application that does not exist; 403 may hide one we may not see.
      if (err instanceof ArgoCDApiError && err.status === 404) {
        plan.missing.push(app);
        continue;
      }
      throw err;
    }
    const diff = differences(live, app);
    if (diff.length) plan.conflicts.push({ name: app.metadata.name, reason: diff.join('; ') });
  }
  return plan;
}
