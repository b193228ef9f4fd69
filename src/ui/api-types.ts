/**
 * The JSON the UI server sends and the page reads: one shape per page. Plain types only (no imports), so
 * both the server (Node) and the page (browser bundle) compile against them.
 *
 * @module
 */

/**
 * A JSON value, as the tagged form of `stepflow dump --json` writes it.
 *
 * @example
 * ```ts
 * const v: UiJson = { $type: 'BigInt', value: '12' };
 * ```
 */
export type UiJson = null | boolean | number | string | UiJson[] | { [key: string]: UiJson };

/**
 * The state the UI shows for a run, step, task or attempt.
 *
 * @example
 * ```ts
 * const s: UiState = 'running';
 * ```
 */
export type UiState = 'successful' | 'failed' | 'killed' | 'interrupted' | 'running' | 'pending';

/**
 * `GET /api/flows`.
 *
 * @example
 * ```ts
 * const body: FlowsResponse = { flows: [{ name: 'HelloFlow' }] };
 * ```
 */
export interface FlowsResponse {
  readonly flows: readonly { readonly name: string }[];
}

/**
 * One row of the runs page.
 *
 * @example
 * ```ts
 * const row: RunSummary = { id: '17', status: 'running', user: 'ana', tags: [], startedAt: '2026-01-01T00:00:00Z' };
 * ```
 */
export interface RunSummary {
  readonly id: string;
  readonly status: UiState;
  readonly user: string;
  readonly tags: readonly string[];
  readonly startedAt: string;
  readonly endedAt?: string;
  /** Milliseconds from start to end (absent while running). */
  readonly durationMs?: number;
}

/**
 * `GET /api/runs/<Flow>?status=&tag=&user=`: newest first.
 *
 * @example
 * ```ts
 * const body: RunsResponse = { flow: 'HelloFlow', runs: [], total: 0 };
 * ```
 */
export interface RunsResponse {
  readonly flow: string;
  readonly runs: readonly RunSummary[];
  /** Runs before filtering. */
  readonly total: number;
}

/**
 * One step of a run's graph, with the states of its tasks.
 *
 * @example
 * ```ts
 * const s: StepSummary = { name: 'start', kind: 'linear', next: ['end'], state: 'successful', tasks: 1, counts: { successful: 1 } };
 * ```
 */
export interface StepSummary {
  readonly name: string;
  readonly kind: string;
  readonly next: readonly string[];
  /** The artifact a foreach step iterates over. */
  readonly foreach?: string;
  readonly decorators?: readonly string[];
  /** The step's overall state: failed if any task failed, running if any runs, ... `pending` when no task. */
  readonly state: UiState;
  /** Number of tasks (the foreach width for a step inside a foreach). */
  readonly tasks: number;
  readonly counts: Readonly<Partial<Record<UiState, number>>>;
}

/**
 * One bar of the run's timeline: one attempt of one task.
 *
 * @example
 * ```ts
 * const bar: TimelineBar = { task: 'start/1', attempt: 0, state: 'successful', startedAt: '...' };
 * ```
 */
export interface TimelineBar {
  /** `step/taskId`. */
  readonly task: string;
  readonly attempt: number;
  readonly state: UiState;
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** Jobs of this attempt lost and resubmitted (spot reclaims), oldest first: drawn as marks. */
  readonly resubmits?: readonly Resubmit[];
}

/**
 * A job of an attempt that a compute layer lost and resubmitted (a spot reclaim of `@batch`), from the
 * `reclaimed` list of a record kept beside the attempt.
 *
 * @example
 * ```ts
 * const r: Resubmit = { jobId: 'j-1', reason: 'Host EC2 (instance i-1) terminated.', at: '2026-01-01T00:00:05Z' };
 * ```
 */
export interface Resubmit {
  readonly jobId: string;
  readonly reason: string;
  /** When it was resubmitted (absent in records written before this was kept). */
  readonly at?: string;
}

/**
 * `GET /api/run/<Flow>/<run>`: the run page. Its `etag` changes whenever anything shown changes.
 *
 * @example
 * ```ts
 * if (body.run.status === 'failed') console.log(body.failure);
 * ```
 */
export interface RunResponse {
  readonly flow: string;
  readonly run: RunSummary;
  readonly steps: readonly StepSummary[];
  readonly parameters: Readonly<Record<string, UiJson>>;
  readonly failure?: {
    readonly tasks: readonly string[];
    readonly errors: readonly { readonly task: string; readonly type: string; readonly message: string }[];
  };
  readonly timeline: readonly TimelineBar[];
  /** Bars left out of `timeline` (the timeline holds at most a fixed number). */
  readonly timelineOmitted: number;
}

/**
 * One row of the step page.
 *
 * @example
 * ```ts
 * const row: TaskSummary = { id: '3', state: 'running', attempt: 0 };
 * ```
 */
export interface TaskSummary {
  readonly id: string;
  readonly state: UiState;
  readonly attempt: number;
  readonly index?: number;
  readonly startedAt?: string;
  readonly endedAt?: string;
}

/**
 * `GET /api/step/<Flow>/<run>/<step>?page=&state=`: 100 tasks a page.
 *
 * @example
 * ```ts
 * const pages = Math.ceil(body.matching / body.pageSize);
 * ```
 */
export interface StepResponse {
  readonly flow: string;
  readonly runId: string;
  readonly step: string;
  readonly tasks: readonly TaskSummary[];
  /** Tasks of the step. */
  readonly total: number;
  /** Tasks matching the state filter. */
  readonly matching: number;
  readonly page: number;
  readonly pageSize: number;
  readonly counts: Readonly<Partial<Record<UiState, number>>>;
}

/**
 * One attempt of a task.
 *
 * @example
 * ```ts
 * const a: AttemptDetail = { attempt: 0, state: 'failed', error: { type: 'Error', message: 'boom' } };
 * ```
 */
export interface AttemptDetail {
  readonly attempt: number;
  readonly state: UiState;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly host?: string;
  readonly error?: { readonly type: string; readonly message: string; readonly stack?: string };
  /** What the attempt's start record keeps besides its own fields (the decorators, ...). */
  readonly extra?: Readonly<Record<string, UiJson>>;
  /**
   * Records a compute layer or decorator kept beside the attempt, by name (`batch`: the AWS Batch job
   * id, queue, status, status reason, failure classification, log group and stream).
   */
  readonly records?: Readonly<Record<string, UiJson>>;
  /** The attempt's log stream in the AWS console (a link only: the page fetches nothing from AWS). */
  readonly logConsole?: { readonly url: string; readonly stream: string };
  /** Set when the attempt ran as a child of an array job. */
  readonly arrayChild?: { readonly parent: string; readonly index: number };
}

/**
 * One artifact of a task: a preview in the tagged JSON form when the value is small enough.
 *
 * @example
 * ```ts
 * const a: ArtifactDetail = { name: 'x', type: 'number', size: 3, preview: 3 };
 * ```
 */
export interface ArtifactDetail {
  readonly name: string;
  readonly type: string;
  readonly size: number;
  /** The value in the tagged JSON form of `dump --json` (absent when too large to preview). */
  readonly preview?: UiJson;
  /** Why there is no preview. */
  readonly previewNote?: string;
}

/**
 * `GET /api/task/<Flow>/<run>/<step>/<task>`: the task page (logs of the current attempt).
 *
 * @example
 * ```ts
 * console.log(body.stdout);
 * ```
 */
export interface TaskResponse {
  readonly flow: string;
  readonly runId: string;
  readonly step: string;
  readonly id: string;
  readonly state: UiState;
  readonly attempts: readonly AttemptDetail[];
  readonly artifacts: readonly ArtifactDetail[];
  readonly artifactsAttempt?: number;
  /** The attempt whose logs the page follows (`GET /api/log/...`); absent before any attempt started. */
  readonly logAttempt?: number;
}

/**
 * `GET /api/log/<Flow>/<run>/<step>/<task>?attempt=&stream=&cursor=`: without a cursor the log's last
 * bytes, with one only those after it.
 *
 * @example
 * ```ts
 * pre.append(chunk.text);
 * next = `/api/log/...&cursor=${chunk.cursor}`;
 * ```
 */
export interface LogChunk {
  readonly attempt: number;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
  /** Where to ask from next (`<segment>:<offset>`). */
  readonly cursor: string;
  /** True when earlier bytes were left out (the first answer holds the last 256 KiB). */
  readonly cut: boolean;
  /** True once the logs are whole (the attempt's log record exists): nothing more will come. */
  readonly complete: boolean;
}

/**
 * The body of an error answer from the API.
 *
 * @example
 * ```ts
 * const e: ApiError = { error: 'NotFoundError', message: 'no run 17' };
 * ```
 */
export interface ApiError {
  readonly error: string;
  readonly message: string;
}

/** Tasks per page on the step page. */
export const TASK_PAGE_SIZE = 100;
