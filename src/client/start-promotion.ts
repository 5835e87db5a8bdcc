// Starting a promotion from outside (CLI, CI, tests): validates the input before anything reaches Temporal.
import { Client, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { validatePromotionInput } from '../config/promotion-input.js';
import { promotionWorkflowId, TASK_QUEUE } from '../workflows/workflow-ids.js';
import { type PromotionInput } from '../config/promotion-input.js';
import type { promotion } from '../workflows/promotion.js';
import { PROMOTION_APP_KEY, PROMOTION_IMAGE_KEY, PROMOTION_STATE_KEY } from '../workflows/search-attributes.js';

export async function startPromotion(
  client: Client,
  raw: PromotionInput,
  options: { taskQueue?: string; workflowId?: string } = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof promotion>> {
  const input = validatePromotionInput(raw);
  return client.workflow.start<typeof promotion>('promotion', {
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowId: options.workflowId ?? promotionWorkflowId(input.app, input.image),
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: [
      { key: PROMOTION_APP_KEY, value: input.app },
      { key: PROMOTION_IMAGE_KEY, value: input.image },
      { key: PROMOTION_STATE_KEY, value: 'starting' },
    ],
    staticSummary: `Promote ${input.app} to ${input.image} (requested by ${input.requestedBy})`,
    staticDetails: promotionDetails(input),
  });
}

/** The Web UI's details of a promotion, fixed at start: what is promoted, by whom, from which pipeline, and links. */
export function promotionDetails(input: PromotionInput): string {
  const links = Object.entries(input.metadata ?? {}).filter(([, value]) => /^https?:\/\//.test(value));
  return [
    `**App**: ${input.app}`,
    `**Image**: \`${input.image}\``,
    `**Requested by**: ${input.requestedBy} (asserted)`,
    `**Pipeline**: promenade.yaml in ${input.repository ?? "the worker's repository"}`,
    ...links.map(([key, value]) => `**${key}**: [${value}](${value})`),
  ].join('\n');
}
