// One real Temporal dev server per test run: parallel test files attach to it with
// createFromExistingServer instead of racing to start their own. The tools come from scripts/ensure-<tool>,
// the same scripts .ci/run and `npm start` use; Chromium first, and only when the browser test is in this run,
// so a machine that cannot have it stops at once instead of after the Temporal CLI build.
import 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensure as ensureChromium } from '../scripts/ensure-chromium.js';
import { ensure as ensureOpenSsh } from '../scripts/ensure-openssh.js';
import { ensure as ensurePrometheus } from '../scripts/ensure-prometheus.js';
import { ensure as ensureTemporalCli } from '../scripts/ensure-temporal-cli.js';
import { startDevServer, type DevServer } from '../src/stack/dev-server.js';
import { freePort } from '../src/stack/ports.js';

let server: DevServer | undefined;

export default async function setup(project: TestProject) {
  if (process.env.PROMENADE_SKIP_TEMPORAL === '1') return;
  const log = (line: string) => console.log(line);
  if (await runIncludes(project, 'test/browser/')) project.provide('chromiumPath', await ensureChromium({ log }));
  // The verification tests scrape metrics with a real Prometheus (test/support/prometheus.ts asks again: it also runs without this setup).
  if (await runIncludes(project, 'test/verification/')) await ensurePrometheus({ log });
  // Verified identities sign and verify decisions with ssh-keygen, and the tests sign through a real ssh-agent.
  if (await runIncludes(project, 'test/identity/', 'test/activities/identity', 'test/cli/verified-decisions', 'test/browser/web-ui-verified')) await ensureOpenSsh({ log });
  const cliPath = await ensureTemporalCli({ log });
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

/** Whether this run has test files under any of `dirs` (or whose path starts so): every file of the config, narrowed by the command line's filters. */
async function runIncludes(project: TestProject, ...dirs: string[]): Promise<boolean> {
  // vitest keeps the command line's file filters on an internal field; without it, assume every file runs.
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  const { testFiles } = await project.globTestFiles(filters);
  return testFiles.some((file) => dirs.some((dir) => file.includes(`/${dir}`)));
}

declare module 'vitest' {
  export interface ProvidedContext {
    chromiumPath: string;
    temporalAddress: string;
    temporalCli: string;
    temporalUiUrl: string;
    workflowBundlePath: string;
  }
}
