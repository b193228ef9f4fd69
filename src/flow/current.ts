/**
 * `current`: what a running step knows about itself.
 *
 * @module
 */

/** The fields of {@link current}. */
export interface CurrentInfo {
  readonly flowName: string;
  readonly runId: string;
  readonly stepName: string;
  readonly taskId: string;
  /** 0 for the first attempt, 1 for the first retry, ... */
  readonly retryCount: number;
  /** A temporary folder for this task attempt, removed when it ends. */
  readonly tempdir: string;
  /** `Flow/runId/step/taskId`. */
  readonly pathspec: string;
  /** The user the run belongs to. */
  readonly username: string;
  /** The run this run was resumed from, if any. */
  readonly originRunId?: string;
}

const CURRENT_KEY = Symbol.for('stepflow.current');
const store = globalThis as unknown as Record<symbol, { info?: CurrentInfo } | undefined>;
store[CURRENT_KEY] ??= {};
const holder = store[CURRENT_KEY] as { info?: CurrentInfo };

function field<K extends keyof CurrentInfo>(key: K): CurrentInfo[K] | undefined {
  return holder.info?.[key];
}

/**
 * What the running step knows about itself: flow, run, step, task, attempt, temp dir and pathspec.
 * Outside a running task every field is `undefined` and `isRunning` is false.
 *
 * @example
 * ```ts
 * import { current } from 'stepflow';
 * console.log(`${current.pathspec} attempt ${current.retryCount} in ${current.tempdir}`);
 * ```
 */
export const current = {
  get isRunning(): boolean {
    return holder.info !== undefined;
  },
  get flowName(): string {
    return field('flowName') as string;
  },
  get runId(): string {
    return field('runId') as string;
  },
  get stepName(): string {
    return field('stepName') as string;
  },
  get taskId(): string {
    return field('taskId') as string;
  },
  get retryCount(): number {
    return field('retryCount') as number;
  },
  get tempdir(): string {
    return field('tempdir') as string;
  },
  get pathspec(): string {
    return field('pathspec') as string;
  },
  get username(): string {
    return field('username') as string;
  },
  get originRunId(): string | undefined {
    return field('originRunId');
  },
};

/**
 * Sets (or clears) what {@link current} reports. Called by the task runner.
 *
 * @example
 * ```ts
 * setCurrent({ flowName: 'F', runId: '1', stepName: 'start', taskId: '1', retryCount: 0, tempdir, pathspec: 'F/1/start/1', username: 'me' });
 * ```
 */
export function setCurrent(info: CurrentInfo | undefined): void {
  holder.info = info;
}
