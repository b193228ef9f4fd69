/**
 * Types shared by every layer that reads or writes the datastore.
 *
 * @module
 */

/**
 * A stored artifact: where its bytes live in the content-addressed store and how to decode them.
 *
 * @example
 * ```ts
 * const ref: ArtifactRef = { sha: 'ab12…', size: 1024, encoding: 'v8', type: 'Float64Array' };
 * ```
 */
export interface ArtifactRef {
  /** sha256 (hex) of the serialized, uncompressed bytes; the key in the content-addressed store. */
  readonly sha: string;
  /** Size of the serialized bytes. */
  readonly size: number;
  /** Id of the serializer that wrote it (`v8`, ...). */
  readonly encoding: string;
  /** A short description of the value's type (`number`, `Map`, `Float64Array`, `object`, ...). */
  readonly type: string;
  /** A short JSON preview for small scalar values (numbers, short strings, booleans). */
  readonly preview?: string;
}

/** One frame of the foreach stack: which split a task descends from and its position in it. */
export interface ForeachFrame {
  /** The step that called `next(..., { foreach })`. */
  readonly step: string;
  /** The split task's id. */
  readonly taskId: string;
  /** The artifact iterated over. */
  readonly field: string;
  /** This branch's index. */
  readonly index: number;
  /** Number of branches of the split. */
  readonly count: number;
}

/** What a task did with `this.next(...)`, recorded when it completes. */
export interface Transition {
  readonly targets: readonly string[];
  readonly foreach?: string;
  /** Number of splits, for a foreach transition. */
  readonly foreachCount?: number;
}

/** The exception of a failed attempt. */
export interface TaskErrorInfo {
  readonly type: string;
  readonly message: string;
  readonly stack?: string;
}

/** Written when an attempt starts (`<attempt>.attempt.json`). */
export interface AttemptStartRecord {
  readonly attempt: number;
  readonly startedAt: string;
  readonly host?: string;
  readonly pid?: number;
  /** Pathspecs (`step/taskId`) of the tasks this task read its inputs from. */
  readonly inputs: readonly string[];
  readonly foreachStack: readonly ForeachFrame[];
  /** Anything a compute layer or decorator wants to keep with the attempt (resources, job id, ...). */
  readonly extra?: Record<string, unknown>;
}

/** Written last when an attempt ends (`<attempt>.done.json`): its presence makes the attempt visible. */
export interface AttemptDoneRecord {
  readonly attempt: number;
  readonly ok: boolean;
  readonly endedAt: string;
  readonly transition?: Transition;
  readonly error?: TaskErrorInfo;
  /** Set when this attempt was cloned by `resume` from a task of an earlier run (its pathspec). */
  readonly clonedFrom?: string;
  /** True when the runtime wrote this record because the attempt was stopped or died without one. */
  readonly killed?: boolean;
  /** Timing and volume figures of the attempt (artifact bytes saved/loaded and milliseconds spent). */
  readonly metrics?: Record<string, number>;
  /**
   * The artifacts of a succeeded attempt (as its data record has them): the runtime, which reads this record
   * anyway, hands them to a join, so a join of 10,000 inputs reads no per-input record.
   */
  readonly data?: Readonly<Record<string, ArtifactRef>>;
}

/** Run-level record written when a run starts (`_meta/run.json`). */
export interface RunRecord {
  readonly flowName: string;
  readonly runId: string;
  readonly user: string;
  readonly tags: readonly string[];
  readonly startedAt: string;
  /** sha256 of the code package in the content-addressed store. */
  readonly codePackage?: string;
  /** The static graph (serialized `FlowGraph`). */
  readonly graph: unknown;
  /** Parameter values by name, as artifact refs (also the artifacts of task `_parameters/0`). */
  readonly parameters: Record<string, ArtifactRef>;
  /** The run this one resumed, if any. */
  readonly originRunId?: string;
  readonly extra?: Record<string, unknown>;
}

/** Run-level record written when a run ends (`_meta/status.json`). */
export interface RunStatusRecord {
  readonly status: 'successful' | 'failed' | 'interrupted';
  readonly endedAt: string;
  readonly failedTasks?: readonly string[];
}
