// `promenade promote`: what CI runs. Starts (or, on a CI retry, attaches to) a promotion, prints its ID and
// Web UI link, and with --wait follows it to the end and exits with the outcome's code (see exit-codes.ts).
import { startPromotion } from '../client/start-promotion.js';
import { InvalidInputError, validatePromotionInput } from '../config/promotion-input.js';
import { TASK_QUEUE } from '../workflows/workflow-ids.js';
import { type PromotionInput } from '../config/promotion-input.js';
import { findIdToken, IdTokenError } from '../identity/ci-id-token.js';
import { parseCommandLine, UsageError } from './args.js';
import { EXIT } from './exit-codes.js';
import { awaitOutcome, exitCodeFor, type Outcome } from './outcome.js';
import { followPromotion } from './follow.js';
import { terminalText } from './terminal-text.js';
import { cliTemporalSettings, withTemporal } from './temporal-session.js';
import { webUiBase, workflowLink } from './web-ui.js';

export interface PromoteOutcome extends Outcome {
  workflowId: string;
  runId: string;
  link?: string;
}

export function parsePromoteArgs(argv: string[], env: NodeJS.ProcessEnv = process.env) {
  const { flags } = parseCommandLine(
    argv,
    {
      app: { type: 'string' },
      image: { type: 'string' },
      'requested-by': { type: 'string' },
      meta: { type: 'string', multiple: true },
      'allow-older': { type: 'boolean' },
      wait: { type: 'boolean' },
      json: { type: 'boolean' },
      'id-token-file': { type: 'string' },
    },
    'promenade promote --app <app> --image <ref> [--requested-by <who>] [--meta key=value]... [--allow-older] [--id-token-file <file>] [--wait] [--json]',
  );
  if (!flags.app) throw new UsageError('--app is required (the app named in promenade.yaml, e.g. --app myapp)');
  if (!flags.image) throw new UsageError('--image is required (an image reference, e.g. --image registry.example.com/myapp:1.4.2)');
  const metadata: Record<string, string> = {};
  for (const pair of flags.meta ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UsageError(`--meta takes key=value, got "${pair}"`);
    metadata[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  let input: PromotionInput;
  try {
    input = validatePromotionInput({
      app: flags.app,
      image: flags.image,
      // CI systems name who triggered the run; fall back to them so the audit trail has a person.
      requestedBy: flags['requested-by'] || env.GITHUB_ACTOR || env.GITLAB_USER_LOGIN || env.USER || 'ci',
      ...(Object.keys(metadata).length ? { metadata } : {}),
      ...(flags['allow-older'] ? { allowOlder: true } : {}),
    });
  } catch (err) {
    if (err instanceof InvalidInputError) throw new UsageError(err.message);
    throw err;
  }
  const taskQueue = env.PROMENADE_TASK_QUEUE?.trim() || TASK_QUEUE;
  return { input, taskQueue, wait: flags.wait ?? false, json: flags.json ?? false, idTokenFile: flags['id-token-file'] };
}

export async function promoteCommand(argv: string[]): Promise<number> {
  const args = parsePromoteArgs(argv);
  // CI's own ID token, when it offers one, lets the worker verify who requested the promotion.
  const idToken = await findIdToken({ file: args.idTokenFile }).catch((err) => {
    if (err instanceof IdTokenError) throw new UsageError(err.message);
    throw err;
  });
  if (idToken) args.input.requesterIdToken = idToken.token;
  const settings = cliTemporalSettings();
  const uiBase = webUiBase(String(settings.connectionOptions.address), settings.namespace);
  return withTemporal(settings, async (client) => {
    const handle = await startPromotion(client, args.input, { taskQueue: args.taskQueue });
    const runId = handle.firstExecutionRunId;
    const link = workflowLink(uiBase, settings.namespace, handle.workflowId, runId);
    const report = (outcome: Omit<PromoteOutcome, 'workflowId' | 'runId' | 'link'>) => {
      if (args.json) console.log(JSON.stringify({ workflowId: handle.workflowId, runId, ...(link ? { link } : {}), ...outcome }));
    };
    if (!args.json) console.log(`promotion ${handle.workflowId} started${idToken ? ` (requester's ID token from ${idToken.source})` : ''}${link ? `\n  ${link}` : ''}`);
    if (!args.wait) {
      report({ state: 'started' });
      return EXIT.ok;
    }

    const follower = args.json ? undefined : followPromotion(handle, { out: process.stdout, tty: Boolean(process.stdout.isTTY) });
    let outcome: Outcome;
    try {
      outcome = await awaitOutcome(handle);
    } catch (err) {
      await follower?.stop();
      throw err;
    }
    await follower?.stop(outcome.status);
    report(outcome);
    if (!args.json) {
      const line = `promotion ${handle.workflowId}: ${outcome.state}${outcome.failure ? `: ${terminalText(outcome.failure)}` : ''}`;
      (outcome.state === 'promoted' ? console.log : console.error)(line);
    }
    return exitCodeFor(outcome.state);
  });
}
