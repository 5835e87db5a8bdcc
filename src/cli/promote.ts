import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { connectClient, temporalSettingsFromEnv } from '../connection.js';
import { startPromotion } from '../client/start-promotion.js';
import { validatePromotionInput } from '../config/promotion-input.js';
import type { PromotionResult } from '../promotion.js';
import { statusQuery } from '../workflows/messages.js';
import { parseFlags, UsageError } from './args.js';

/** Exit codes of `promote --wait`, one per outcome, so CI can branch on them. */
export const PROMOTE_EXIT = { promoted: 0, failed: 1, usage: 2, rejected: 3, expired: 4, superseded: 5, rolledBack: 6, rollbackFailed: 7 } as const;

export function webUiLink(workflowId: string, namespace: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const base = env.PROMENADE_UI_URL;
  return base ? `${base.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}` : undefined;
}

export async function promoteCommand(argv: string[]): Promise<number> {
  const { flags } = parseFlags(argv, {
    app: { type: 'string' },
    image: { type: 'string' },
    'requested-by': { type: 'string' },
    meta: { type: 'list' },
    wait: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (!flags.app) throw new UsageError('--app is required (the app named in promenade.yaml, e.g. --app myapp)');
  if (!flags.image) throw new UsageError('--image is required (an image reference, e.g. --image registry.example.com/myapp:1.4.2)');
  const metadata: Record<string, string> = {};
  for (const pair of flags.meta ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UsageError(`--meta takes key=value, got "${pair}"`);
    metadata[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  let input;
  try {
    input = validatePromotionInput({
      app: flags.app,
      image: flags.image,
      requestedBy: flags['requested-by'] ?? process.env.GITHUB_ACTOR ?? process.env.GITLAB_USER_LOGIN ?? process.env.USER ?? 'ci',
      ...(Object.keys(metadata).length ? { metadata } : {}),
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const settings = temporalSettingsFromEnv();
  const client = await connectClient(settings);
  try {
    const handle = await startPromotion(client, input);
    const link = webUiLink(handle.workflowId, settings.namespace);
    if (!flags.json) console.log(`promotion ${handle.workflowId} started${link ? `\n  ${link}` : ''}`);
    if (!flags.wait) {
      if (flags.json) console.log(JSON.stringify({ workflowId: handle.workflowId, link }));
      return PROMOTE_EXIT.promoted;
    }
    let last = '';
    const follow = setInterval(async () => {
      try {
        const status = await handle.query(statusQuery);
        const line = `${status.state}${status.currentStage ? ` (${status.currentStage})` : ''}`;
        if (line !== last && !flags.json) console.log(`  ${new Date().toISOString()} ${line}`);
        last = line;
      } catch {
        /* the next tick tries again */
      }
    }, 1000);
    try {
      const result: PromotionResult = await handle.result();
      if (flags.json) console.log(JSON.stringify({ workflowId: handle.workflowId, ...result }));
      else console.log(`promotion ${handle.workflowId}: ${result.state}`);
      return result.state === 'promoted' ? PROMOTE_EXIT.promoted : result.state === 'rejected' ? PROMOTE_EXIT.rejected : result.state === 'expired' ? PROMOTE_EXIT.expired : PROMOTE_EXIT.superseded;
    } catch (err) {
      const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
      const type = cause instanceof ApplicationFailure ? cause.type : undefined;
      const message = cause?.message ?? (err as Error).message;
      if (flags.json) console.log(JSON.stringify({ workflowId: handle.workflowId, state: type, error: message }));
      else console.error(`promotion ${handle.workflowId} failed: ${message}`);
      return type === 'PromotionRolledBack' ? PROMOTE_EXIT.rolledBack : type === 'RollbackFailed' ? PROMOTE_EXIT.rollbackFailed : PROMOTE_EXIT.failed;
    } finally {
      clearInterval(follow);
    }
  } finally {
    await client.connection.close();
  }
}
