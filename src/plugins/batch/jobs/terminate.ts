/**
 * Ending jobs: TerminateJob with a reason naming stepflow, retried when it fails (a network error, a 5xx
 * the SDK gave up on), and {@link KillProgress}, which tells the user while a run waits for AWS to confirm
 * that its terminated jobs ended. Used by the launcher on Ctrl-C/SIGTERM/`@timeout` and by
 * `stepflow batch kill` (cli/run-jobs.ts).
 *
 * @module
 */
import type { BatchApi } from '../aws.js';
import { retryThrottled } from './throttle-retries.js';

/**
 * What every TerminateJob reason starts with: AWS shows it as the job's `statusReason`.
 *
 * @example
 * ```ts
 * job.statusReason?.startsWith(TERMINATE_REASON_PREFIX); // stopped by stepflow
 * ```
 */
export const TERMINATE_REASON_PREFIX = 'stopped by stepflow';

/**
 * The TerminateJob reason for `why` (AWS takes at most 1024 characters).
 *
 * @example
 * ```ts
 * terminateReason('SIGINT received'); // 'stopped by stepflow: SIGINT received'
 * ```
 */
export function terminateReason(why: string): string {
  return `${TERMINATE_REASON_PREFIX}: ${why}`.slice(0, 1000);
}

/**
 * Retries of {@link terminateWithRetry}.
 *
 * @example
 * ```ts
 * const options: TerminateRetry = { attempts: 2, delayMs: 0 };
 * ```
 */
export interface TerminateRetry {
  /** Calls in all (default 4). */
  readonly attempts?: number;
  /** Wait before the second call, doubled before each next one (default 500 ms). */
  readonly delayMs?: number;
}

/**
 * Asks AWS to end a job (TerminateJob; AWS cancels a job that has not started), calling again after a
 * failure up to `attempts` times in all. Resolves with the last error when every call failed.
 *
 * @example
 * ```ts
 * const result = await terminateWithRetry(api, jobId, terminateReason('SIGINT received'));
 * if (!result.ok) console.error(`could not terminate ${jobId}: ${result.error.message}`);
 * ```
 */
export async function terminateWithRetry(
  api: Pick<BatchApi, 'terminateJob'>,
  jobId: string,
  reason: string,
  retry: TerminateRetry = {},
): Promise<{ ok: true; calls: number } | { ok: false; calls: number; error: Error }> {
  const attempts = Math.max(1, retry.attempts ?? 4);
  let delay = retry.delayMs ?? 500;
  let last: Error = new Error('TerminateJob was not called');
  for (let call = 1; call <= attempts; call++) {
    try {
      // A throttled answer is retried for as long as AWS throttles (throttle-retries.ts), and not counted here.
      await retryThrottled(() => api.terminateJob({ jobId, reason }));
      return { ok: true, calls: call };
    } catch (err) {
      last = err instanceof Error ? err : new Error(String(err));
      if (call < attempts) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay *= 2;
      }
    }
  }
  return { ok: false, calls: attempts, error: last };
}

/**
 * The run's jobs being ended: prints `[@batch] waiting for AWS to end N job(s)...` once the kills of a
 * moment are counted, then every `intervalMs` while any is left, and a closing line when all ended.
 *
 * @example
 * ```ts
 * const progress = new KillProgress((m) => reporter.notice(m));
 * const ended = progress.begin();
 * // ... the job reached FAILED/SUCCEEDED (or `ended(false)`: it could not be confirmed):
 * ended();
 * ```
 */
export class KillProgress {
  private pending = 0;
  private total = 0;
  private unconfirmed = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly notice: (message: string) => void,
    private readonly intervalMs = 5000,
  ) {}

  /** Jobs still waited for. */
  get waiting(): number {
    return this.pending;
  }

  /**
   * Counts one job being ended; call the function returned once AWS confirmed its end, or with `false`
   * when the run gave up waiting (the job's own message says so).
   */
  begin(): (confirmed?: boolean) => void {
    this.pending++;
    this.total++;
    if (!this.timer) {
      // The first line after the kills of this moment are all counted (they come in the same tick).
      this.timer = setTimeout(() => this.tick(), 50);
    }
    let ended = false;
    return (confirmed = true) => {
      if (ended) return;
      ended = true;
      this.pending--;
      if (!confirmed) this.unconfirmed++;
      if (this.pending > 0) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.notice(
        this.unconfirmed === 0
          ? `[@batch] AWS confirmed the end of the ${this.total} job(s) stepflow stopped.`
          : `[@batch] AWS confirmed the end of ${this.total - this.unconfirmed} of ${this.total} job(s); ` +
              `${this.unconfirmed} could not be confirmed (named above).`,
      );
      this.total = 0;
      this.unconfirmed = 0;
    };
  }

  private tick(): void {
    this.timer = undefined;
    if (this.pending === 0) return;
    this.notice(`[@batch] waiting for AWS to end ${this.pending} job(s)...`);
    this.timer = setTimeout(() => this.tick(), this.intervalMs);
  }
}

/**
 * How a run ends its jobs when they are killed.
 *
 * @example
 * ```ts
 * const stopping: JobStopping = { progress: new KillProgress(notice), waitMs: 180_000 };
 * ```
 */
export interface JobStopping {
  /** Prints the run's "waiting for AWS" lines. */
  readonly progress?: KillProgress;
  /** How long to wait for AWS to confirm a terminated job ended (`STEPFLOW_BATCH_KILL_WAIT_S`). */
  readonly waitMs: number;
  readonly retry?: TerminateRetry;
}

/**
 * Default of `STEPFLOW_BATCH_KILL_WAIT_S`: AWS usually acts on TerminateJob within ~30 s.
 *
 * @example
 * ```ts
 * const waitMs = (Number(env.STEPFLOW_BATCH_KILL_WAIT_S) || KILL_WAIT_S) * 1000;
 * ```
 */
export const KILL_WAIT_S = 180;

/**
 * The hint given when a job may still be running: the command that finds and ends it.
 *
 * @example
 * ```ts
 * batchKillHint('F/17/train/3'); // 'stepflow batch kill <flow file> --run-id 17'
 * ```
 */
export function batchKillHint(pathspec: string): string {
  const runId = pathspec.split('/')[1] ?? '';
  return `stepflow batch kill <flow file> --run-id ${runId}`;
}

/**
 * Ends one job of a run: TerminateJob (retried; the promise resolves once it answered), then, in the
 * background, waits until `ended` resolves (the run's poller saw FAILED/SUCCEEDED) for at most
 * `stopping.waitMs`. When TerminateJob keeps failing or AWS does not confirm in time, says so with the
 * job id and the `stepflow batch kill` command, and calls `giveUp` (the task ends without waiting more).
 *
 * @example
 * ```ts
 * await stopJob({ api, jobId, pathspec, reason: 'SIGINT received', stopping, ended: task.done,
 *   say: (m) => stderr.write(`[@batch] ${m}\n`), giveUp: (text) => end(text) });
 * ```
 */
export async function stopJob(args: {
  readonly api: Pick<BatchApi, 'terminateJob'>;
  readonly jobId: string;
  readonly pathspec: string;
  readonly reason: string;
  readonly stopping?: JobStopping;
  readonly ended: Promise<unknown>;
  readonly say: (message: string) => void;
  readonly giveUp: (killedReason: string) => void;
}): Promise<void> {
  const { jobId, pathspec, stopping } = args;
  const done = stopping?.progress?.begin();
  const result = await terminateWithRetry(args.api, jobId, terminateReason(args.reason), stopping?.retry);
  if (!result.ok) {
    const text =
      `could not terminate job ${jobId} of ${pathspec} (TerminateJob failed ${result.calls} time(s): ` +
      `${result.error.message}); it may still be running: end it with \`${batchKillHint(pathspec)}\``;
    args.say(text);
    done?.(false);
    args.giveUp(text);
    return;
  }
  args.say(`${pathspec}: job ${jobId} terminated (${args.reason}); waiting for AWS to end it`);
  void waitForEnd(args, stopping?.waitMs ?? KILL_WAIT_S * 1000).then((confirmed) => done?.(confirmed));
}

async function waitForEnd(args: Parameters<typeof stopJob>[0], waitMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), waitMs);
  });
  const how = await Promise.race([args.ended.then(() => 'ended' as const), late]);
  clearTimeout(timer);
  if (how === 'ended') return true;
  const text =
    `AWS did not confirm within ${waitMs / 1000} s that job ${args.jobId} of ${args.pathspec} ` +
    `ended; it may still be running: check and end it with \`${batchKillHint(args.pathspec)}\``;
  args.say(text);
  args.giveUp(text);
  return false;
}
