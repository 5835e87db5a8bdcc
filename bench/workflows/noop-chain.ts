// Temporal's own floor on this machine: a chain of activities that do nothing, queued or local. What one step of
// the promotion costs beyond its git and Argo CD work is bounded below by this round trip.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

interface Noop {
  noop(): Promise<void>;
}

const queued = proxyActivities<Noop>({ startToCloseTimeout: '1 minute' });
const local = proxyLocalActivities<Noop>({ startToCloseTimeout: '1 minute' });

export async function noopChain(steps: number, kind: 'queued' | 'local'): Promise<void> {
  for (let i = 0; i < steps; i++) await (kind === 'local' ? local : queued).noop();
}
