// One real Temporal dev server per test run: parallel test files attach to it with
// createFromExistingServer instead of racing to start their own.
import 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { resolveTemporalCli } from '../src/stack/temporal-cli.js';
import { startDevServer, type DevServer } from '../src/stack/dev-server.js';
import { freePort } from '../src/stack/ports.js';

let server: DevServer | undefined;

export default async function setup(project: TestProject) {
  if (process.env.PROMENADE_SKIP_TEMPORAL === '1') return;
  const cliPath = await resolveTemporalCli({ log: (line) => console.log(line) });
  // Worker processes spawned by the tests load this instead of bundling the workflow code each time.
  const { bundleWorkflowCode, DefaultLogger } = await import('@temporalio/worker');
  const { workflowsPath } = await import('../src/worker.js');
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') });
  const bundleDir = await mkdtemp(join(tmpdir(), 'promenade-bundle-'));
  const bundlePath = join(bundleDir, 'workflows.js');
  await writeFile(bundlePath, code);
  project.provide('workflowBundlePath', bundlePath);
  server = await startDevServer({ cliPath, port: await freePort(), uiPort: await freePort(), headless: false });
  project.provide('temporalAddress', server.address);
  project.provide('temporalCli', cliPath);
  project.provide('temporalUiUrl', server.uiUrl ?? '');
  return async () => {
    await server?.stop();
    await rm(bundleDir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalCli: string;
    temporalUiUrl: string;
    workflowBundlePath: string;
  }
}
