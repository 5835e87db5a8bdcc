// Where a promotion's time went, read from its workflow history: time inside each activity type (the same git
// and Argo CD work the floor does, plus what only the workflow does), the wait at the approval gate, and the
// rest, which is Temporal's own share (workflow tasks, timers, the client's start and result calls).
import type { Client } from '@temporalio/client';

export interface RunProfile {
  /** Client-side duration of the run. */
  totalMs: number;
  /** Summed activity time (scheduled -> completed) per activity type. */
  activities: Record<string, number>;
  /** The same per activity type and stage, e.g. `syncEnvironment dev-sync`. */
  byStage: Record<string, number>;
  /** Last activity before the approve signal completed -> the signal recorded: the gate's notice and round trip. */
  gateMs: number;
  /** Everything else: workflow tasks between activities, start, completion, result delivery. */
  orchestrationMs: number;
  workflowTasks: number;
  queuedActivities: number;
  localActivities: number;
}

/** `totalMs` defaults to the history's own span, first event to last. */
export async function profileRun(client: Client, workflowId: string, totalMs?: number): Promise<RunProfile> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const at = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
  const scheduled = new Map<string, { type: string; stage?: string; at: number }>();
  const activities: Record<string, number> = {};
  const byStage: Record<string, number> = {};
  let lastCompleted = 0;
  let gateMs = 0;
  let workflowTasks = 0;
  let lastTaskStarted = 0;
  let queuedActivities = 0;
  let localActivities = 0;
  for (const e of events) {
    if (e.activityTaskScheduledEventAttributes) {
      const attributes = e.activityTaskScheduledEventAttributes;
      let stage: string | undefined;
      try {
        stage = JSON.parse(Buffer.from(attributes.input?.payloads?.[0]?.data ?? []).toString('utf8'))?.stage;
      } catch {
        // Not JSON: no stage to report.
      }
      queuedActivities++;
      scheduled.set(String(e.eventId), { type: attributes.activityType?.name ?? '?', stage, at: at(e) });
    } else if (e.activityTaskCompletedEventAttributes) {
      const s = scheduled.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId));
      if (s) {
        activities[s.type] = (activities[s.type] ?? 0) + at(e) - s.at;
        const key = s.stage ? `${s.type} ${s.stage}` : s.type;
        byStage[key] = (byStage[key] ?? 0) + at(e) - s.at;
      }
      lastCompleted = at(e);
    } else if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') {
      // A local activity leaves one marker: its type and its own schedule and completion times are in `data`.
      localActivities++;
      const data = localActivityData(e.markerRecordedEventAttributes.details?.data?.payloads?.[0]?.data);
      if (data) {
        // Its recorded schedule time is the workflow's clock, which stands still during a task: count from the
        // task's start instead (a local activity runs inside the workflow task that scheduled it).
        const ms = Math.max(0, seconds(data.complete_time) - lastTaskStarted);
        activities[data.activity_type] = (activities[data.activity_type] ?? 0) + ms;
        byStage[data.activity_type] = (byStage[data.activity_type] ?? 0) + ms;
      }
      lastCompleted = at(e);
    } else if (e.workflowExecutionSignaledEventAttributes?.signalName === 'approve') {
      gateMs += at(e) - lastCompleted;
    } else if (e.workflowTaskStartedEventAttributes) {
      lastTaskStarted = at(e);
    } else if (e.workflowTaskCompletedEventAttributes) {
      workflowTasks++;
    }
  }
  totalMs ??= events.length ? at(events[events.length - 1]!) - at(events[0]!) : 0;
  const inActivities = Object.values(activities).reduce((a, b) => a + b, 0);
  return { totalMs, activities, byStage, gateMs, orchestrationMs: totalMs - inActivities - gateMs, workflowTasks, queuedActivities, localActivities };
}

interface LocalActivityData {
  activity_type: string;
  complete_time?: { seconds: number; nanos: number };
}

function localActivityData(bytes: Uint8Array | null | undefined): LocalActivityData | undefined {
  try {
    return bytes ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as LocalActivityData) : undefined;
  } catch {
    return undefined;
  }
}

const seconds = (t: { seconds: number; nanos: number } | undefined) => (t ? t.seconds * 1000 + t.nanos / 1e6 : 0);

export function describeProfile(p: RunProfile): string {
  const parts = Object.entries(p.activities).map(([type, ms]) => `${type} ${Math.round(ms)}`);
  return `${parts.join(', ')}, gate ${Math.round(p.gateMs)}, Temporal ${Math.round(p.orchestrationMs)} over ${p.workflowTasks} workflow tasks (ms)`;
}

/** Mean time per part over many runs, largest first: what a burst of promotions spends its time on. */
export function describeMean(profiles: RunProfile[]): string {
  const sums: Record<string, number> = {};
  for (const p of profiles) {
    for (const [key, ms] of Object.entries(p.byStage)) sums[key] = (sums[key] ?? 0) + ms;
    sums.Temporal = (sums.Temporal ?? 0) + p.orchestrationMs;
  }
  return Object.entries(sums)
    .sort(([, a], [, b]) => b - a)
    .map(([key, ms]) => `${key} ${Math.round(ms / profiles.length)}`)
    .join(', ');
}
