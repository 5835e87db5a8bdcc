// Scenario 3: N promotions of N different apps started at once against one GitOps repository and one worker.
// Every commit must land (checked on the branch and in the cluster), pushes are counted by a git wrapper.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runWorkflow } from '../contenders.js';
import { createLab, inParallel, countingGit, type Temporal } from '../lab.js';
import type { Row } from '../table.js';
import { describeMean, profileRun } from '../profile.js';

const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;

export function appNames(count: number, prefix = 'app'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
}

export function pipelineFor(apps: string[], environments: string): string {
  return `defaults:\n  environments: ${environments}\napps:\n${apps.map((a) => `  ${a}: {}`).join('\n')}\n`;
}

/** Contents of many files at one revision through a single `git cat-file --batch`. */
async function showMany(dir: string, specs: string[]): Promise<string[]> {
  const out: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', ['-C', dir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`cat-file exited ${code}`))));
    child.stdin.end(specs.join('\n') + '\n');
  });
  const data = Buffer.concat(out);
  const texts: string[] = [];
  let at = 0;
  while (at < data.length) {
    const eol = data.indexOf(10, at);
    const header = data.subarray(at, eol).toString();
    const size = Number(header.split(' ')[2]);
    if (header.endsWith('missing')) {
      texts.push('');
      at = eol + 1;
      continue;
    }
    texts.push(data.subarray(eol + 1, eol + 1 + size).toString());
    at = eol + 1 + size + 1;
  }
  return texts;
}

export async function manyAppsScenario(temporal: Temporal, count: number, log: (line: string) => void): Promise<Row[]> {
  const apps = appNames(count);
  const pipeline = pipelineFor(apps, '[dev, staging, { name: prod, approval: false, soak: 0s }]');
  const lab = await createLab(temporal, { apps, environments: ENVIRONMENTS, commits: 10, pipeline });
  try {
    const gitLog = join(lab.root, 'git.log');
    const shim = await countingGit(join(lab.root, 'shim'), gitLog);
    // A `promenade worker` child process, as in production: in the bench process it would share one thread with
    // the Argo CD simulator serving a hundred watch streams, and its heartbeats would starve.
    lab.spawnWorker({ PATH: `${shim}:${process.env.PATH}` });

    // One promotion alone on the same repository and worker is the yardstick for the burst.
    await runWorkflow(temporal.client, lab, apps[0]!, 'registry.local/app:warm', 'bench-many-warm');
    const one = await runWorkflow(temporal.client, lab, apps[0]!, 'registry.local/app:one', 'bench-many-one');
    log(`  one promotion: ${Math.round(one.ms)} ms`);

    const image = 'registry.local/app:burst';
    const before = (await lab.git('ls-remote', lab.repositoryUrl, 'refs/heads/main')).split(/\s/)[0]!;
    await writeFile(gitLog, '');
    const started = performance.now();
    const runs = await inParallel(apps, apps.length, (app) => runWorkflow(temporal.client, lab, app, image, `bench-many-${app}`));
    const wallMs = performance.now() - started;
    const gitRuns = (await readFile(gitLog, 'utf8')).split('\n').filter(Boolean);
    const pushes = gitRuns.filter((sub) => sub === 'push').length;
    const bySubcommand = new Map<string, number>();
    for (const sub of gitRuns) bySubcommand.set(sub, (bySubcommand.get(sub) ?? 0) + 1);
    const gitProfile = [...bySubcommand].sort(([, a], [, b]) => b - a).map(([sub, k]) => `${sub} ${k}`).join(', ');
    log(`  ${count} at once: ${Math.round(wallMs)} ms, ${pushes} pushes`);
    const profiles = await inParallel(apps, 16, (app, i) => profileRun(temporal.client, `bench-many-${app}`, runs[i]!.ms));
    const profile = describeMean(profiles);
    log(`  mean per promotion (ms): ${profile}`);

    await lab.git('fetch', '--quiet', 'origin');
    const trailers = await lab.git('log', '--format=%(trailers:key=Promenade-Promotion,valueonly)', `${before}..origin/main`);
    const landed = trailers.split('\n').filter((l) => l.startsWith('bench-many-')).length;
    // A promotion that failed and rolled back is counted as failed; lost updates are judged on the promoted ones.
    const promoted = apps.filter((_, i) => runs[i]!.state === 'promoted');
    const files = await showMany(
      join(lab.root, 'inspect'),
      promoted.flatMap((app) => ENVIRONMENTS.map((env) => `origin/main:${env}/${app}/deployment.yaml`)),
    );
    const onBranch = files.filter((text) => text.includes(`image: ${image}`)).length;
    const deployments = (lab.sim.cluster() as { deployments: Array<{ name: string; images: string[] }> }).deployments;
    const running = deployments.filter((d) => promoted.includes(d.name) && d.images[0] === image).length;
    const expected = promoted.length * ENVIRONMENTS.length;
    const lost = expected - Math.min(onBranch, running);
    const failed = apps.length - promoted.length;
    const perCommit = pushes / landed;
    const ratio = wallMs / one.ms;

    return [
      {
        scenario: `3. ${count} apps at once: lost updates`,
        figure: `${lost} lost (${promoted.length} promoted: ${onBranch}/${expected} manifests and ${running} deployments on the image; ${landed} promotion commits landed; ${failed} promotions failed)`,
        target: '0 lost updates',
        met: lost === 0 && failed === 0,
        note: `checked on the branch (commit trailers, every manifest) and in the simulated cluster${failed ? `; failures: ${[...new Set(runs.filter((r) => r.state !== 'promoted').map((r) => r.state))].slice(0, 3).join(' | ')}` : ''}`,
      },
      {
        scenario: '3. push attempts per commit',
        figure: `${perCommit.toFixed(2)} (${pushes} pushes for ${landed} commits)`,
        target: '<= 1.2',
        met: perCommit <= 1.2,
        note: `every \`git push\` the worker ran, counted by a git wrapper on its PATH; all git processes of the burst: ${gitRuns.length}, ${(gitRuns.length / count).toFixed(1)} per promotion, one at a time on one clone (${gitProfile})`,
      },
      {
        scenario: '3. wall time vs one promotion',
        figure: `${(wallMs / 1000).toFixed(1)} s = ${ratio.toFixed(1)}x one promotion (${(one.ms / 1000).toFixed(1)} s)`,
        target: '< 10x',
        met: ratio < 10,
        note: `one \`promenade worker\` child process with the shipped defaults, dev/staging/prod per app, no approval gate (prod approval: false), soak 0; mean time per promotion in each part (ms): ${profile}`,
      },
    ];
  } finally {
    await lab.close();
  }
}
