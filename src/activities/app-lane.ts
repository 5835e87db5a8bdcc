// The lane's and the promotions' calls to Temporal: signal-with-start is a client call, which workflow code
// cannot make; describing a run and querying a workflow are too. Thin: the rules live in workflows/lane-rules.ts.
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { laneWorkflowId } from '../workflows/workflow-ids.js';
import type { LaneDecision, LaneMessage, PromotionSighting } from '../workflows/contract.js';
import { standingFromStatus } from '../workflows/lane-rules.js';
import { laneRequestSignal, laneViewQuery, statusQuery } from '../workflows/messages.js';

/** A lane looks at no more promotions than this at once (a flood of forged names cannot make it describe thousands). */
const MAX_INSPECTED = 100;

export function createAppLaneActivities(client: Client, taskQueue: string) {
  return {
    async signalAppLane({ app, message }: { app: string; message: LaneMessage }): Promise<void> {
      await client.workflow.signalWithStart('appLane', {
        workflowId: laneWorkflowId(app, taskQueue),
        taskQueue,
        args: [{}],
        signal: laneRequestSignal,
        signalArgs: [message],
      });
    },

    async isPromotionRunning({ promotionId }: { promotionId: string }): Promise<boolean> {
      try {
        const description = await client.workflow.getHandle(promotionId).describe();
        return description.status.name === 'RUNNING';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },

    async readLane({ app, promotionId }: { app: string; promotionId: string }): Promise<LaneDecision> {
      try {
        const view = await client.workflow.getHandle(laneWorkflowId(app, taskQueue)).query(laneViewQuery);
        return view.decisions[promotionId] ?? { kind: 'unknown' };
      } catch (err) {
        // No lane yet (or it is between runs): the promotion says where it stands again and asks later.
        if (err instanceof WorkflowNotFoundError) return { kind: 'unknown' };
        throw err;
      }
    },

    async inspectPromotions({ app, promotionIds }: { app: string; promotionIds: string[] }): Promise<PromotionSighting[]> {
      return Promise.all([...new Set(promotionIds)].slice(0, MAX_INSPECTED).map((promotionId) => inspect(client, taskQueue, app, promotionId)));
    },
  };
}

/** Is it a running promotion of this app on this task queue (Temporal's word, not the message's), and where does it stand (its own word)? */
async function inspect(client: Client, taskQueue: string, app: string, promotionId: string): Promise<PromotionSighting> {
  const handle = client.workflow.getHandle(promotionId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { promotionId, running: false };
    throw err;
  }
  if (description.type !== 'promotion' || description.taskQueue !== taskQueue || description.status.name !== 'RUNNING') return { promotionId, running: false };
  const startedAt = description.startTime.getTime();
  let status;
  try {
    status = await handle.query(statusQuery);
  } catch {
    return { promotionId, running: true, startedAt, unanswered: true };
  }
  if (status?.app !== app) return { promotionId, running: false };
  return { promotionId, running: true, startedAt, state: status.state, ...standingFromStatus(status) };
}
