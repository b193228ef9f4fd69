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
  /** Run submitted jobs' commands as local processes (moto simple mode only). */
  readonly runner?: { readonly concurrency?: number; readonly env?: Readonly<Record<string, string>> };
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
  /** SubmitJob calls moto accepted, in order. */
  readonly submitted: readonly { readonly jobId: string; readonly jobName: string }[];
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
  /** A runner job's status (`RUNNABLE`, `RUNNING`, `SUCCEEDED`, `FAILED`). */
  jobStatus(jobId: string): string | undefined;
  /** Runner jobs by status. */
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
