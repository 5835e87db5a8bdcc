// Scenario 7: how soon a crash-looping release is rolled back. Two apps promote an image whose pods crash-loop, at
// the same time: one with fail-fast, one with `failFast: 0` (it waits for Kubernetes' progress deadline to turn the
// Deployment Degraded). The figure is the time from the stage's commit (commitImage completed) to the start of its
// rollback (revertStage scheduled), read from each run's history. At reduced scale both waits are a tenth of the
// real ones (failFast 6 s for the default 60 s, deadline 60 s for Kubernetes' 600 s), so the ratio carries over.
import { runWorkflow } from '../contenders.js';
import { createLab, type Temporal } from '../lab.js';
import type { Row } from '../table.js';

export async function failFastScenario(temporal: Temporal, scale: { failFastSeconds: number; deadlineSeconds: number }, log: (line: string) => void): Promise<Row[]> {
  const pipeline = `apps:
  fast:
    environments: [{ name: dev, failFast: ${scale.failFastSeconds}s, soak: 0s, approval: false }]
  slow:
    environments: [{ name: dev, failFast: 0, soak: 0s, approval: false }]
`;
  const lab = await createLab(
    temporal,
    { apps: ['fast', 'slow'], environments: ['dev'], commits: 2, pipeline },
    { progressDeadlineMs: scale.deadlineSeconds * 1000, crashBackoffMs: 10_000 },
  );
  try {
    await lab.startWorker();
    lab.sim.faults.failImages('registry.local/*:crash-*', 'crash');
    const ids = { fast: `bench-failfast-fast-${Date.now()}`, slow: `bench-failfast-slow-${Date.now()}` };
    log(`  promoting a crash-looping image to fast (failFast ${scale.failFastSeconds}s) and slow (failFast 0, deadline ${scale.deadlineSeconds}s)...`);
    const runs = await Promise.all([
      runWorkflow(temporal.client, lab, 'fast', 'registry.local/fast:crash-1', ids.fast),
      runWorkflow(temporal.client, lab, 'slow', 'registry.local/slow:crash-1', ids.slow),
    ]);
    for (const run of runs) if (!run.state.includes('rolled back')) throw new Error(`expected a rollback, got ${run.state}`);
    const fast = await commitToRollbackMs(temporal, ids.fast);
    const slow = await commitToRollbackMs(temporal, ids.slow);
    const ratio = fast / slow;
    const overhead = fast / 1000 - scale.failFastSeconds;
    return [
      {
        scenario: `7 commit of a crash-looping image -> rollback start (failFast ${scale.failFastSeconds}s vs failFast 0, deadline ${scale.deadlineSeconds}s)`,
        figure: `${(fast / 1000).toFixed(1)} s vs ${(slow / 1000).toFixed(1)} s, ratio ${ratio.toFixed(2)}`,
        target: `< 90 s at the default (60 s + ${overhead.toFixed(1)} s detection = ${(60 + overhead).toFixed(0)} s); ratio vs the deadline`,
        met: 60 + overhead < 90,
        note: `the fail-fast run failed ${overhead.toFixed(1)} s after its grace: the time for the first crash to show in the resource tree plus the stream's delivery; at the default 60 s grace against Kubernetes' 600 s deadline the same overhead gives about ${((60 + overhead) / (600 + (slow / 1000 - scale.deadlineSeconds))).toFixed(2)} of the deadline case`,
      },
    ];
  } finally {
    await lab.close();
  }
}

async function commitToRollbackMs(temporal: Temporal, workflowId: string): Promise<number> {
  const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const at = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
  const scheduled = (name: string) => events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === name);
  const commit = scheduled('commitImage');
  const committed = events.find((e) => e.activityTaskCompletedEventAttributes && Number(e.activityTaskCompletedEventAttributes.scheduledEventId) === Number(commit?.eventId));
  const revert = scheduled('revertStage');
  if (!committed || !revert) throw new Error(`${workflowId}: no commitImage completion or revertStage in the history`);
  return at(revert) - at(committed);
}
