/**
 * How the scheduler closes an attempt: the reason a failed attempt gives, and the done record written for
 * an attempt that was stopped or died without one.
 *
 * @module
 */
import type { AttemptDoneRecord, FlowDatastore } from '../datastore/index.js';
import type { LaunchOutcome } from '../decorators/index.js';

/**
 * How an attempt ended, as the scheduler settles it.
 *
 * @example
 * ```ts
 * const end: AttemptEnd = { pathspec: 'F/1/a/2', ok: true, outcome, done, reason: undefined, elapsedMs: 120 };
 * ```
 */
export interface AttemptEnd {
  readonly pathspec: string;
  readonly ok: boolean;
  readonly outcome: LaunchOutcome;
  readonly done: AttemptDoneRecord | undefined;
  readonly reason: string | undefined;
  readonly elapsedMs: number;
}

/**
 * An attempt stopped, or dead without a result of its own: its done record says what happened (for
 * history and the next attempt).
 *
 * @example
 * ```ts
 * await recordStoppedAttempt(td, 0, 'timed out after 5m', true, outcome); // error.type 'TimeoutError'
 * ```
 */
export async function recordStoppedAttempt(
  td: ReturnType<FlowDatastore['task']>,
  attempt: number,
  reason: string | undefined,
  timedOut: boolean,
  outcome: LaunchOutcome,
): Promise<void> {
  const type = timedOut ? 'TimeoutError' : outcome.killedReason ? 'TaskKilledError' : 'TaskDiedError';
  await td.writeDone(attempt, {
    attempt,
    ok: false,
    endedAt: new Date().toISOString(),
    killed: true,
    error: { type, message: reason ?? 'the attempt was stopped' },
  });
}

/**
 * Why a failed attempt failed, when its own record does not say (stopped, or died without a result).
 *
 * @example
 * ```ts
 * failureReason(false, { exitCode: 137, signal: 'SIGKILL' }, undefined); // 'the task process ended (SIGKILL) …'
 * ```
 */
export function failureReason(
  ok: boolean,
  outcome: LaunchOutcome,
  done: AttemptDoneRecord | undefined,
): string | undefined {
  if (ok) return undefined;
  if (outcome.killedReason !== undefined) return outcome.killedReason;
  if (done) return undefined;
  if (outcome.failure !== undefined) return outcome.failure;
  return `the task process ended (${outcome.signal ?? `exit code ${outcome.exitCode}`}) without recording a result`;
}

/**
 * A time limit as `@timeout` users write it: `2h`, `5m`, `90s`.
 *
 * @example
 * ```ts
 * formatSeconds(300); // '5m'
 * ```
 */
export function formatSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
