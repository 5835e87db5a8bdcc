// Repositories belong to the worker, end to end on the real dev server: a promotion that names a repository the
// worker does not serve, or an app of another of its repositories, fails at start with nothing fetched and no
// credentials sent (a local HTTP server records every request); a promenade.yaml that points an environment at an
// Argo CD project outside its repository's list fails before anything is committed.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPromotionEnvironment, TEST_PIPELINE, type PromotionEnvironment } from '../support/promotion-environment.js';

let env: PromotionEnvironment;
let base: string;
const seen: Array<{ path: string; authorization: string }> = [];
const server = createServer((req, res) => {
  seen.push({ path: req.url ?? '', authorization: req.headers.authorization ?? '' });
  res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  env = await createPromotionEnvironment();
  env.settings.repositories = {
    localAllowed: true,
    list: [
      { url: env.repositoryUrl, projects: ['default'], apps: ['myapp'], default: true },
      { url: `${base}/org/team.git`, credentials: { kind: 'https', username: 'team-bot', token: 'team-secret' }, projects: ['team'], apps: ['team-app'], default: false },
    ],
  };
  await env.startWorker();
});

afterAll(async () => {
  await env?.close();
  server.close();
});

async function failsAtStart(input: { app: string; repository?: string }): Promise<string> {
  const handle = await env.promote({ image: 'nginx:1.27', ...input });
  const status = await env.waitForState(handle.workflowId, ['failed']);
  await expect(handle.result()).rejects.toThrow();
  return status.failure ?? '';
}

describe('repositories the worker serves', () => {
  it('refuses a repository it does not list, an app of another repository, with nothing fetched and no credentials sent', async () => {
    const head = await env.git('ls-remote', 'origin', 'refs/heads/main');
    expect(await failsAtStart({ app: 'myapp', repository: `${base}/attacker/gitops.git` })).toMatch(
      /^start: input\.repository is not one of the repositories this worker serves .*: http:\/\/127\.0\.0\.1:\d+\/attacker\/gitops\.git/,
    );
    expect(await failsAtStart({ app: 'myapp', repository: `${base}/org/team.git` })).toMatch(/^start: app myapp belongs to another repository of this worker/);
    expect(await failsAtStart({ app: 'team-app', repository: env.repositoryUrl })).toMatch(/^start: app team-app belongs to another repository of this worker/);
    // Not one request reached the server: no fetch, no credentials, for the foreign URL nor the listed one.
    expect(seen).toEqual([]);
    expect(await env.git('ls-remote', 'origin', 'refs/heads/main')).toBe(head);
  });

  it("refuses an environment in an Argo CD project outside its repository's list before committing anything", async () => {
    const pipeline = TEST_PIPELINE.replace('  myapp:\n', '  myapp:\n    project: payments\n');
    expect(pipeline).toContain('project: payments');
    const head = await env.commitFile('promenade.yaml', pipeline, 'myapp moves to the payments project');
    const failure = await failsAtStart({ app: 'myapp' });
    expect(failure).toMatch(/^start: environment dev: Argo CD application myapp-dev is in project payments, where applications of .* may not live \(the worker's configuration allows: default\)/);
    expect((await env.git('ls-remote', 'origin', 'refs/heads/main')).split('\t')[0]).toBe(head);
  });
});
