// One real Temporal dev server per test run: parallel test files attach to it with
// createFromExistingServer instead of racing to start their own.
import 'vitest';
import type { TestProject } from 'vitest/node';
import { resolveTemporalCli } from '../src/stack/temporal-cli.js';
import { startDevServer, type DevServer } from '../src/stack/dev-server.js';
import { freePort } from '../src/stack/ports.js';

let server: DevServer | undefined;

export default async function setup(project: TestProject) {
  if (process.env.PROMENADE_SKIP_TEMPORAL === '1') return;
  const cliPath = await resolveTemporalCli({ log: (line) => console.log(line) });
  server = await startDevServer({ cliPath, port: await freePort(), uiPort: await freePort(), headless: false });
  project.provide('temporalAddress', server.address);
  project.provide('temporalCli', cliPath);
  project.provide('temporalUiUrl', server.uiUrl ?? '');
  return async () => {
    await server?.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalCli: string;
    temporalUiUrl: string;
  }
}
