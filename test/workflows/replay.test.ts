// Determinism guard: every recorded history must replay against today's workflow code. A change that would
// break promotions already running in production fails here; such a change needs patched()/deprecatePatch().
// Re-record with PROMENADE_RECORD_HISTORIES=1 npm test (only when a change is meant to be incompatible and
// no old run can still be open).
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../support/promotion-environment.js';

const dir = fileURLToPath(new URL('./histories/', import.meta.url));
const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();

describe('replay of recorded histories', () => {
  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = historyFromJSON(JSON.parse(await readFile(`${dir}${file}`, 'utf8')));
    const workflowType = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
    expect(['promotion', 'appLane']).toContain(workflowType);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file);
  });
});
