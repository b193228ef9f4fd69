/**
 * Types for `scripts/lib/batch-fault-proxy.mjs`: a FAULT-INJECTING stand-in in front of moto (429s on
 * SubmitJob, calls counted by action) and, optionally, a job-runner stand-in for moto's simple mode.
 *
 * @module
 */

/**
 * Which SubmitJob calls are answered 429: a chosen sequence (`true` = throttle, then none), a seeded
 * random fraction, or an account quota of `quotaPerSecond` calls (token bucket, as AWS enforces it).
 *
 * @example
 * ```ts
 * const faults: SubmitFaults = { fraction: 0.3, seed: 7 };
 * ```
 */
export interface SubmitFaults {
  readonly sequence?: readonly boolean[];
  readonly fraction?: number;
  readonly seed?: number;
  readonly quotaPerSecond?: number;
}

/**
 * An AWS error answer for every call of one action (or the next `times` calls).
 *
 * @example
 * ```ts
 * const fault: ActionFault = { status: 503, type: 'ServerException', forward: true, times: 1 };
 * ```
 */
export interface ActionFault {
  /** HTTP status of the answer. */
  readonly status: number;
  /** The error type (`x-amzn-ErrorType`), e.g. `AccessDeniedException`. */
  readonly type: string;
  readonly message?: string;
  /** Forward the call to moto first (it has its effect), then answer the error. */
  readonly forward?: boolean;
  /** Only the next `times` calls (default: every call until cleared). */
  readonly times?: number;
}

/**
 * What an in-process child runner is given: the job (or array child) as its container would see it.
 *
 * @example
 * ```ts
 * const job: RunnerJob = { jobId: 'p:3', jobName: 'x', arrayJobId: 'p', command: [], environment: {} };
 * ```
 */
export interface RunnerJob {
  /** The job's id; an array child's is `<parent>:<index>`. */
  readonly jobId: string;
  readonly jobName: string;
  /** The parent's id, for an array child. */
  readonly arrayJobId?: string;
  /** SubmitJob's `containerOverrides.command`. */
  readonly command: readonly string[];
  /** The job's environment, with `AWS_BATCH_JOB_ID` (and `AWS_BATCH_JOB_ARRAY_INDEX` for a child). */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * Runs one job or array child in-process (`index` is the child's array index, `undefined` for a plain
 * job); resolves its exit code, or an exit code and a reason (`container.reason` / `statusReason`).
 *
 * @example
 * ```ts
 * const child: ChildRunner = async (job, index) => (index === 3 ? { exitCode: 1, reason: 'boom' } : 0);
 * ```
 */
export type ChildRunner = (
  job: RunnerJob,
  index: number | undefined,
) => Promise<number | { readonly exitCode: number; readonly reason?: string }>;

/**
 * An array child that fails once, without running: the first child with this index.
 *
 * @example
 * ```ts
 * const oom: ChildFailure = { index: 7, exitCode: 137, reason: OOM_REASON };
 * ```
 */
export interface ChildFailure {
  readonly index: number;
  readonly exitCode: number;
  readonly reason?: string;
}

/**
 * The job-runner stand-in's options (moto simple mode only).
 *
 * @example
 * ```ts
 * const runner: RunnerOptions = { concurrency: 64, child: async () => 0 };
 * ```
 */
export interface RunnerOptions {
  /** Jobs or children running at once (default 16). */
  readonly concurrency?: number;
  /** Added to a process job's environment (e.g. credentials). */
  readonly env?: Readonly<Record<string, string>>;
  /** Run jobs in-process with this function instead of as local processes. */
  readonly child?: ChildRunner;
  /** Array indexes that fail once. */
  readonly childFailures?: readonly ChildFailure[];
}

/**
 * Options of {@link startFaultProxy}.
 *
 * @example
 * ```ts
 * const options: FaultProxyOptions = { target: moto.url, faults: { sequence: [true, true] } };
 * ```
 */
export interface FaultProxyOptions {
  /** The moto server's URL. */
  readonly target: string;
  readonly faults?: SubmitFaults;
  /** Run submitted jobs (moto simple mode only): as local processes, or in-process with `child`. */
  readonly runner?: RunnerOptions;
}

/**
 * A running proxy.
 *
 * @example
 * ```ts
 * const proxy: FaultProxy = await startFaultProxy({ target: moto.url });
 * ```
 */
export interface FaultProxy {
  readonly url: string;
  /** Calls received, by action (throttled ones included). */
  readonly counts: Record<string, number>;
  /** Every call received: when (performance.now()) and its action. */
  readonly calls: readonly { readonly at: number; readonly action: string }[];
  /** Calls received in `[from, to)` (performance.now() times), by action. */
  countsBetween(from: number, to?: number): Record<string, number>;
  /** SubmitJob calls moto accepted, in order (`size` for an array). */
  readonly submitted: readonly { readonly jobId: string; readonly jobName: string; readonly size?: number }[];
  /** Runner mode: every state change of a job or array child, in order. */
  readonly stateChanges: readonly { readonly at: number; readonly jobId: string; readonly status: string }[];
  /** Runner mode: array indexes that fail once, from now on. */
  setChildFailures(failures: readonly ChildFailure[]): void;
  /** Runner mode: an array parent's state as AWS reports it. */
  arrayStatus(
    jobId: string,
  ):
    | { readonly status: string; readonly size: number; readonly statusSummary: Record<string, number> }
    | undefined;
  /** Each DescribeJobs call: when (performance.now()) and how many job ids it asked about. */
  readonly describeJobs: readonly { readonly at: number; readonly ids: number }[];
  /** SubmitJob calls answered 429 by the proxy. */
  readonly throttled: number;
  /** Changes the faults from now on. */
  setFaults(faults: SubmitFaults | undefined): void;
  /** Answers calls of `action` (`DescribeJobs`, `SubmitJob`, ...) with an AWS error; `undefined` clears it. */
  setActionFault(action: string, fault: ActionFault | undefined): void;
  /** Calls answered with an action fault, by action. */
  readonly faulted: Readonly<Record<string, number>>;
  /** The last 4000 characters a runner job printed. */
  jobOutput(jobId: string): string | undefined;
  /** A runner job's or array child's status (`RUNNABLE`, `RUNNING`, `SUCCEEDED`, `FAILED`). */
  jobStatus(jobId: string): string | undefined;
  /** Runner jobs and array children by status. */
  jobStatuses(): Record<string, number>;
  /** Resolves when the runner has no job running or queued. */
  whenIdle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The API action of a request (`/v1/submitjob` → `SubmitJob`; `x-amz-target` for JSON protocols).
 *
 * @example
 * ```ts
 * actionOf({ headers: {}, url: '/v1/describejobs', method: 'POST' }); // 'DescribeJobs'
 * ```
 */
export declare function actionOf(req: {
  headers: Record<string, string | string[] | undefined>;
  url?: string;
  method?: string;
}): string;

/**
 * Starts the proxy on 127.0.0.1 and a free port.
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy({ target: moto.url, faults: { fraction: 0.3, seed: 7 } });
 * await proxy.close();
 * ```
 */
export declare function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy>;

/**
 * AWS's `container.reason` of a job killed for exceeding its memory.
 *
 * @example
 * ```ts
 * proxy.setChildFailures([{ index: 3, exitCode: 137, reason: OOM_REASON }]);
 * ```
 */
export declare const OOM_REASON: string;
