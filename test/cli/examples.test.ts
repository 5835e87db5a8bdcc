// The CI examples are what people copy: each is parsed as YAML, its promote command line is taken from the
// file itself (with the CI system's variables filled in) and run against the local stack.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { createPromotionEnvironment, labPipeline, type PromotionEnvironment } from '../support/promotion-environment.js';
import { runCli, runInProcess } from './run-cli.js';

const PIPELINE = labPipeline({ approvers: ['alice'], required: 1, timeout: '10m', soak: '1s' });

let env: PromotionEnvironment;
const tag = randomUUID().slice(0, 8);

beforeAll(async () => {
  env = await createPromotionEnvironment({ pipeline: PIPELINE });
  await env.startWorker();
});
afterAll(async () => env?.close());

const example = async (name: string) => parseYaml(await readFile(fileURLToPath(new URL(`../../examples/${name}`, import.meta.url)), 'utf8'));

/** Splits a shell line into words the way sh does for these simple lines (double quotes, no expansions left). */
function shellWords(line: string): string[] {
  const words = line.match(/"[^"]*"|\S+/g) ?? [];
  return words.map((w) => w.replace(/^"(.*)"$/, '$1'));
}

/** `npx promenade ...` as this checkout runs it. */
function asLocalCommand(line: string): string[] {
  const words = shellWords(line);
  expect(words.slice(0, 2)).toEqual(['npx', 'promenade']);
  return words.slice(2);
}

describe('CI examples', () => {
  it('GitHub Actions: the promote step promotes to prod and exits 0', async () => {
    const workflow = await example('github-actions.yml');
    const job = workflow.jobs.promote;
    // The job may ask GitHub for its OpenID Connect token, which promote sends to prove the requester.
    expect(job.permissions).toMatchObject({ 'id-token': 'write' });
    const step = job.steps.find((s: { run?: string }) => s.run?.includes('promenade promote'));
    const image = `nginx:2.0.${tag}`;
    const values: Record<string, string> = { 'inputs.image': image, 'github.run_id': '4242', 'vars.PROMENADE_UI_URL': inject('temporalUiUrl'), 'vars.TEMPORAL_ADDRESS': env.workerEnv.TEMPORAL_ADDRESS!, 'vars.TEMPORAL_NAMESPACE': 'default', 'secrets.TEMPORAL_API_KEY': '' };
    const expand = (text: string) => text.replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_, key: string) => {
      if (!(key in values)) throw new Error(`the example uses \${{ ${key} }}, which this test does not fill in`);
      return values[key]!;
    });
    const jobEnv = Object.fromEntries(Object.entries(job.env as Record<string, string>).map(([k, v]) => [k, expand(v)]));
    expect(Object.keys(jobEnv)).toEqual(expect.arrayContaining(['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY']));
    // Nothing is pasted into the shell script by the runner: inputs arrive as the step's variables.
    expect(step.run).not.toContain('${{');
    const stepEnv = Object.fromEntries(Object.entries((step.env ?? {}) as Record<string, string>).map(([k, v]) => [k, expand(v)]));
    const shellVars = (text: string) => text.replace(/\$\{?(\w+)\}?/g, (_, name: string) => {
      if (!(name in stepEnv)) throw new Error(`the step uses $${name}, which its env does not set`);
      return stepEnv[name]!;
    });
    const args = asLocalCommand(shellVars(step.run));
    expect(args).toEqual(['promote', '--app', 'myapp', '--image', image, '--meta', 'run=4242', '--wait']);

    const id = `promote:myapp:${image}`;
    const running = runCli(args, { ...env.workerEnv, ...jobEnv, TEMPORAL_API_KEY: undefined, GITHUB_ACTOR: 'octocat' });
    await env.waitForState(id, ['awaiting-approval']);
    expect((await runInProcess(['approve', id, '--by', 'alice'], env.workerEnv)).code).toBe(0);
    const run = await running;
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain(`${inject('temporalUiUrl')}/namespaces/default/workflows/`);
    expect(run.stdout).toMatch(/prod-promote succeeded/);
    expect(run.stdout.trim().split('\n').at(-1)).toBe(`promotion ${id}: promoted`);
    expect(env.deployedImage('prod')).toBe(image);
    const status = await env.client.workflow.getHandle(id).query('status');
    expect(status).toMatchObject({ requestedBy: 'octocat' });
  });

  it('GitLab CI: the promote job exits 3 when the promotion is rejected', async () => {
    const pipeline = await example('gitlab-ci.yml');
    const job = pipeline.promote;
    expect(pipeline.stages).toContain(job.stage);
    // GitLab puts the job's ID token in PROMENADE_ID_TOKEN, where promote looks for it.
    expect(job.id_tokens).toEqual({ PROMENADE_ID_TOKEN: { aud: 'promenade' } });
    const image = `registry.example.com/acme/myapp:${tag}`;
    const values: Record<string, string> = { CI_REGISTRY_IMAGE: 'registry.example.com/acme/myapp', CI_COMMIT_SHORT_SHA: tag, CI_PIPELINE_ID: '77' };
    const expand = (text: string, vars: Record<string, string>) => text.replace(/\$\{?(\w+)\}?/g, (_, key: string) => {
      if (!(key in vars)) throw new Error(`the example uses $${key}, which this test does not fill in`);
      return vars[key]!;
    });
    const variables = Object.fromEntries(Object.entries(job.variables as Record<string, string>).map(([k, v]) => [k, expand(v, values)]));
    const line = (job.script as string[]).find((l) => l.includes('promenade promote'))!;
    const args = asLocalCommand(expand(line, { ...values, ...variables }));
    expect(args).toEqual(['promote', '--app', 'myapp', '--image', image, '--meta', 'pipeline=77', '--wait']);

    const id = `promote:myapp:${image}`;
    const running = runCli(args, { ...env.workerEnv, ...variables, GITLAB_USER_LOGIN: 'gitlab-user', GITHUB_ACTOR: '' });
    await env.waitForState(id, ['awaiting-approval']);
    const rejected = await runInProcess(['reject', id, '--by', 'alice', '--comment', 'wrong build'], env.workerEnv);
    expect(rejected.code, rejected.stderr).toBe(0);
    const run = await running;
    expect(run.code).toBe(EXIT.rejected);
    expect(run.stderr.trim()).toBe(`promotion ${id}: rejected`);
  });
});
