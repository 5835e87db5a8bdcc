import { describe, expect, it } from 'vitest';
import { blockingCondition, decideReadiness, describeApplication, type Expectation } from '../../src/argocd/readiness.js';
import { isAutoSync } from '../../src/argocd/types.js';
import { NEWER, OLD, OURS, PROMOTION, app, autoOperation, opState, ourOperation, userOperation } from './fixtures.js';

const exp: Expectation = { revision: OURS, promotionTag: PROMOTION };

describe('decideReadiness: before anyone syncs our revision', () => {
  it('a fresh app that never ran an operation needs a sync', () => {
    expect(decideReadiness(app({ sync: 'OutOfSync', syncRevision: OURS }), exp).kind).toBe('need-sync');
  });

  it('an app with no status at all (before the first reconcile) needs a sync', () => {
    const a = app();
    a.status = {};
    expect(decideReadiness(a, exp).kind).toBe('need-sync');
  });

  it('the previous promotion left the app Degraded: that is not our failure, we still need to sync', () => {
    const a = app({
      operationState: opState(ourOperation(OLD, 'promo-41'), 'Succeeded'),
      health: 'Degraded',
      sync: 'OutOfSync',
      syncRevision: OURS,
    });
    expect(decideReadiness(a, exp).kind).toBe('need-sync');
  });
});

describe('#accepted-is-not-started', () => {
  it('operation set and operationState absent right after our sync is waiting, not need-sync', () => {
    const d = decideReadiness(app({ operation: ourOperation(), sync: 'OutOfSync', syncRevision: OURS }), exp);
    expect(d).toMatchObject({ kind: 'waiting' });
    expect(d.kind === 'waiting' && d.reason).toMatch(/accepted, not started/);
  });

  it('operation set while the previous (foreign) operationState is still shown is waiting for ours', () => {
    const a = app({ operation: ourOperation(), operationState: opState(userOperation(OLD), 'Succeeded'), sync: 'OutOfSync', syncRevision: OURS });
    expect(decideReadiness(a, exp).kind).toBe('waiting');
  });
});

describe('#another-operation-in-progress', () => {
  it('a user sync in progress is a foreign operation', () => {
    const a = app({ operation: userOperation(OLD), operationState: opState(userOperation(OLD), 'Running') });
    expect(decideReadiness(a, exp)).toMatchObject({ kind: 'foreign-operation' });
  });

  it('auto-sync to another revision is foreign; auto-sync to ours is ours', () => {
    const other = app({ operation: autoOperation(OLD), operationState: opState(autoOperation(OLD), 'Running') });
    expect(decideReadiness(other, exp).kind).toBe('foreign-operation');
    const mine = app({ automated: true, operation: autoOperation(OURS), operationState: opState(autoOperation(OURS), 'Running') });
    expect(decideReadiness(mine, exp).kind).toBe('waiting');
  });

  it('another promotion syncing the very same revision is still foreign', () => {
    const a = app({ operation: ourOperation(OURS, 'promo-99') });
    expect(decideReadiness(a, exp).kind).toBe('foreign-operation');
  });

  it('a foreign operation is reported even while Terminating', () => {
    const a = app({ operation: userOperation(OLD), operationState: opState(userOperation(OLD), 'Terminating') });
    expect(decideReadiness(a, exp).kind).toBe('foreign-operation');
  });
});

describe('#retrying-is-not-final: only Succeeded, Failed and Error are final', () => {
  it('Running with finishedAt set is a retry pending, not a failure', () => {
    const a = app({
      operation: ourOperation(),
      operationState: opState(ourOperation(), 'Running', {
        finishedAt: '2026-11-26T02:00:03Z',
        message: 'one or more objects failed to apply (retrying attempt #1 at 2:00AM)',
        retryCount: 1,
      }),
    });
    const d = decideReadiness(a, exp);
    expect(d.kind).toBe('waiting');
    expect(d.kind === 'waiting' && d.reason).toMatch(/retry/);
  });

  it('our operation Failed is sync-failed with the failing resource named', () => {
    const d = decideReadiness(app({ operationState: opState(ourOperation(), 'Failed'), sync: 'OutOfSync', syncRevision: OURS }), exp);
    expect(d.kind).toBe('sync-failed');
    expect(d.kind === 'sync-failed' && d.message).toMatch(/Deployment staging\/myapp: .*Required value/);
  });

  it('our operation Error is sync-failed', () => {
    const d = decideReadiness(app({ operationState: opState(ourOperation(), 'Error', { message: 'rpc error: manifest generation failed' }) }), exp);
    expect(d).toMatchObject({ kind: 'sync-failed' });
    expect(d.kind === 'sync-failed' && d.message).toMatch(/manifest generation failed/);
  });

  it('a Failed operation that is not ours does not fail us: we need to sync', () => {
    expect(decideReadiness(app({ operationState: opState(userOperation(OLD), 'Failed') }), exp).kind).toBe('need-sync');
  });

  it('our operation Running without `operation` set (transient) is waiting', () => {
    expect(decideReadiness(app({ operationState: opState(ourOperation(), 'Running') }), exp).kind).toBe('waiting');
  });
});

describe('#stale-reconcile: Succeeded is not healthy; trust status once reconciledAt >= finishedAt', () => {
  const done = (extra: Parameters<typeof app>[0] = {}) =>
    app({ operationState: opState(ourOperation(), 'Succeeded'), syncRevision: OURS, ...extra });

  it('reconciled before finishedAt asks for a hard refresh even though it looks Synced and Healthy', () => {
    expect(decideReadiness(done({ reconciledAt: '2026-11-26T02:00:02Z' }), exp).kind).toBe('need-hard-refresh');
  });

  it('reconciledAt missing asks for a hard refresh', () => {
    expect(decideReadiness(done({ reconciledAt: '' }), exp).kind).toBe('need-hard-refresh');
  });

  it('a Degraded health from before the reconcile is stale: refresh, not degraded', () => {
    expect(decideReadiness(done({ reconciledAt: '2026-11-26T02:00:01Z', health: 'Degraded' }), exp).kind).toBe('need-hard-refresh');
  });

  it('reconciledAt equal to finishedAt (whole seconds) counts as reconciled: ready', () => {
    const d = decideReadiness(done({ reconciledAt: '2026-11-26T02:00:04Z' }), exp);
    expect(d).toMatchObject({ kind: 'ready', revision: OURS, health: 'Healthy', syncStatus: 'Synced', superseded: false });
    expect(d.kind === 'ready' && d.finishedAt).toBe('2026-11-26T02:00:04Z');
    expect(d.kind === 'ready' && d.operationStartedAt).toBe('2026-11-26T02:00:00Z');
  });

  it('reconciled and Progressing is waiting', () => {
    const d = decideReadiness(done({ health: 'Progressing', healthMessage: 'Waiting for rollout to finish: 0 of 2 updated replicas are available...' }), exp);
    expect(d.kind).toBe('waiting');
    expect(d.kind === 'waiting' && d.reason).toMatch(/Progressing: Waiting for rollout/);
  });

  it('Degraded in a reconcile of the same second as finishedAt may predate our apply: confirm, do not fail', () => {
    // Rolling back a broken rollout: the reconcile that ran just before our objects were applied still says
    // Degraded, and whole-second timestamps cannot order it against finishedAt.
    expect(decideReadiness(done({ reconciledAt: '2026-11-26T02:00:04Z', health: 'Degraded' }), exp).kind).toBe('need-hard-refresh');
    expect(decideReadiness(done({ reconciledAt: '2026-11-26T02:00:05Z', health: 'Degraded' }), exp).kind).toBe('degraded');
  });

  it('reconciled and Degraded is degraded, naming the resource', () => {
    const d = decideReadiness(
      done({ health: 'Degraded', resourceHealth: { status: 'Degraded', message: 'Deployment "myapp" exceeded its progress deadline' } }),
      exp,
    );
    expect(d.kind).toBe('degraded');
    expect(d.kind === 'degraded' && d.message).toBe('Deployment staging/myapp: Deployment "myapp" exceeded its progress deadline');
  });

  it('Missing and Suspended are not ready', () => {
    expect(decideReadiness(done({ health: 'Missing' }), exp).kind).toBe('waiting');
    expect(decideReadiness(done({ health: 'Suspended' }), exp).kind).toBe('waiting');
  });

  it('applied but OutOfSync at our revision (drift) is waiting, not ready', () => {
    expect(decideReadiness(done({ sync: 'OutOfSync' }), exp).kind).toBe('waiting');
  });
});

describe('#someone-elses-operation: check the operation is ours', () => {
  it('our Succeeded operation replaced by a later user operation: need-sync again', () => {
    const a = app({ operationState: opState(userOperation(OURS), 'Succeeded'), syncRevision: OURS });
    expect(decideReadiness(a, exp).kind).toBe('need-sync');
  });

  it('an operation of our promotion for another revision (earlier attempt, rollback) is not ours', () => {
    const a = app({ operationState: opState(ourOperation(OLD), 'Succeeded'), syncRevision: OURS, sync: 'OutOfSync' });
    expect(decideReadiness(a, exp).kind).toBe('need-sync');
  });

  it('auto-sync of our revision counts as ours and becomes ready', () => {
    const a = app({ automated: true, operationState: opState(autoOperation(OURS), 'Succeeded'), syncRevision: OURS });
    expect(decideReadiness(a, exp)).toMatchObject({ kind: 'ready', superseded: false });
  });

  it('auto-sync failure of our revision is our sync-failed', () => {
    const a = app({ automated: true, operationState: opState(autoOperation(OURS), 'Failed'), syncRevision: OURS, sync: 'OutOfSync' });
    expect(decideReadiness(a, exp).kind).toBe('sync-failed');
  });

  it('startedAfter rejects an operation state that began before the stage', () => {
    const a = app({ operationState: opState(ourOperation(), 'Succeeded'), syncRevision: OURS });
    expect(decideReadiness(a, { ...exp, startedAfter: '2026-11-26T02:00:00.900Z' }).kind).toBe('ready');
    expect(decideReadiness(a, { ...exp, startedAfter: new Date('2026-11-26T02:00:01Z') }).kind).toBe('need-sync');
  });

  it('revisions compare case-insensitively', () => {
    const a = app({ operationState: opState(ourOperation(OURS.toUpperCase()), 'Succeeded'), syncRevision: OURS });
    expect(decideReadiness(a, exp).kind).toBe('ready');
  });
});

describe('#branch-moved-on: sync.revision moves with the branch', () => {
  it('someone pushed after our successful sync: deployed and Healthy counts, flagged superseded', () => {
    const a = app({ operationState: opState(ourOperation(), 'Succeeded'), syncRevision: NEWER, sync: 'OutOfSync' });
    const d = decideReadiness(a, exp);
    expect(d).toMatchObject({ kind: 'ready', superseded: true, revision: OURS });
  });

  it('superseded but still Progressing is waiting', () => {
    const a = app({ operationState: opState(ourOperation(), 'Succeeded'), syncRevision: NEWER, sync: 'OutOfSync', health: 'Progressing' });
    expect(decideReadiness(a, exp).kind).toBe('waiting');
  });

  it('superseded and Degraded is degraded', () => {
    const a = app({ operationState: opState(ourOperation(), 'Succeeded'), syncRevision: NEWER, sync: 'OutOfSync', health: 'Degraded' });
    expect(decideReadiness(a, exp).kind).toBe('degraded');
  });

  it('our tagged sync of the branch head deployed a newer revision: not proof for ours', () => {
    const a = app({ automated: true, operationState: opState(ourOperation(NEWER), 'Succeeded'), syncRevision: NEWER });
    expect(decideReadiness(a, exp).kind).toBe('need-sync');
  });
});

describe('conditions', () => {
  it('ComparisonError after our sync keeps us waiting and is reported by blockingCondition', () => {
    const a = app({
      operationState: opState(ourOperation(), 'Succeeded'),
      syncRevision: OURS,
      conditions: [{ type: 'ComparisonError', message: 'rpc error: code = Unknown desc = kustomize build failed' }],
    });
    const d = decideReadiness(a, exp);
    expect(d.kind).toBe('waiting');
    expect(d.kind === 'waiting' && d.reason).toMatch(/ComparisonError: .*kustomize build failed/);
    expect(blockingCondition(a)?.type).toBe('ComparisonError');
  });

  it('SharedResourceWarning is not blocking', () => {
    const a = app({ operationState: opState(ourOperation(), 'Succeeded'), syncRevision: OURS, conditions: [{ type: 'SharedResourceWarning', message: 'x' }] });
    expect(blockingCondition(a)).toBeUndefined();
    expect(decideReadiness(a, exp).kind).toBe('ready');
  });
});

describe('helpers', () => {
  it('isAutoSync follows syncPolicy.automated and its enabled switch', () => {
    expect(isAutoSync(app({ automated: true }))).toBe(true);
    expect(isAutoSync(app())).toBe(false);
    const off = app({ automated: true });
    off.spec.syncPolicy!.automated!.enabled = false;
    expect(isAutoSync(off)).toBe(false);
  });

  it('describeApplication gives one line naming who operates and the short revisions', () => {
    const line = describeApplication(app({ operation: autoOperation(OURS), operationState: opState(autoOperation(OURS), 'Running'), sync: 'OutOfSync', syncRevision: OURS }));
    expect(line).toContain('operation=auto-sync->a3f5c9e');
    expect(line).toContain('sync=OutOfSync@a3f5c9e');
    expect(line).not.toContain('\n');
  });
});
