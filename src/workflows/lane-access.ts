// A promotion's side of its app lane as promotions started before lane-v2 speak it (see lane-seat.ts for today's):
// claim a place while waiting for approval, ask to enter prod once approved, release on the way out, and hear back
// through the `lane` signal. Kept so those runs replay; malformed signals are dropped rather than failing a task.
import { condition, log, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PromotionActivities } from './contract.js';
import { isLaneNotice, laneSignal } from './messages.js';

type LaneStanding = 'none' | 'claimed' | 'prod-cleared' | 'superseded';

export class LaneAccess {
  private standing: LaneStanding = 'none';
  /** The promotion that superseded this one, as the lane named it. */
  supersededBy?: string;

  constructor(
    private readonly app: string,
    private readonly promotionId: string,
    private readonly signalAppLane: PromotionActivities['signalAppLane'],
  ) {}

  listen(): void {
    setHandler(laneSignal, (message: unknown) => {
      if (!isLaneNotice(message)) {
        log.warn('lane signal dropped: not a lane notice', { promotionId: this.promotionId });
        return;
      }
      const { kind, by } = message;
      if (kind === 'superseded' && this.standing !== 'prod-cleared') {
        this.standing = 'superseded';
        this.supersededBy = by;
      } else if (kind === 'prod-cleared' && this.standing === 'claimed') {
        this.standing = 'prod-cleared';
      }
    });
  }

  get superseded(): boolean {
    return this.standing === 'superseded';
  }

  /** Whether this promotion ever took part in the lane (and so must release it). */
  get joined(): boolean {
    return this.standing !== 'none';
  }

  /** Takes a place in the lane as the promotion waiting for approval; once per promotion. */
  async claim(): Promise<void> {
    if (this.standing !== 'none') return;
    this.standing = 'claimed';
    await this.signalAppLane({ app: this.app, message: { kind: 'claim', promotionId: this.promotionId, startedAt: workflowInfo().startTime.getTime() } });
  }

  /** Asks to go past the gate and waits until the lane clears prod, or supersedes this promotion. */
  async enterProd(): Promise<'approved' | 'superseded'> {
    await this.signalAppLane({ app: this.app, message: { kind: 'enter-prod', promotionId: this.promotionId } });
    await condition(() => this.standing === 'prod-cleared' || this.standing === 'superseded');
    return this.superseded ? 'superseded' : 'approved';
  }

  async release(): Promise<void> {
    await this.signalAppLane({ app: this.app, message: { kind: 'release', promotionId: this.promotionId } });
  }
}
