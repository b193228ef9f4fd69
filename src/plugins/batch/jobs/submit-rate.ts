/**
 * The run's adaptive SubmitJob rate (issue 6, point 6; Nextflow's auto-throttle, aws-batch-and-peers.md
 * §1.2): submissions are paced to {@link SUBMIT_RATE.max} per second (AWS's SubmitJob quota); a
 * throttling or server answer halves the rate (never below {@link SUBMIT_RATE.min}), answers within
 * {@link SUBMIT_RATE.burstMs} of the last slow-down count once, and after a run of
 * {@link SUBMIT_RATE.recoverAfter} successes (fewer at low rates: two seconds' worth) — only if callers
 * had to wait — the rate grows ×1.2 up to the maximum. Each change is said
 * once. Waiting callers are served in order (retries first). The clock is injected so tests are exact.
 *
 * @module
 */

/**
 * Time as the limiter sees it: tests pass a fake one.
 *
 * @example
 * ```ts
 * const clock: Clock = { now: () => performance.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
 * ```
 */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

/**
 * The real clock (`performance.now`, `setTimeout`).
 *
 * @example
 * ```ts
 * await realClock.sleep(10);
 * ```
 */
export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * The limiter's defaults.
 *
 * @example
 * ```ts
 * new SubmitRate({ max: SUBMIT_RATE.max / 2 });
 * ```
 */
export const SUBMIT_RATE = {
  /** Submissions per second at most: AWS's SubmitJob quota per account and region (not adjustable). */
  max: 50,
  /** The floor: one submission per minute. */
  min: 1 / 60,
  /** Throttled answers within this many ms of the last slow-down count once. */
  burstMs: 1000,
  /** Successes after which the rate recovers (only if callers waited meanwhile): at most this many ... */
  recoverAfter: 100,
  /** ... and at most this many seconds' worth at the current rate (so a low rate recovers in minutes). */
  recoverSeconds: 2,
  slowDownFactor: 2,
  speedUpFactor: 1.2,
  /** Longest single sleep, so cancelled waiters are noticed within this many ms. */
  tickMs: 1000,
} as const;

/**
 * Options of {@link SubmitRate}.
 *
 * @example
 * ```ts
 * const options: SubmitRateOptions = { clock: fakeClock, say: (m) => lines.push(m) };
 * ```
 */
export interface SubmitRateOptions {
  /** Upper bound and starting rate, per second (default 50). */
  readonly max?: number;
  /** Floor, per second (default 1/60). */
  readonly min?: number;
  readonly burstMs?: number;
  readonly recoverAfter?: number;
  readonly clock?: Clock;
  /** Told each rate change, once (the launcher prints it as a notice). */
  readonly say?: (message: string) => void;
}

interface Waiter {
  readonly resolve: (granted: boolean) => void;
  readonly cancelled: (() => boolean) | undefined;
  readonly retry: boolean;
}

/**
 * A rate as people read it: `50/s`, `3.1/s`, `0.9/min`.
 *
 * @example
 * ```ts
 * formatRate(1 / 60); // '1/min'
 * ```
 */
export function formatRate(perSecond: number): string {
  const round = (n: number) => String(Math.round(n * 10) / 10);
  return perSecond >= 1 ? `${round(perSecond)}/s` : `${round(perSecond * 60)}/min`;
}

/**
 * The adaptive submission rate of one run.
 *
 * @example
 * ```ts
 * const rate = new SubmitRate({ say: (m) => console.error(m) });
 * if (await rate.take()) {
 *   try { await api.submitJob(request); rate.succeeded(); } catch (err) { rate.slowDown('429'); }
 * }
 * ```
 */
export class SubmitRate {
  /** Current rate, per second. */
  rate: number;
  /** Slow-downs so far (answers de-duplicated within the burst window not counted). */
  slowDowns = 0;
  /** Recoveries so far. */
  speedUps = 0;
  private readonly max: number;
  private readonly min: number;
  private readonly burstMs: number;
  private readonly recoverAfter: number;
  private readonly clock: Clock;
  private readonly say: (message: string) => void;
  private readonly queue: Waiter[] = [];
  private tokens: number;
  private last: number;
  private pumping = false;
  private lastSlowDown: number | undefined;
  private successes = 0;
  private waited = false;

  constructor(options: SubmitRateOptions = {}) {
    this.max = options.max ?? SUBMIT_RATE.max;
    this.min = Math.min(options.min ?? SUBMIT_RATE.min, this.max);
    this.burstMs = options.burstMs ?? SUBMIT_RATE.burstMs;
    this.recoverAfter = options.recoverAfter ?? SUBMIT_RATE.recoverAfter;
    this.clock = options.clock ?? realClock;
    this.say = options.say ?? (() => {});
    this.rate = this.max;
    this.tokens = this.burst();
    this.last = this.clock.now();
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Resolves `true` when a submission may go out, `false` if `cancelled()` became true while waiting.
   * Callers are served in order; a `retry` goes before first submissions (after earlier retries).
   */
  take(options: { cancelled?: () => boolean; retry?: boolean } = {}): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = { resolve, cancelled: options.cancelled, retry: options.retry ?? false };
      if (waiter.retry) {
        const at = this.queue.findIndex((w) => !w.retry);
        this.queue.splice(at < 0 ? this.queue.length : at, 0, waiter);
      } else this.queue.push(waiter);
      void this.pump();
    });
  }

  /**
   * A submission was accepted. After a run of successes since the last change — 100 (Nextflow's rule),
   * or two seconds' worth at the current rate when that is fewer — the rate grows ×1.2 if callers had
   * to wait meanwhile.
   */
  succeeded(): void {
    this.successes++;
    if (this.successes < this.runLength()) return;
    // Checked once per run of successes: it counts only if callers had to wait during it.
    const run = this.successes;
    const waited = this.waited;
    this.successes = 0;
    this.waited = false;
    if (!waited || this.rate >= this.max) return;
    const before = this.rate;
    this.rate = Math.min(this.max, this.rate * SUBMIT_RATE.speedUpFactor);
    this.speedUps++;
    this.say(
      `@batch: ${run} submissions accepted; SubmitJob rate ${formatRate(before)} → ${formatRate(this.rate)}`,
    );
  }

  /**
   * AWS throttled (or failed on) a submission: halves the rate unless the last slow-down was less than
   * the burst window ago. Returns whether the rate changed.
   */
  slowDown(reason: string): boolean {
    const now = this.clock.now();
    if (this.lastSlowDown !== undefined && now - this.lastSlowDown < this.burstMs) return false;
    this.lastSlowDown = now;
    this.successes = 0;
    this.waited = false;
    this.refill();
    this.tokens = Math.min(this.tokens, 0);
    const before = this.rate;
    this.rate = Math.max(this.min, this.rate / SUBMIT_RATE.slowDownFactor);
    this.slowDowns++;
    this.say(
      `@batch: AWS answered SubmitJob with ${reason}; SubmitJob rate ${formatRate(before)} → ${formatRate(this.rate)} ` +
        '(throttled submissions are retried)',
    );
    return true;
  }

  /** Successes needed to recover: 100 at 50/s, two seconds' worth at lower rates, at least 1. */
  private runLength(): number {
    return Math.max(1, Math.min(this.recoverAfter, Math.ceil(this.rate * SUBMIT_RATE.recoverSeconds)));
  }

  private burst(): number {
    return Math.max(1, this.rate);
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst(), this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  private dropCancelled(): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const w = this.queue[i] as Waiter;
      if (w.cancelled?.()) {
        this.queue.splice(i, 1);
        w.resolve(false);
      }
    }
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        this.refill();
        const head = this.queue[0] as Waiter;
        if (head.cancelled?.()) {
          this.queue.shift();
          head.resolve(false);
          continue;
        }
        if (this.tokens >= 1) {
          this.tokens -= 1;
          this.queue.shift();
          head.resolve(true);
          continue;
        }
        this.waited = true;
        const ms = Math.min(SUBMIT_RATE.tickMs, ((1 - this.tokens) / this.rate) * 1000);
        await this.clock.sleep(Math.max(1, Math.ceil(ms)));
        this.dropCancelled();
      }
    } finally {
      this.pumping = false;
    }
  }
}
