// One ID token's entry in the single-use register. Temporal refuses a second workflow with the same ID while the
// first is kept (REJECT_DUPLICATE), so starting this is an atomic "first use?" across every worker and promotion;
// the worker checks at start that the namespace keeps closed workflows longer than any token stays acceptable.
// It records who used the token and ends at once.

export interface TokenUse {
  promotionId: string;
  runId: string;
  /** The verifying activity: its own retry finds its own entry and is not a second use. */
  activityId: string;
  /** What the token vouched for: a decision at a gate, or the request that started the promotion. */
  purpose: string;
  /** Milliseconds since the epoch after which the token is refused anyway. */
  acceptableUntil: number;
}

export async function tokenUse(use: TokenUse): Promise<TokenUse> {
  return use;
}
