// A promotion's side of its app's lane (app-lane.ts): it says where it stands in its own status, nudges the lane,
// and acts only on what the lane answers when asked. A `lane` signal is a reason to ask, never an order: anyone
// who can signal a workflow could send one.
import { ActivityCancellationType, CancellationScope, condition, log, proxyActivities } from '@temporalio/workflow';
import type { LaneDecision, LaneRequest, PromotionActivities } from './contract.js';
import { isLaneNotice } from './messages.js';
import type { PromotionStatus } from './promotion-status.js';

/** The lane stopped this promotion: a newer one has the environment. Not a failure, and nothing is rolled back. */
export class LaneSuperseded extends Error {
  constructor(
    readonly by: string,
    readonly environment: string,
  ) {
    super(`superseded by ${by} in ${environment}`);
    this.name = 'LaneSuperseded';
  }
}

/** Waited longer than the gate's timeout for another promotion to leave an environment. */
export class LaneWaitExpired extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LaneWaitExpired';
  }
}

// Queued, not local: the lane answers by querying this promotion, which a workflow task held open by a local
// activity could not answer until the activity ended. Retried without a cap: the lane is always there again.
const { readLane } = proxyActivities<PromotionActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/** While waiting, ask again this often even without a nudge (and say again where we stand: the lane may have missed it). */
const RECHECK_MS = 60_000;

export class LaneSeat {
  private nudged = false;

  constructor(
    private readonly app: string,
    private readonly promotionId: string,
    private readonly status: PromotionStatus,
    private readonly nudgeLane: () => Promise<void>,
  ) {
    status.laneVersion = 2;
  }

  /** The `lane` signal handler. */
  onSignal(message: unknown): void {
    if (!isLaneNotice(message)) {
      log.warn('lane signal dropped: not a lane notice', { promotionId: this.promotionId });
      return;
    }
    this.nudged = true;
  }

  /** The lane has asked us to look. */
  get nudgedSince(): boolean {
    return this.nudged;
  }

  async ask(): Promise<LaneDecision> {
    this.nudged = false;
    return readLane.executeWithOptions({ summary: `ask ${this.app}'s lane where this promotion stands` }, [{ app: this.app, promotionId: this.promotionId }]);
  }

  /** Stand at `request` (a gate, or an environment's door) and tell the lane. */
  async stand(request: LaneRequest): Promise<void> {
    this.status.lane = request;
    await this.nudgeLane();
  }

  /** Waits until the lane lets us into the environment; throws LaneSuperseded, or LaneWaitExpired after `boundMs`. */
  async enter(request: LaneRequest, boundMs?: number): Promise<void> {
    await this.stand({ ...request, atGate: false });
    const deadline = boundMs === undefined ? undefined : Date.now() + boundMs;
    for (;;) {
      const decision = await this.ask();
      if (decision.kind === 'enter' && decision.environment === request.environment) {
        this.status.waiting = undefined;
        return;
      }
      if (decision.kind === 'superseded') throw new LaneSuperseded(decision.by, decision.environment);
      this.status.waiting =
        decision.kind === 'wait' && decision.for
          ? `waiting for ${decision.for} to leave ${request.environment}`
          : `waiting for the lane to let us into ${request.environment}`;
      const left = deadline === undefined ? RECHECK_MS : Math.min(RECHECK_MS, deadline - Date.now());
      if (left <= 0) throw new LaneWaitExpired(`${this.status.waiting}: gave up after ${Math.round(boundMs! / 1000)}s`);
      if (!(await condition(() => this.nudged, left))) await this.nudgeLane();
    }
  }

  /**
   * Runs a step inside an environment. If the lane says meanwhile that we are superseded, the step is cancelled
   * and awaited until it has really stopped (so it cannot touch the environment after the newer promotion
   * came in), then LaneSuperseded is thrown.
   */
  async guard<T>(step: () => Promise<T>): Promise<T> {
    let settled = false;
    const scope = new CancellationScope();
    const work = scope.run(step);
    work.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (;;) {
      await condition(() => settled || this.nudged);
      if (settled) return work;
      const decision = await this.ask();
      if (decision.kind === 'superseded') {
        scope.cancel();
        await work.catch(() => undefined);
        throw new LaneSuperseded(decision.by, decision.environment);
      }
    }
  }

  /** Done with the lane (ended, or rolled back): say so. */
  async leave(): Promise<void> {
    this.status.lane = undefined;
    this.status.waiting = undefined;
    await this.nudgeLane();
  }
}

/** Steps run under guard() wait for their cancellation to complete, so a superseded step has stopped when it returns. */
export const GUARDED_STEP_CANCELLATION = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED;
