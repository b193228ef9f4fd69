/**
 * What the runtime tells its caller while a run goes on. The CLI renders it; tests record it.
 *
 * @module
 */
import type { TaskErrorInfo } from '../datastore/index.js';

/** The end of a run. */
export interface RunSummary {
  readonly flowName: string;
  readonly runId: string;
  readonly status: 'successful' | 'failed' | 'interrupted';
  readonly tasksSucceeded: number;
  /** Of the succeeded tasks, those cloned from the origin run by resume. */
  readonly tasksCloned: number;
  readonly tasksFailed: number;
  readonly attempts: number;
  readonly elapsedMs: number;
  /** Pathspecs of the tasks that failed for good. */
  readonly failedTasks: readonly string[];
}

/**
 * Receives the events of a run.
 *
 * @example
 * ```ts
 * const reporter: Reporter = { taskStarted: (e) => console.log('start', e.pathspec) };
 * ```
 */
export interface Reporter {
  /** An attempt started; `attempt` is 0-based (= `current.retryCount`), of `maxAttempts` at most. */
  taskStarted?(event: {
    readonly pathspec: string;
    readonly attempt: number;
    readonly maxAttempts?: number;
    readonly launcher: string;
  }): void;
  taskFinished?(event: {
    readonly pathspec: string;
    readonly attempt: number;
    readonly maxAttempts?: number;
    readonly ok: boolean;
    readonly elapsedMs: number;
    readonly willRetry: boolean;
    /** With `willRetry`: how long until the next attempt starts. */
    readonly retryInMs?: number;
    /** With `willRetry`: where that wait comes from (`@retry(minutesBetweenRetries: 2)`). */
    readonly retryDelayFrom?: string;
    readonly error?: TaskErrorInfo;
    readonly reason?: string;
  }): void;
  /** A task was cloned from the origin run (resume) instead of running. */
  taskCloned?(event: { readonly pathspec: string; readonly from: string }): void;
  taskOutput?(event: {
    readonly pathspec: string;
    readonly stream: 'stdout' | 'stderr';
    readonly line: string;
  }): void;
  /**
   * Whether {@link taskOutput} prints the lines of `pathspec` now (absent: it does). A launcher skips
   * fetching output nobody sees (a wide step's tasks that succeed).
   */
  printsOutput?(pathspec: string): boolean;
  /** Progress of a step with many tasks (a wide foreach). */
  stepProgress?(event: {
    readonly step: string;
    readonly done: number;
    readonly running: number;
    readonly total: number;
  }): void;
  /** A message from the runtime itself (interrupts, retries). */
  notice?(message: string): void;
  runFinished?(summary: RunSummary): void;
}
