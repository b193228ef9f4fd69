/**
 * A clock whose time moves only when a test says so ({@link FakeClock}), for the exact tests of the
 * SubmitJob rate and the retry loops.
 *
 * @module
 */
import type { Clock } from '../../src/plugins/batch/jobs/submit-rate.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A fake {@link Clock}: `sleep` resolves when {@link FakeClock.advance} passes its time.
 *
 * @example
 * ```ts
 * const clock = new FakeClock();
 * const slept = clock.sleep(1000);
 * await clock.advance(1000); // slept is resolved
 * ```
 */
export class FakeClock implements Clock {
  t = 0;
  private timers: { at: number; resolve: () => void }[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.timers.push({ at: this.t + ms, resolve }));
  }

  /** Moves time forward by `ms`, firing due timers in order (pending promise callbacks run in between). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.resolve();
    }
    this.t = end;
    await flush();
  }

  /** Advances in steps of `stepMs` until `promise` settles (at most `maxMs`); resolves its value. */
  async run<T>(promise: Promise<T>, stepMs = 100, maxMs = 3_600_000): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    watched.catch(() => {});
    for (let spent = 0; !settled && spent < maxMs; spent += stepMs) await this.advance(stepMs);
    return watched;
  }
}
