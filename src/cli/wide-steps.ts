/**
 * What the console prints for a wide step (a foreach whose tasks run by the hundreds): once more than
 * {@link WIDE_STEP_TASKS} of a step's tasks are in flight at once, its tasks' starts, successes and output
 * lines are no longer printed (they stay in the datastore: `stepflow logs`); a progress line with its
 * counts is printed at most every {@link WIDE_PROGRESS_MS} and when the step ends, and every failure as it
 * happens. Steps with fewer tasks print as before.
 *
 * @module
 */

/**
 * More tasks of one step in flight at once than this makes the step wide.
 *
 * @example
 * ```ts
 * if (running > WIDE_STEP_TASKS) printProgressInstead();
 * ```
 */
export const WIDE_STEP_TASKS = 20;

/**
 * The least time between two progress lines of a wide step (ms).
 *
 * @example
 * ```ts
 * if (now - last >= WIDE_PROGRESS_MS) printProgress();
 * ```
 */
export const WIDE_PROGRESS_MS = 5000;

/** One step's counts, as the reporter saw its events. */
interface StepCounts {
  readonly prefix: string;
  total: number;
  running: number;
  done: number;
  failed: number;
  retrying: number;
  wide: boolean;
  ended: boolean;
  lastPrint: number;
}

/**
 * Per step, the counts of its tasks by state and whether it is wide; says what to print.
 *
 * @example
 * ```ts
 * const wide = new WideSteps(Date.now, (line) => console.log(line));
 * wide.started('F/7/train/9', 0); // true when its line should not be printed
 * ```
 */
export class WideSteps {
  private readonly steps = new Map<string, StepCounts>();

  constructor(
    private readonly now: () => number,
    private readonly print: (line: string) => void,
  ) {}

  private of(pathspec: string): StepCounts {
    const parts = pathspec.split('/');
    const key = parts.slice(0, 3).join('/');
    let counts = this.steps.get(key);
    if (!counts) {
      counts = {
        prefix: key,
        total: 0,
        running: 0,
        done: 0,
        failed: 0,
        retrying: 0,
        wide: false,
        ended: false,
        lastPrint: 0,
      };
      this.steps.set(key, counts);
    }
    return counts;
  }

  /** True when the task's lines are not printed (its step is wide). */
  quiet(pathspec: string): boolean {
    return this.steps.get(pathspec.split('/').slice(0, 3).join('/'))?.wide === true;
  }

  /** An attempt started; true when its line is not printed. */
  started(pathspec: string, attempt: number): boolean {
    const s = this.of(pathspec);
    s.running++;
    if (attempt > 0 && s.retrying > 0) s.retrying--;
    if (!s.wide && s.running > WIDE_STEP_TASKS) {
      s.wide = true;
      const step = s.prefix.split('/')[2];
      this.print(
        `output of the ${Math.max(s.total, s.running)} tasks of step ${step} is not printed; see \`stepflow logs ${s.prefix}\``,
      );
      this.progress(s, true);
      return true;
    }
    this.progress(s, false);
    return s.wide;
  }

  /** A task was cloned (resume); true when its line is not printed. */
  cloned(pathspec: string): boolean {
    const s = this.of(pathspec);
    s.done++;
    if (!s.wide && s.done > WIDE_STEP_TASKS && s.running === 0) {
      s.wide = true;
      this.print(`cloned tasks of step ${s.prefix.split('/')[2]} are not listed one by one`);
    }
    this.progress(s, false);
    return s.wide;
  }

  /** An attempt ended; true when its line is not printed (a failure is always printed). */
  finished(pathspec: string, ok: boolean, willRetry: boolean): boolean {
    const s = this.of(pathspec);
    s.running = Math.max(0, s.running - 1);
    if (ok) s.done++;
    else if (willRetry) s.retrying++;
    else s.failed++;
    this.progress(s, false);
    return s.wide && ok;
  }

  /** The scheduler's count of a step's tasks so far (wide foreach steps only). */
  total(step: string, pathPrefix: string | undefined, total: number): void {
    if (!pathPrefix) return;
    const s = this.of(`${pathPrefix}/${step}/0`);
    s.total = Math.max(s.total, total);
    this.progress(s, false);
  }

  /** True once a step is wide (the reporter then ticks {@link WideSteps.tick}). */
  get anyWide(): boolean {
    for (const s of this.steps.values()) if (s.wide && !s.ended) return true;
    return false;
  }

  /** Prints the progress line of each wide step whose last one is old enough (called on a timer). */
  tick(): void {
    for (const s of this.steps.values()) this.progress(s, false);
  }

  /** Prints the last progress line of every wide step not yet ended (the run ended). */
  finish(): void {
    for (const s of this.steps.values()) if (s.wide && !s.ended) this.line(s);
  }

  private progress(s: StepCounts, force: boolean): void {
    if (!s.wide || s.ended) return;
    const settled = s.done + s.failed;
    if (s.total > 0 && settled >= s.total && s.running === 0) {
      s.ended = true;
      this.line(s);
    } else if (force || this.now() - s.lastPrint >= WIDE_PROGRESS_MS) {
      this.line(s);
    }
  }

  private line(s: StepCounts): void {
    s.lastPrint = this.now();
    const queued = Math.max(0, s.total - s.done - s.failed - s.running - s.retrying);
    this.print(
      `[${s.prefix}] ${s.done}/${Math.max(s.total, s.done + s.failed + s.running)} done: ` +
        `${queued} queued, ${s.running} running, ${s.done} done, ${s.failed} failed, ${s.retrying} retrying`,
    );
  }
}
