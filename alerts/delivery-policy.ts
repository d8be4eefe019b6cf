/**
 * Per-channel delivery policy on the wall clock (delivery is operational time, not event time):
 * a token bucket for rate limits, and exponential backoff with "equal jitter" for retries (AWS
 * Architecture Blog, "Exponential Backoff And Jitter"): the jitter spreads the retries of many
 * failed deliveries so a recovering receiver is not hit by all of them at once, and the fixed
 * half keeps each wait at least half the exponential step.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perMinute) / 60_000);
    this.last = now;
  }

  /** Takes a token if one is there. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until the next token. */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 60_000) / this.perMinute);
  }
}

/** Delay before attempt `attempts + 1`, given `attempts` failed ones (≥ 1). */
export function backoffMs(
  attempts: number,
  policy: { baseDelay: number; maxDelay: number },
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelay, policy.baseDelay * 2 ** Math.min(attempts - 1, 30));
  return Math.round(cap / 2 + (random() * cap) / 2);
}
