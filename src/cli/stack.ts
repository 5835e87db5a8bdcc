import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { join } from 'node:path';
import { startPromotion } from '../client/start-promotion.js';
import { promotionWorkflowId } from '../workflows/workflow-ids.js';
import { argocdKind, startLocalStack } from '../stack/local-stack.js';
import { SEED_APP } from '../bootstrap/seed-layout.js';
import { parseCommandLine, portFromEnv, portValue } from './args.js';
import { workflowLink } from './web-ui.js';

export async function stackCommand(argv: string[]): Promise<number> {
  const { flags } = parseCommandLine(
    argv,
    {
      'state-dir': { type: 'string' },
      'temporal-port': { type: 'string' },
      'ui-port': { type: 'string' },
      'argocd-port': { type: 'string' },
      'demo-image': { type: 'string' },
      'no-demo': { type: 'boolean' },
      argocd: { type: 'string' },
    },
    'promenade stack [--state-dir <dir>] [--temporal-port <p>] [--ui-port <p>] [--argocd-port <p>] [--demo-image <ref>] [--no-demo] [--argocd simulator|real]',
  );
  const env = process.env;
  const port = (flag: 'temporal-port' | 'ui-port' | 'argocd-port', variable: string, fallback: number) => {
    const raw = flags[flag];
    return raw === undefined ? portFromEnv(env, variable, fallback) : portValue(`--${flag}`, raw);
  };
  const stack = await startLocalStack({
    stateDir: flags['state-dir'] ?? env.PROMENADE_STATE_DIR ?? join(process.cwd(), '.promenade'),
    temporalPort: port('temporal-port', 'TEMPORAL_PORT', 7233),
    uiPort: port('ui-port', 'TEMPORAL_UI_PORT', 8233),
    argocdPort: port('argocd-port', 'ARGOCD_SIM_PORT', 8090),
    log: (line) => console.log(line),
    argocdKind: argocdKind(flags.argocd ?? env.PROMENADE_ARGOCD),
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the local stack...');
    await stack.stop();
  };
  const stopped = new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop().then(resolve));
    stack.worker.once('exit', (code) => {
      if (!stopping) console.error(`The worker exited (code ${code}); stopping the stack.`);
      void stop().then(resolve);
    });
  });

  const demoImage = flags['demo-image'] ?? 'nginx:1.25';
  const demoId = promotionWorkflowId(SEED_APP, demoImage);
  let demoLine = '';
  if (!flags['no-demo']) {
    const connection = await Connection.connect({ address: stack.temporal.address });
    const client = new Client({ connection, namespace: stack.temporal.namespace });
    try {
      const described = await client.workflow.getHandle(demoId).describe().catch((err) => {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      });
      if (described) demoLine = `Demo promotion ${demoId} exists already (${described.status.name}); it was not started again.`;
      else {
        await startPromotion(client, { app: SEED_APP, image: demoImage, requestedBy: 'demo-ci', metadata: { source: 'npm-start-demo' } });
        demoLine = `Demo promotion started: ${SEED_APP} -> ${demoImage}. It syncs dev, promotes staging, then waits for your approval.`;
      }
    } finally {
      await connection.close();
    }
  }

  const ui = stack.temporal.uiUrl!;
  console.log(`
promenade local stack is up.
  Temporal Web UI   ${ui}
  Temporal server   ${stack.temporal.address}
  Argo CD (${stack.argocdKind === 'real' ? 'real)    ' : 'sim)     '}${stack.argocdUrl}   (${stack.argocdLogin})
  GitOps repository ${stack.repositoryUrl}
${demoLine ? `\n${demoLine}\n  Watch it:   ${workflowLink(ui, stack.temporal.namespace, demoId)}\n  Status:     npx promenade status '${demoId}'\n  Approve:    npx promenade approve '${demoId}' --by alice\n  or:         temporal workflow signal --address ${stack.temporal.address} --workflow-id '${demoId}' --name approve --input '{"approver":"alice"}'\n` : ''}
In another terminal, point the CLI at this stack:  export TEMPORAL_ADDRESS=${stack.temporal.address}
Start another promotion:  npx promenade promote --app ${SEED_APP} --image nginx:1.27 --wait
Ctrl-C stops everything; state is kept in the state directory for the next npm start.`);
  await stopped;
  return 0;
}
