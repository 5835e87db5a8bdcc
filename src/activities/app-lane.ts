// The promotion reaches its app's lane through these: signal-with-start is a client call, which workflow code
// cannot make, and it lets the lane workflow finish when idle and come back on the next message.
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { laneWorkflowId } from '../workflows/workflow-ids.js';
import type { LaneMessage } from '../workflows/contract.js';
import { laneRequestSignal } from '../workflows/messages.js';

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
  };
}
