/**
 * Holds a rate. It starts empty, so a run of N seconds sends N seconds' worth, and it holds at
 * most a tenth of a second's tokens (at least one), so a stall is not followed by a flood.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private rate: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = 0;
    this.last = this.now();
  }

  get currentRate(): number {
    return this.rate;
  }

  setRate(rate: number): void {
    this.refill();
    this.rate = rate;
    this.tokens = Math.min(this.tokens, this.burst());
  }

  /** Takes up to `wanted` tokens now; returns how many were taken. */
  tryTake(wanted: number): number {
    this.refill();
    const taken = Math.min(wanted, Math.floor(this.tokens));
    this.tokens -= taken;
    return taken;
  }

  /** Milliseconds until the next whole token. */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.rate) * 1000;
  }

  private burst(): number {
    return Math.max(1, this.rate / 10);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst(), this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }
}
