/**
 * The link between a flow instance and the task that runs it. The task runner binds a {@link TaskState}
 * to the instance; `FlowSpec`'s methods (`next`, `input`, `mergeArtifacts`, ...) delegate to it.
 *
 * @module
 */
import { FlowError } from './errors.js';

/** Options of `this.next(...)`. */
export interface NextOptions {
  /** Name of the artifact to fan out over: one child task per item. */
  readonly foreach?: string;
}

/** Options of `this.mergeArtifacts(...)`. */
export interface MergeOptions {
  /** Merge only these artifacts. */
  readonly include?: readonly string[];
  /** Merge every artifact except these. */
  readonly exclude?: readonly string[];
}

/** A position in a foreach, as `this.foreachStack` shows it. */
export interface ForeachPosition {
  readonly step: string;
  readonly field: string;
  readonly index: number;
  readonly count: number;
}

/** What a running task provides to the flow instance. */
export interface TaskState {
  readonly flowName: string;
  readonly stepName: string;
  recordNext(targets: readonly unknown[], options: NextOptions | undefined): void;
  input(): unknown;
  index(): number | undefined;
  foreachStack(): readonly ForeachPosition[];
  mergeArtifacts(inputs: unknown, options: MergeOptions | undefined): void;
}

const STATES_KEY = Symbol.for('stepflow.taskStates');
const globalStore = globalThis as unknown as Record<symbol, WeakMap<object, TaskState> | undefined>;
globalStore[STATES_KEY] ??= new WeakMap();
const states = globalStore[STATES_KEY] as WeakMap<object, TaskState>;

/**
 * Binds a task state to a flow instance (done by the task runner before the step runs).
 *
 * @example
 * ```ts
 * bindTaskState(flow, state);
 * ```
 */
export function bindTaskState(flow: object, state: TaskState): void {
  states.set(flow, state);
}

/**
 * The task state bound to a flow instance; throws a clear error outside a running step.
 *
 * @example
 * ```ts
 * taskStateOf(this).recordNext([this.end], undefined);
 * ```
 */
export function taskStateOf(flow: object, what: string): TaskState {
  const state = states.get(flow);
  if (!state) {
    throw new FlowError(
      `${what} can only be used inside a running step. Run the flow with \`stepflow run <flow.ts>\`; do not ` +
        'call steps directly.',
    );
  }
  return state;
}
